"""The Session aggregate: a web or desktop login. A desktop session is a refresh-token family: each
refresh rotates the token; presenting a superseded token closes the whole family."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData
from domain.digests import Digests
from domain.errors import InvalidInput


class SessionKind(StrEnum):
    WEB = "web"
    DESKTOP = "desktop"


class CloseReason(StrEnum):
    LOGOUT = "logout"
    BAN = "ban"
    REVOKE = "revoke"
    REUSE = "reuse"
    EXPIRED = "expired"
    DEVICE_RELEASED = "device_released"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 -- a close reason, not a password


class RefreshOutcome(StrEnum):
    ROTATED = "rotated"
    REUSED = "reused"
    EXPIRED = "expired"
    CLOSED = "closed"
    UNKNOWN = "unknown"


ABSOLUTE_LIFETIME = timedelta(days=7)
REFRESH_GRACE = timedelta(seconds=30)


def parse_kind(value: str) -> SessionKind:
    try:
        return SessionKind(value)
    except ValueError:
        raise InvalidInput("kind", "web or desktop") from None


class Session(Aggregate):
    class Opened(Aggregate.Created):
        account_id: UUID
        kind: str
        device_id: UUID | None
        token_digest: str
        expires_at: datetime
        context: ContextData

    class Rotated(Aggregate.Event):
        token_digest: str
        context: ContextData

    class GraceRotated(Aggregate.Event):
        token_digest: str
        context: ContextData

    class Closed(Aggregate.Event):
        reason: str
        context: ContextData

    @event(Opened)
    def __init__(
        self,
        account_id: UUID,
        kind: str,
        device_id: UUID | None,
        token_digest: str,
        expires_at: datetime,
        context: ContextData,
    ) -> None:
        self.account_id = account_id
        self.kind = SessionKind(kind)
        self.device_id = device_id
        self.token_digest = token_digest
        self.expires_at = expires_at
        self.previous_digest: str | None = None
        self.rotated_at: datetime | None = None
        self.superseded: list[str] = []
        self.closed_reason: CloseReason | None = None

    @classmethod
    def open(
        cls,
        *,
        session_id: UUID,
        account_id: UUID,
        kind: SessionKind,
        device_id: UUID | None,
        token_digest: str,
        lifetime: timedelta,
        now: datetime,
        ctx: AuditContext,
    ) -> Session:
        if kind is SessionKind.DESKTOP and device_id is None:
            raise InvalidInput("device_id", "a desktop session belongs to a device")
        return cls._create(
            cls.Opened,
            id=session_id,
            account_id=account_id,
            kind=kind.value,
            device_id=device_id,
            token_digest=token_digest,
            expires_at=now + min(lifetime, ABSOLUTE_LIFETIME),
            context=ctx.as_event_data(),
            timestamp=now,
        )

    @property
    def is_open(self) -> bool:
        return self.closed_reason is None

    def is_valid(self, now: datetime) -> bool:
        """Open and within its absolute lifetime."""
        return self.is_open and now < self.expires_at

    def holds(self, token_digest: str) -> bool:
        """The presented token is this session's current one."""
        return Digests.same(self.token_digest, token_digest)

    def refresh(self, presented: str, new_digest: str, now: datetime, ctx: AuditContext) -> RefreshOutcome:
        """Rotates on the current token (or the previous one within the grace window); a superseded token
        closes the family. The outcome says which; events are pending for the caller to save."""
        if not self.is_open:
            return RefreshOutcome.CLOSED
        if now >= self.expires_at:
            self.close(CloseReason.EXPIRED, now, ctx)
            return RefreshOutcome.EXPIRED
        if self.holds(presented):
            self._rotated(token_digest=new_digest, context=ctx.as_event_data(), timestamp=now)
            return RefreshOutcome.ROTATED
        if self._in_grace(presented, now):
            self._grace_rotated(token_digest=new_digest, context=ctx.as_event_data(), timestamp=now)
            return RefreshOutcome.ROTATED
        if any(Digests.same(old, presented) for old in self._spent()):
            self.close(CloseReason.REUSE, now, ctx)
            return RefreshOutcome.REUSED
        return RefreshOutcome.UNKNOWN

    def _spent(self) -> list[str]:
        """Every token this family has rotated away from, the previous one included once out of grace."""
        return [*self.superseded, *([self.previous_digest] if self.previous_digest is not None else [])]

    def _in_grace(self, presented: str, now: datetime) -> bool:
        return (
            self.previous_digest is not None
            and self.rotated_at is not None
            and Digests.same(self.previous_digest, presented)
            and now - self.rotated_at <= REFRESH_GRACE
        )

    def close(self, reason: CloseReason, now: datetime, ctx: AuditContext) -> bool:
        """Closes an open session; returns whether it was open."""
        if not self.is_open:
            return False
        self._closed(reason=reason.value, context=ctx.as_event_data(), timestamp=now)
        return True

    @event(Rotated)
    def _rotated(self, token_digest: str, context: ContextData, timestamp: datetime) -> None:
        if self.previous_digest is not None:
            self.superseded = [*self.superseded, self.previous_digest]
        self.previous_digest, self.token_digest, self.rotated_at = (
            self.token_digest,
            token_digest,
            timestamp,
        )

    @event(GraceRotated)
    def _grace_rotated(self, token_digest: str, context: ContextData, timestamp: datetime) -> None:
        """The previous token came back within the grace window (a lost response): the successor it was
        answered with before is superseded, so at most one chain of the family is ever alive (RFC 9700
        §4.14); the grace window still runs from the first rotation."""
        self.superseded = [*self.superseded, self.token_digest]
        self.token_digest = token_digest

    @event(Closed)
    def _closed(self, reason: str, context: ContextData, timestamp: datetime) -> None:
        self.closed_reason = CloseReason(reason)

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "account_id": str(self.account_id),
            "kind": self.kind.value,
            "device_id": str(self.device_id) if self.device_id else None,
            "expires_at": self.expires_at.isoformat(),
            "open": self.is_open,
            "closed_reason": self.closed_reason.value if self.closed_reason else None,
            "rotations": len(self.superseded) + (1 if self.previous_digest else 0),
            "version": self.version,
        }
