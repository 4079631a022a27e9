"""The SDK's shared vocabulary: the clock it reads, the license status it reports, the callbacks the
application registers, the notices plugins send."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

# Reasons the client decides itself; the server's reason codes (license_expired, license_suspended,
# no_license, device_released) and problem codes (account_banned, session_closed, ...) pass through.
GRACE_EXPIRED = "grace_expired"
CLOCK_ROLLBACK = "clock_rollback"
NO_LEASE = "no_lease"
STATE_TAMPERED = "state_tampered"  # the saved state's seal did not verify: no lease until a heartbeat


class Clock(Protocol):
    def now(self) -> datetime:
        """The wall clock, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start; never goes back."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(frozen=True)
class LicenseStatus:
    """Whether the application may run now, and why not."""

    valid: bool
    reason: str | None
    license_expiry: datetime | None
    lease_expires_at: datetime | None
    online: bool
    server_time: datetime | None = None
    tier: str | None = None
    """the license tier (user, vip) when the lease says; None when it does not"""


@dataclass(frozen=True)
class PluginNotice:
    """A notification a plugin asks the application to show."""

    plugin: str
    title: str
    body: str


@dataclass(frozen=True)
class Callbacks:
    """What the application is told. Callbacks run on the heartbeat thread; an exception in one is logged
    and does not stop the heartbeats."""

    on_invalid: Callable[[LicenseStatus], None] | None = None
    """the license is not (or no longer) valid: a server reason, the grace period ended, clock rollback,
    a saved state that was edited (``state_tampered``)"""
    on_signed_out: Callable[[str], None] | None = None
    """the session ended (banned, revoked, refresh token reused, expired); the argument is the code"""
    on_witness_alarm: Callable[[Exception], None] | None = None
    """the ledger's history is not consistent with a checkpoint verified before"""
    on_error: Callable[[BaseException], None] | None = None
    """an unexpected error in the background (already logged); heartbeats go on"""
    on_plugin_notice: Callable[[PluginNotice], None] | None = None
    """a plugin's ``notify(title, body)``, on the thread running the plugin; return quickly (the time
    counts against the plugin's timeout)"""
