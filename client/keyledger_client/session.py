"""Login, resume, logout: the device identity sent at login, the secrets kept in the keyring (only what
"remember me" allowed), and the clean sign-out when the server ends the session."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keyledger_client.credentials import REFRESH_TOKEN, SecretStore
from keyledger_client.device_keys import load_or_create
from keyledger_client.errors import KeyledgerError, KeyringUnavailable, NotLoggedIn
from keyledger_client.fingerprint import Readers, fingerprint
from keyledger_client.state import LocalState, StateFile
from keyledger_client.tokens import Answer, Tokens
from keyledger_client.transport import Api
from keyledger_client.types import Clock

log = logging.getLogger("keyledger_client.session")


@dataclass(frozen=True)
class LoginResult:
    device_id: str
    session_id: str
    license_expiry: datetime | None
    remembered: bool


def parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


class Session:
    """One desktop session's credentials and the local state that goes with them."""

    def __init__(
        self,
        api: Api,
        clock: Clock,
        secrets: SecretStore,
        state_file: StateFile,
        state: LocalState,
        *,
        salt: bytes,
        readers: Readers | None,
        on_signed_out: Callable[[str], None],
        post_quantum: bool = False,
    ) -> None:
        self.api, self.secrets, self.state_file = api, secrets, state_file
        self.post_quantum = post_quantum
        self.salt, self.readers = salt, readers
        self.lock = threading.RLock()
        self.state = state
        self._notify_signed_out = on_signed_out
        self.tokens = Tokens(api, clock, on_rotated=self._rotated, on_signed_out=self._signed_out)

    def login(
        self, username: str, password: str, *, remember: bool, nickname: str | None, client_version: str
    ) -> LoginResult:
        """Logs in with this device's fingerprint and public key (the key pair is made the first time)."""
        # raises KeyringUnavailable before the password is sent
        device_key = load_or_create(self.secrets, post_quantum=self.post_quantum)
        components = fingerprint(self.salt, self.readers)
        body: dict[str, Any] = {
            "username": username,
            "password": password,
            "fingerprint": {"components": components},
            "public_key": device_key.public_hex,
            "public_key_suite": device_key.suite,
            "client_version": client_version,
        }
        if nickname:
            body["nickname"] = nickname
        answer = self.api.request("POST", "/auth/client/login", json=body)
        self.tokens.install(answer)
        with self.lock:
            if remember:
                self.secrets.put(REFRESH_TOKEN, str(answer["refresh_token"]))
            else:
                self.secrets.delete(REFRESH_TOKEN)
            state = self.state
            state.server, state.username, state.remembered = self.api.base_url, username, remember
            state.device_id, state.session_id = str(answer["device_id"]), str(answer["session_id"])
            state.license_expiry = parse_time(answer.get("license_expiry"))
            state.component_names = sorted(components)
            self.save()
        log.info("logged in: device %s, remembered=%s", state.device_id, remember)
        return LoginResult(state.device_id, state.session_id, state.license_expiry, remember)

    def resume(self) -> bool:
        """Picks up a remembered session from the keyring; False when there is none."""
        with self.lock:
            if self.tokens.signed_in:
                return True
            if not self.state.remembered or self.state.session_id is None:
                return False
            token = self.secrets.get(REFRESH_TOKEN)
            if token is None:
                return False
            self.tokens.resume(token)
            return True

    def require(self) -> None:
        if not self.resume():
            raise NotLoggedIn("not logged in: log in first")

    def logout(self) -> None:
        """Closes the session on the server when it can be reached, and forgets it here in any case."""
        try:
            if self.resume():
                self.tokens.authorized("POST", "/auth/client/logout")
        except KeyledgerError as error:
            log.warning("logout: the server did not confirm (%s); forgetting the session here", error)
        finally:
            self.tokens.clear()
            self._forget()

    def save(self) -> None:
        with self.lock:
            self.state_file.save(self.state)

    def _rotated(self, answer: Answer) -> None:
        with self.lock:
            if self.state.remembered:
                self.secrets.put(REFRESH_TOKEN, str(answer["refresh_token"]))
            self.state.license_expiry = parse_time(answer.get("license_expiry"))
            self.save()

    def _signed_out(self, code: str) -> None:
        self._forget()
        self._notify_signed_out(code)

    def _forget(self) -> None:
        with self.lock:
            try:
                self.secrets.delete(REFRESH_TOKEN)
            except KeyringUnavailable:
                log.warning("cannot delete the refresh token: no keyring (it was never stored)")
            self.state.forget_session()
            self.save()
