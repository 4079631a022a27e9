"""What the client remembers that is not secret: the server, the device id, the latest lease and the
times it has seen, the JWKS key, the last verified ledger checkpoint. One JSON file per application,
written atomically with mode 0600 (it holds personal data: a username and a device id)."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("keyledger_client.state")

HOME_VARIABLE = "KEYLEDGER_CLIENT_HOME"
STATE_FILE = "state.json"


@dataclass
class LocalState:
    server: str | None = None
    username: str | None = None
    device_id: str | None = None
    session_id: str | None = None
    remembered: bool = False
    license_expiry: datetime | None = None
    jwks: dict[str, Any] | None = None
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


DATETIMES = frozenset(f.name for f in fields(LocalState) if "datetime" in str(f.type))


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
    def __init__(self, directory: Path) -> None:
        self.path = directory / STATE_FILE

    def load(self) -> LocalState:
        """The saved state; a missing or damaged file is a fresh state (and says so in the log)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            known = {f.name for f in fields(LocalState)}
            values = {k: _decode(k, v) for k, v in raw.items() if k in known}
            return LocalState(**values)
        except FileNotFoundError:
            return LocalState()
        except (OSError, ValueError, TypeError) as error:
            log.warning("ignoring unreadable state file %s: %s", self.path, type(error).__name__)
            return LocalState()

    def save(self, state: LocalState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(state).items()}
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1, sort_keys=True)
        os.replace(temporary, self.path)


def _decode(name: str, value: Any) -> Any:
    if name in DATETIMES and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value
