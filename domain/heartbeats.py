"""Heartbeats and presence: how often a desktop client reports, how long its license stays valid offline,
when a device counts as online, and what a heartbeat answers. Heartbeats are not events (they would
dominate the log): they update presence, derived state behind the ``Presence`` port (Redis, or this
process), which the policies worker turns into ``HeartbeatLost``/``HeartbeatResumed`` events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.roles import RANK, Role

NEXT_HEARTBEAT = timedelta(seconds=300)
GRACE = timedelta(seconds=1800)  # a lease, and a device's silence before HeartbeatLost
ONLINE_WINDOW = 2 * NEXT_HEARTBEAT  # heard from within two heartbeat intervals


@dataclass(frozen=True)
class Seen:
    """When a device was last heard from, from where and with which client version."""

    at: datetime
    client_ip: str | None
    client_version: str | None


class Presence(Protocol):
    def touch(self, device_id: UUID, seen: Seen) -> None: ...

    def last_seen(self, device_id: UUID) -> Seen | None: ...

    def online_count(self, since: datetime) -> int:
        """Devices heard from at or after ``since``."""
        ...


def is_online(seen: Seen | None, now: datetime) -> bool:
    return seen is not None and seen.at >= now - ONLINE_WINDOW


def is_silent(seen: Seen, now: datetime, grace: timedelta = GRACE) -> bool:
    """Silent for longer than the grace period: its lease has run out."""
    return seen.at < now - grace


@dataclass(frozen=True)
class LicenseState:
    """What a heartbeat reports: valid, or the reason code why not, and the expiry."""

    valid: bool
    code: str | None
    expires_at: datetime | None


def lease_tier(role: Role) -> str:
    """The license tier a lease states (what plugins are judged by): ``vip`` for a vip account and for
    an admin, ``user`` for everyone else."""
    return Role.VIP.value if RANK[role] >= RANK[Role.VIP] else Role.USER.value


def verdict(
    session_open: bool, account_expiry: datetime | None, license_state: Callable[[], LicenseState]
) -> LicenseState:
    """An open session reports its account's license; a session closed because its device was released
    (the only closed session a heartbeat is still answered for) reports ``device_released``."""
    if session_open:
        return license_state()
    return LicenseState(False, "device_released", account_expiry)
