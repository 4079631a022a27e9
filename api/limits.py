"""The API's rate limits and their failure policy per route, over the shared limiter (Redis) with an
in-process fallback. Login (10 per 5 min per client address and per account) is checked before any
password hashing; the general limit counts per principal (token, session or address). When Redis fails,
login falls back to a strict in-process limit, general traffic and heartbeats fail open, downloads fail
closed. After Redis comes back empty, the login and download windows are rebuilt from the ledger's recent
events (failed and successful logins; ``Download.Downloaded``)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from api.client_address import limit_key
from api.problems import ApiError
from domain.rate_windows import Decision, Limit, LimiterUnavailable
from projections import audit_index
from projections.store import ReadStore

RESEED_CHECK_S = 1.0
# Each attempt counts once per window: a failure is on the address (IpAddress) and on the account
# (Account) as separate events; a success (Account.LoggedIn) counts on both.
ADDRESS_EVENTS = ("IpAddress.LoginFailed", "Account.LoggedIn")
ACCOUNT_EVENTS = ("Account.LoginFailed", "Account.LoggedIn")


class Limiter(Protocol):
    """Where windows are kept: Redis (shared by every process) or this process (``adapters``)."""

    def hit(self, key: str, limit: Limit, now: float) -> Decision: ...

    def hit_with(
        self, key: str, limit: Limit, now: float, reads: Sequence[str]
    ) -> tuple[Decision, list[bytes | None]]:
        """``hit``, and the values of the shared keys ``reads`` in the same round trip: one per key when the
        check admits and this limiter keeps those keys, else none (the caller reads them itself)."""
        ...

    def seed(self, key: str, limit: Limit, hits: Iterable[tuple[str, float]], now: float) -> None:
        """Adds hits recorded elsewhere (the ledger's events: a unique id and a time) to a window, as after
        a restart; seeding the same hits twice adds nothing."""
        ...

    def is_seeded(self) -> bool: ...

    def mark_seeded(self) -> None: ...


class OnFailure(StrEnum):
    STRICT_LOCAL = "strict_local"
    OPEN = "open"
    CLOSED = "closed"


def parse_limit(name: str, text: str) -> Limit:
    count, seconds = text.split("/", 1)
    return Limit(name, int(count), float(seconds))


def strict(limit: Limit) -> Limit:
    """The in-process stand-in while Redis is down: half the count (each process counts alone)."""
    return Limit(limit.name, max(1, limit.count // 2), limit.period_s)


class RateLimits:
    def __init__(
        self,
        shared: Limiter,
        local: Limiter,
        login: Limit,
        api: Limit,
        download: Limit,
        store: ReadStore,
        on_limited: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.shared, self.local = shared, local
        self.login_limit, self.api_limit, self.download_limit = login, api, download
        self.store, self.on_limited = store, on_limited
        self._checked_seed_at = 0.0
        self._seed_lock = threading.Lock()

    def login(self, address_key: str, account_key: str, route: str, now: datetime) -> None:
        """Both login windows (client address, account); raises 429 before any hashing is done."""
        self._ensure_seeded(now)
        for key in (f"ip:{address_key}", f"account:{account_key}"):
            self._check(key, self.login_limit, OnFailure.STRICT_LOCAL, route, now)

    def api(self, principal: str, route: str, now: datetime, reads: Sequence[str] = ()) -> list[bytes | None]:
        """The general limit; with ``reads``, their values read in the same round trip when the shared
        limiter keeps them (else none: the caller reads them itself)."""
        return self._check(principal, self.api_limit, OnFailure.OPEN, route, now, reads)

    def download(self, account_key: str, route: str, now: datetime) -> None:
        self._ensure_seeded(now)
        self._check(f"account:{account_key}", self.download_limit, OnFailure.CLOSED, route, now)

    def _check(
        self,
        key: str,
        limit: Limit,
        on_failure: OnFailure,
        route: str,
        now: datetime,
        reads: Sequence[str] = (),
    ) -> list[bytes | None]:
        stamp, values = now.timestamp(), list[bytes | None]()
        try:
            decision, values = self.shared.hit_with(key, limit, stamp, reads)
        except LimiterUnavailable:
            if on_failure is OnFailure.OPEN:
                return []
            if on_failure is OnFailure.CLOSED:
                raise ApiError(
                    503,
                    "limiter_unavailable",
                    "rate limiting is unavailable; try again shortly",
                    {"Retry-After": "5"},
                ) from None
            decision = self.local.hit(key, strict(limit), stamp)
        if not decision.allowed:
            self.on_limited(route)
            retry = max(1, math.ceil(decision.retry_after_s))
            raise ApiError(
                429, "rate_limited", f"too many requests; retry in {retry} s", {"Retry-After": str(retry)}
            )
        return values

    def _ensure_seeded(self, now: datetime) -> None:
        """Rebuilds the login and download windows from the ledger when the shared limiter has lost them
        (checked at most once a second per process)."""
        if time.monotonic() - self._checked_seed_at < RESEED_CHECK_S:
            return
        with self._seed_lock:
            self._checked_seed_at = time.monotonic()
            try:
                if self.shared.is_seeded():
                    return
                self._seed(now)
                self.shared.mark_seeded()
            except LimiterUnavailable:
                return

    def _seed(self, now: datetime) -> None:
        stamp = now.timestamp()
        since = datetime.fromtimestamp(stamp - self.login_limit.period_s, now.tzinfo)
        with self.store.snapshot() as tx:
            attempts = audit_index.login_attempts(tx, since)
        windows: dict[str, list[tuple[str, float]]] = {}
        for position, event_type, aggregate_id, client_ip, at in attempts:
            if client_ip and event_type in ADDRESS_EVENTS:
                windows.setdefault(f"ip:{limit_key(client_ip)}", []).append((str(position), at))
            if event_type in ACCOUNT_EVENTS:
                windows.setdefault(f"account:{aggregate_id}", []).append((str(position), at))
        for key, hits in windows.items():
            self.shared.seed(key, self.login_limit, hits, stamp)
        self._seed_downloads(now)

    def _seed_downloads(self, now: datetime) -> None:
        since = datetime.fromtimestamp(now.timestamp() - self.download_limit.period_s, now.tzinfo)
        with self.store.snapshot() as tx:
            granted = audit_index.downloads_since(tx, since)
        windows: dict[str, list[tuple[str, float]]] = {}
        for position, account, at in granted:
            windows.setdefault(f"account:{account}", []).append((str(position), at))
        for key, hits in windows.items():
            self.shared.seed(key, self.download_limit, hits, now.timestamp())
