"""The DayKey aggregate: the record that one UTC day's personal-data key was destroyed when its retention
period ended. Its id is derived from the day, so a day's key is destroyed (and recorded) once. The key
itself lives beside the ledger, never in it; this event carries no personal data."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.context import AuditContext, ContextData

DAY_KEY_NAMESPACE = UUID("5b0f3c1e-6a8d-4f57-9a0e-6c1d2b7e4a90")


def day_key_id(day: date) -> UUID:
    return uuid5(DAY_KEY_NAMESPACE, f"day-key/{day.isoformat()}")


class DayKey(Aggregate):
    class Destroyed(Aggregate.Created):
        day: str
        retention_days: int
        context: ContextData

    @event(Destroyed)
    def __init__(self, day: str, retention_days: int, context: ContextData) -> None:
        self.day = day
        self.retention_days = retention_days

    @classmethod
    def destroyed(cls, day: date, retention_days: int, now: datetime, ctx: AuditContext) -> DayKey:
        return cls._create(
            cls.Destroyed,
            id=day_key_id(day),
            day=day.isoformat(),
            retention_days=retention_days,
            context=ctx.without_personal_data().as_event_data(),
            timestamp=now,
        )
