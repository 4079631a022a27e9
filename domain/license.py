"""The License aggregate: a key issued by an admin, activated once by one account, and its life after."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.errors import Conflict, InvalidInput, LicenseAlreadyActivated, LicenseNotActivatable
from domain.expiry import MAX_DAYS
from domain.roles import Role, check_device_limit, parse_tier

MAX_NOTE = 500


class LicenseStatus(StrEnum):
    AVAILABLE = "available"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


def check_days(days: int) -> int:
    if isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput("days", f"must be between 1 and {MAX_DAYS}")
    return days


def check_note(note: str) -> str:
    if len(note) > MAX_NOTE:
        raise InvalidInput("note", f"at most {MAX_NOTE} characters")
    if "\x00" in note:
        raise InvalidInput("note", "must not contain NUL characters")
    return note


class License(Aggregate):
    class Issued(Aggregate.Created):
        key_digest: str
        days: int
        tier: str
        device_limit: int
        note: str
        batch_id: UUID
        context: ContextData

    class Activated(Aggregate.Event):
        account_id: UUID
        context: ContextData

    class Extended(Aggregate.Event):
        days: int
        context: ContextData

    class Suspended(Aggregate.Event):
        context: ContextData

    class Reinstated(Aggregate.Event):
        context: ContextData

    class Revoked(Aggregate.Event):
        context: ContextData

    @event(Issued)
    def __init__(
        self,
        key_digest: str,
        days: int,
        tier: str,
        device_limit: int,
        note: str,
        batch_id: UUID,
        context: ContextData,
    ) -> None:
        self.key_digest = key_digest
        self.days = days
        self.tier = Role(tier)
        self.device_limit = device_limit
        self.note = note
        self.batch_id = batch_id
        self.account_id: UUID | None = None
        self.activated_at: datetime | None = None
        self.suspended = False
        self.revoked = False

    @classmethod
    def issue(
        cls,
        *,
        license_id: UUID,
        key_digest: str,
        days: int,
        tier: Role,
        device_limit: int,
        note: str,
        batch_id: UUID,
        now: datetime,
        ctx: AuditContext,
    ) -> License:
        return cls._create(
            cls.Issued,
            id=license_id,
            key_digest=key_digest,
            days=check_days(days),
            tier=parse_tier(tier).value,
            device_limit=check_device_limit(device_limit),
            note=check_note(note),
            batch_id=batch_id,
            context=ctx.as_event_data(),
            timestamp=now,
        )

    @property
    def status(self) -> LicenseStatus:
        if self.revoked:
            return LicenseStatus.REVOKED
        if self.suspended:
            return LicenseStatus.SUSPENDED
        return LicenseStatus.ACTIVE if self.account_id else LicenseStatus.AVAILABLE

    def activate(self, account_id: UUID, now: datetime, ctx: AuditContext) -> None:
        """A key activates once, and only while neither suspended nor revoked."""
        if self.account_id is not None:
            raise LicenseAlreadyActivated("this license key has already been activated")
        if self.revoked or self.suspended:
            raise LicenseNotActivatable(f"this license key is {self.status.value}")
        self._activated(account_id=account_id, context=ctx.as_event_data(), timestamp=now)

    def extend(self, days: int, now: datetime, ctx: AuditContext) -> None:
        if self.revoked:
            raise Conflict("a revoked license cannot be extended")
        self._extended(days=check_days(days), context=ctx.as_event_data(), timestamp=now)

    def suspend(self, now: datetime, ctx: AuditContext) -> None:
        if self.revoked or self.suspended:
            raise Conflict(f"this license is {self.status.value}")
        self._suspended(context=ctx.as_event_data(), timestamp=now)

    def reinstate(self, now: datetime, ctx: AuditContext) -> None:
        if self.revoked or not self.suspended:
            raise Conflict(f"this license is {self.status.value}, not suspended")
        self._reinstated(context=ctx.as_event_data(), timestamp=now)

    def revoke(self, now: datetime, ctx: AuditContext) -> None:
        if self.revoked:
            raise Conflict("this license is already revoked")
        self._revoked(context=ctx.as_event_data(), timestamp=now)

    @event(Activated)
    def _activated(self, account_id: UUID, context: ContextData, timestamp: datetime) -> None:
        self.account_id, self.activated_at = account_id, timestamp

    @event(Extended)
    def _extended(self, days: int, context: ContextData, timestamp: datetime) -> None:
        self.days += days

    @event(Suspended)
    def _suspended(self, context: ContextData, timestamp: datetime) -> None:
        self.suspended = True

    @event(Reinstated)
    def _reinstated(self, context: ContextData, timestamp: datetime) -> None:
        self.suspended = False

    @event(Revoked)
    def _revoked(self, context: ContextData, timestamp: datetime) -> None:
        self.revoked = True

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "status": self.status.value,
            "days": self.days,
            "tier": self.tier.value,
            "device_limit": self.device_limit,
            "note": self.note,
            "batch_id": str(self.batch_id),
            "account_id": str(self.account_id) if self.account_id else None,
            "activated_at": self.activated_at.isoformat() if self.activated_at else None,
            "version": self.version,
        }
