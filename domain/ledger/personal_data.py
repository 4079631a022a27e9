"""Personal-data use cases: the record of an access export and of a day key's destruction (the retention
sweep)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from domain.account import Account
from domain.context import AuditContext
from domain.day_key import DayKey, day_key_id
from domain.ledger.base import LedgerBase, Written, retried


class PersonalDataCommands(LedgerBase):
    @retried
    def record_personal_data_export(
        self, account_id: UUID, event_count: int, now: datetime, ctx: AuditContext
    ) -> Written[None]:
        """Records ``Account.PersonalDataExported``: ``ctx``'s actor read the account's personal data out."""
        account = self.load(Account, account_id, "account")
        account.record_export(event_count, now, ctx)
        return self.commit(None, account)

    def record_day_key_destroyed(
        self, day: date, retention_days: int, now: datetime, ctx: AuditContext
    ) -> Written[bool]:
        """Records that ``day``'s key was destroyed; False (nothing appended) if recorded before."""
        if self.find(DayKey, day_key_id(day)) is not None:
            return Written(False, None)
        return self.commit(True, DayKey.destroyed(day, retention_days, now, ctx))
