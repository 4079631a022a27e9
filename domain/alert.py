"""The Alert aggregate: a suspicious pattern seen in the event stream (one address failing against many
accounts, one account failing from many addresses, rapid fingerprint churn). Its id is derived from the
kind, the subject and the time window, so a pattern is raised once per window however often it is seen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData


class AlertKind(StrEnum):
    IP_MANY_ACCOUNTS = "ip_many_accounts"
    ACCOUNT_MANY_IPS = "account_many_ips"
    FINGERPRINT_CHURN = "fingerprint_churn"


class Alert(Aggregate):
    class Raised(Aggregate.Created):
        kind: str
        subject: str
        count: int
        window_start: datetime
        context: ContextData

    class Acknowledged(Aggregate.Event):
        context: ContextData

    @event(Raised)
    def __init__(
        self, kind: str, subject: str, count: int, window_start: datetime, context: ContextData
    ) -> None:
        self.kind = AlertKind(kind)
        self.subject = subject
        self.count = count
        self.window_start = window_start
        self.acknowledged_by: str | None = None

    @classmethod
    def raise_alert(
        cls,
        *,
        alert_id: UUID,
        kind: AlertKind,
        subject: str,
        count: int,
        window_start: datetime,
        now: datetime,
        ctx: AuditContext,
    ) -> Alert:
        return cls._create(
            cls.Raised,
            id=alert_id,
            kind=kind.value,
            subject=subject,
            count=count,
            window_start=window_start,
            context=ctx.as_event_data(),
            timestamp=now,
        )

    def acknowledge(self, now: datetime, ctx: AuditContext) -> bool:
        """Marks the alert seen by someone; False (nothing appended) if it already was."""
        if self.acknowledged_by is not None:
            return False
        self._acknowledged(context=ctx.as_event_data(), timestamp=now)
        return True

    @event(Acknowledged)
    def _acknowledged(self, context: ContextData, timestamp: datetime) -> None:
        self.acknowledged_by = str(context.get("actor", ""))

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "kind": self.kind.value,
            "subject": self.subject,
            "count": self.count,
            "window_start": self.window_start.isoformat(),
        }
