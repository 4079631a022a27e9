"""Access and refresh tokens: the access token is renewed before it expires, and callers that find it
stale share a single refresh (the lock is held for the one request, the others then reuse its answer), so
the client never races itself into the server's refresh-token reuse detection. A refresh the server
rejects (reused, revoked, expired, banned) signs the user out cleanly."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from keyledger_client.errors import AuthenticationError, KeyledgerError, NotLoggedIn
from keyledger_client.transport import Api
from keyledger_client.types import Clock

log = logging.getLogger("keyledger_client.tokens")

REFRESH_MARGIN_S = 60.0
# A 401 with one of these codes is answered by one refresh (shared, like any other): either the access
# token was merely stale, or the refresh fails with the definitive reason (a banned account's sessions
# are closed, so its bearer calls say session_closed while the refresh says account_banned).
RENEWABLE_CODES = frozenset({"invalid_token", "missing_token", "session_closed"})

Answer = dict[str, Any]


class Tokens:
    def __init__(
        self,
        api: Api,
        clock: Clock,
        *,
        on_rotated: Callable[[Answer], None],
        on_signed_out: Callable[[str], None],
    ) -> None:
        self.api, self.clock = api, clock
        self._on_rotated, self._on_signed_out = on_rotated, on_signed_out
        self._lock = threading.RLock()
        self._access: str | None = None
        self._deadline = 0.0
        self._refresh: str | None = None
        self._failures = 0
        self._failure: KeyledgerError | None = None

    @property
    def signed_in(self) -> bool:
        return self._refresh is not None

    def install(self, answer: Answer) -> None:
        """Takes the tokens of a login (or refresh) answer."""
        with self._lock:
            self._install(answer)

    def resume(self, refresh_token: str) -> None:
        """Starts from a remembered refresh token; the first call refreshes."""
        with self._lock:
            self._access, self._deadline, self._refresh = None, 0.0, refresh_token

    def clear(self) -> None:
        with self._lock:
            self._access, self._deadline, self._refresh = None, 0.0, None

    def access_token(self) -> str:
        """A valid access token, refreshed first when it expires within the margin."""
        failures = self._failures  # a refresh that fails while this caller waits fails it too
        with self._lock:
            if self._access is not None and self.clock.monotonic() < self._deadline:
                return self._access
            return self._refresh_locked(failures)

    def renew(self, stale: str) -> str:
        """After the server refused ``stale``: a new token, unless another caller already got one."""
        failures = self._failures
        with self._lock:
            if self._access is not None and self._access != stale:
                return self._access
            return self._refresh_locked(failures)

    def authorized(self, method: str, path: str, **kwargs: Any) -> Answer:
        """A request with the access token; one renewal and retry when the server refuses it. A 401
        that ends the session (banned, closed, refresh refused) signs out before it is raised."""
        token = self.access_token()
        try:
            return self.api.request(method, path, token=token, **kwargs)
        except AuthenticationError as error:
            if error.code not in RENEWABLE_CODES:
                self._signed_out(error.code)
                raise
        token = self.renew(token)
        try:
            return self.api.request(method, path, token=token, **kwargs)
        except AuthenticationError as error:
            self._signed_out(error.code)
            raise

    def _refresh_locked(self, failures_seen: int) -> str:
        if self._refresh is None:
            raise NotLoggedIn("no session: log in first")
        if self._failures != failures_seen and self._failure is not None:
            raise self._failure  # the refresh this caller waited for just failed: no second request
        try:
            answer = self.api.request("POST", "/auth/refresh", json={"refresh_token": self._refresh})
        except AuthenticationError as error:
            log.warning("refresh refused (%s): signing out", error.code)
            self._access, self._deadline, self._refresh = None, 0.0, None
            self._on_signed_out(error.code)
            raise
        except KeyledgerError as error:
            self._failure, self._failures = error, self._failures + 1
            raise
        self._install(answer)
        self._on_rotated(answer)
        assert self._access is not None  # noqa: S101 -- _install just set it
        return self._access

    def _install(self, answer: Answer) -> None:
        lifetime = float(answer.get("expires_in", 0))
        margin = min(REFRESH_MARGIN_S, lifetime / 5)
        self._access = str(answer["access_token"])
        self._refresh = str(answer["refresh_token"])
        self._deadline = self.clock.monotonic() + lifetime - margin

    def _signed_out(self, code: str) -> None:
        with self._lock:
            had_session = self._refresh is not None
            self._access, self._deadline, self._refresh = None, 0.0, None
        if had_session:
            log.warning("session ended by the server (%s): signing out", code)
            self._on_signed_out(code)
