"""Offline grace: the latest lease keeps the license valid until its end while the server cannot be
reached; after that the application is told.

Time is judged as the server's time: this machine's clock plus the offset measured when the lease
arrived, so a skewed clock neither shortens nor stretches the grace. A clock rolled back below the latest
time already seen (the server's time, or a later moment this client observed) is detected and never
extends the grace; within one process a monotonic deadline bounds the grace whatever the wall clock
says. The times saved with the lease are believed only under the state's seal (``state_seal``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from keyledger_client.lease import Lease
from keyledger_client.state import LocalState
from keyledger_client.types import (
    CLOCK_ROLLBACK,
    GRACE_EXPIRED,
    NO_LEASE,
    STATE_TAMPERED,
    Clock,
    LicenseStatus,
)

ROLLBACK_TOLERANCE = timedelta(seconds=60)


def judge(lease: Lease | None, trusted_now: datetime, high_water: datetime | None) -> str | None:
    """Why the lease does not make the license valid at ``trusted_now`` (server time), or None."""
    if lease is None:
        return NO_LEASE
    if high_water is not None and trusted_now < high_water - ROLLBACK_TOLERANCE:
        return CLOCK_ROLLBACK
    if not lease.valid:
        return lease.code or "license_invalid"
    if trusted_now >= lease.expires_at:
        return GRACE_EXPIRED
    if lease.license_expiry is not None and trusted_now >= lease.license_expiry:
        return "license_expired"
    return None


@dataclass
class Received:
    lease: Lease
    server_time: datetime
    local_time: datetime
    monotonic_deadline: float | None  # None when the lease was loaded from disk


class Grace:
    """The latest verified lease and the times needed to judge it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.received: Received | None = None
        self.high_water: datetime | None = None
        self.tampered = False  # the saved state was edited: say so until a lease arrives

    def accept(self, lease: Lease, server_time: datetime) -> None:
        """A lease just verified, with the server time of the answer that carried it."""
        left = (lease.expires_at - server_time).total_seconds()
        self.received = Received(lease, server_time, self.clock.now(), self.clock.monotonic() + left)
        self.tampered = False
        self.high_water = max(filter(None, (self.high_water, server_time)))

    def trusted_now(self) -> datetime:
        """Server time now, as far as this machine can tell."""
        now = self.clock.now()
        if self.received is None:
            return now
        return now + (self.received.server_time - self.received.local_time)

    def status(self, *, online: bool = False) -> LicenseStatus:
        """The license as the latest lease says; moves the high-water mark forward."""
        trusted = self.trusted_now()
        lease = self.received.lease if self.received else None
        reason = judge(lease, trusted, self.high_water)
        if reason == NO_LEASE and self.tampered:
            reason = STATE_TAMPERED
        if reason is None and self._monotonic_expired():
            reason = GRACE_EXPIRED
        if reason != CLOCK_ROLLBACK:
            self.high_water = max(filter(None, (self.high_water, trusted)))
        return LicenseStatus(
            valid=reason is None,
            reason=reason,
            license_expiry=lease.license_expiry if lease else None,
            lease_expires_at=lease.expires_at if lease else None,
            online=online,
            server_time=self.received.server_time if self.received else None,
            tier=lease.tier if lease else None,
        )

    def _monotonic_expired(self) -> bool:
        deadline = self.received.monotonic_deadline if self.received else None
        return deadline is not None and self.clock.monotonic() >= deadline

    def forget(self) -> None:
        self.received = None

    def save_to(self, state: LocalState) -> None:
        received = self.received
        state.lease = received.lease.token if received else None
        state.lease_server_time = received.server_time if received else None
        state.lease_local_time = received.local_time if received else None
        state.high_water = self.high_water

    def load_from(self, state: LocalState, lease: Lease | None) -> None:
        """Restores a lease verified from disk (no monotonic deadline: that was another process)."""
        self.high_water = state.high_water
        if lease is not None and state.lease_server_time and state.lease_local_time:
            self.received = Received(lease, state.lease_server_time, state.lease_local_time, None)
