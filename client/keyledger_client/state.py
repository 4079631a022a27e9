"""What the client remembers that is not secret: the server, the device id, the latest lease and the
times it has seen, the lease keys learned from signed key sets, the last verified ledger checkpoint. One
JSON file per application, written atomically with mode 0600 (it holds personal data: a username and a
device id), sealed with a MAC whose key lives in the OS keyring (``state_seal``).

The file is readable and writable by its user, so nothing in it is believed without the seal: a state
whose seal does not verify keeps who and where (server, username, device, session: the next heartbeat
needs them) and loses everything it says about the license (``TRUST_FIELDS``). The client then reports
``state_tampered`` until a heartbeat brings a fresh lease."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from keyledger_client.state_seal import StateSeal

log = logging.getLogger("keyledger_client.state")

HOME_VARIABLE = "KEYLEDGER_CLIENT_HOME"
STATE_FILE = "state.json"
MAC_FIELD = "mac"


@dataclass
class LocalState:
    server: str | None = None
    username: str | None = None
    device_id: str | None = None
    session_id: str | None = None
    remembered: bool = False
    license_expiry: datetime | None = None
    lease_key_sets: list[dict[str, Any]] = field(default_factory=list)
    lease_keys_checked: datetime | None = None
    lease: str | None = None
    lease_server_time: datetime | None = None
    lease_local_time: datetime | None = None
    high_water: datetime | None = None
    last_heartbeat: datetime | None = None
    checkpoint: dict[str, Any] | None = None
    ledger_key: str | None = None
    component_names: list[str] = field(default_factory=list)

    def forget_session(self) -> None:
        """Signed out: the session, its lease and the times tied to it go; server and device stay."""
        self.session_id, self.remembered, self.lease = None, False, None
        self.lease_server_time = self.lease_local_time = self.last_heartbeat = None

    def forget_trust(self) -> None:
        """Everything the state says about the license and the keys, back to nothing."""
        fresh = LocalState()
        for name in TRUST_FIELDS:
            setattr(self, name, getattr(fresh, name))

    def trusts_anything(self) -> bool:
        fresh = LocalState()
        return any(getattr(self, name) != getattr(fresh, name) for name in TRUST_FIELDS)


DATETIMES = frozenset(f.name for f in fields(LocalState) if "datetime" in str(f.type))
IDENTITY_FIELDS = frozenset(
    {"server", "username", "device_id", "session_id", "remembered", "component_names"}
)
TRUST_FIELDS = tuple(f.name for f in fields(LocalState) if f.name not in IDENTITY_FIELDS)


def default_home(app_id: str) -> Path:
    """``$KEYLEDGER_CLIENT_HOME`` or the platform's per-user configuration folder."""
    if os.environ.get(HOME_VARIABLE):
        return Path(os.environ[HOME_VARIABLE]) / app_id
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "keyledger-client" / app_id


class StateFile:
    """``state.json`` in ``directory``; without a ``seal`` (tools that only read the server or the
    username) the license part of what it loads is never believed."""

    def __init__(self, directory: Path, seal: StateSeal | None = None) -> None:
        self.path = directory / STATE_FILE
        self.seal = seal
        self.tampered = False  # the last load found a seal that does not verify

    def load(self) -> LocalState:
        """The saved state; a missing or damaged file is a fresh state (and says so in the log)."""
        self.tampered = False
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            known = {f.name for f in fields(LocalState)}
            state = LocalState(**{k: _decode(k, v) for k, v in raw.items() if k in known})
            check_identity(state)
        except FileNotFoundError:
            return LocalState()
        except (OSError, ValueError, TypeError, AttributeError, RecursionError) as error:
            log.warning("ignoring unreadable state file %s: %s", self.path, type(error).__name__)
            return LocalState()
        if state.trusts_anything() and not self._sealed(raw):
            state.forget_trust()
        return state

    def save(self, state: LocalState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(state).items()}
        mac = self.seal.seal(data) if self.seal is not None and state.trusts_anything() else None
        if mac is not None:
            data[MAC_FIELD] = mac
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1, sort_keys=True)
        os.replace(temporary, self.path)

    def _sealed(self, raw: dict[str, Any]) -> bool:
        """Whether the seal of ``raw`` verifies; an unsealed file (an older client, no keyring) is not
        believed but is not tampering either."""
        mac = raw.get(MAC_FIELD)
        content = {k: v for k, v in raw.items() if k != MAC_FIELD}
        if isinstance(mac, str) and self.seal is not None and self.seal.verify(content, mac):
            return True
        self.tampered = mac is not None
        log.warning(
            "not believing the saved license state: %s", "its seal does not verify" if mac else "unsealed"
        )
        return False


def check_identity(state: LocalState) -> None:
    """``ValueError`` unless who and where have their types (they are kept even when not sealed)."""
    texts = (state.server, state.username, state.device_id, state.session_id)
    names = state.component_names
    if not all(t is None or isinstance(t, str) for t in texts) or not isinstance(state.remembered, bool):
        raise ValueError("identity fields of the wrong type")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError("component names of the wrong type")


def _decode(name: str, value: Any) -> Any:
    if name in DATETIMES and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value
