"""Personal-data use cases: the record of a day key's destruction (the retention sweep)."""

from __future__ import annotations

from datetime import date, datetime

from domain.context import AuditContext
from domain.day_key import DayKey, day_key_id
from domain.ledger.base import LedgerBase, Written


class PersonalDataCommands(LedgerBase):
    def record_day_key_destroyed(
        self, day: date, retention_days: int, now: datetime, ctx: AuditContext
    ) -> Written[bool]:
        """Records that ``day``'s key was destroyed; False (nothing appended) if recorded before."""
        if self.find(DayKey, day_key_id(day)) is not None:
            return Written(False, None)
        return self.commit(True, DayKey.destroyed(day, retention_days, now, ctx))
