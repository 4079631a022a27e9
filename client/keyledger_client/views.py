"""What the CLI shows: Rich tables of the license status and of this device."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table

from keyledger_client.client import KeyledgerClient
from keyledger_client.device_keys import load
from keyledger_client.errors import KeyringUnavailable
from keyledger_client.messages import for_status
from keyledger_client.session import parse_time
from keyledger_client.types import LicenseStatus


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "—"


def pairs_table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for name, value in rows:
        table.add_row(name, value)
    return table


def status_table(client: KeyledgerClient, status: LicenseStatus) -> Table:
    state = client.state
    license_line = "[green]valid[/green]" if status.valid else f"[red]not valid[/red]: {for_status(status)}"
    mode = "online" if status.online else "[yellow]offline (grace period)[/yellow]"
    return pairs_table(
        "Keyledger license",
        [
            ("Server", state.server or "—"),
            ("User", state.username or "—"),
            ("License", license_line),
            ("License expiry", when(status.license_expiry or state.license_expiry)),
            ("Device", state.device_id or "—"),
            ("Lease valid until", when(status.lease_expires_at)),
            ("Last heartbeat", when(state.last_heartbeat)),
            ("Mode", mode),
        ],
    )


def device_table(client: KeyledgerClient) -> Table:
    state = client.state
    try:
        key = load(client.session.secrets)
        public = key.public_hex if key else "none yet (made at the first login)"
        if key is not None and len(public) > 64:
            public = f"{key.suite} {public[:32]}…"
    except KeyringUnavailable:
        public = "unknown (no keyring)"
    return pairs_table(
        "This device",
        [
            ("Device id", state.device_id or "not bound yet"),
            ("Server", state.server or "—"),
            ("User", state.username or "—"),
            ("Fingerprint components", ", ".join(state.component_names) or "—"),
            ("Public key (X25519)", public),
            ("Last heartbeat", when(state.last_heartbeat)),
        ],
    )


def account_devices_table(answer: dict[str, Any]) -> Table:
    """The account's devices as the server lists them, the current one marked."""
    devices = answer.get("devices", [])
    table = Table(
        title=f"Devices of this account ({len(devices)} of {answer.get('device_limit', '?')} slots)"
    )
    for column in ("", "Nickname", "Client", "Online", "Last seen", "Device id"):
        table.add_column(column)
    for device in devices:
        table.add_row(
            "▶" if device.get("current") else "",
            str(device.get("nickname", "")),
            str(device.get("client_version", "")),
            "yes" if device.get("online") else "no",
            when(parse_time(device.get("last_seen"))),
            str(device.get("id", "")),
        )
    return table
