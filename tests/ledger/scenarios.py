"""Givens for the ledger tests, built through the ledger itself, and ways to read what a command wrote."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.context import AuditContext
from domain.fingerprints import Components
from domain.ledger.licenses import IssuedKey
from domain.ledger.service import Ledger
from domain.roles import Role

PASSWORD = "correct horse"


def registered(
    ledger: Ledger, now: datetime, ctx: AuditContext, username: str = "alice", role: Role = Role.USER
) -> UUID:
    return ledger.register(username, PASSWORD, role, now, ctx).value


def issued_key(
    ledger: Ledger,
    now: datetime,
    ctx: AuditContext,
    *,
    days: int = 30,
    tier: Role = Role.USER,
    device_limit: int = 1,
) -> IssuedKey:
    return ledger.issue_licenses(1, days, tier, device_limit, "test", now, ctx).value[0]


def fingerprint(machine: int, size: int = 10) -> Components:
    """``size`` hardware components, every one unique to ``machine``."""
    return {f"c{i:02d}": f"{machine:08x}{i:08x}" for i in range(size)}


def drifted(components: Components, changed: int) -> Components:
    """The same machine with ``changed`` of its components now read differently."""
    names = sorted(components)[:changed]
    return {name: ("e" * 16 if name in names else value) for name, value in components.items()}


def head(ledger: Ledger) -> int:
    """The notification id of the last event in the store (0 when empty)."""
    return ledger.recorder.max_notification_id() or 0


def appended(ledger: Ledger, after: int) -> list[str]:
    """The event classes (``Account.Banned``) appended after notification ``after``, in order."""
    notifications = ledger.recorder.select_notifications(start=after + 1, limit=10_000)
    return [n.topic.split(":", 1)[1] for n in notifications]


def events(ledger: Ledger, aggregate_id: UUID) -> list[Any]:
    """The stored events of one aggregate, oldest first."""
    return list(ledger.events.get(aggregate_id))


def last_event(ledger: Ledger, aggregate_id: UUID) -> Any:
    return events(ledger, aggregate_id)[-1]
