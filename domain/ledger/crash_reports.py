"""Crash report use cases: record a report a desktop client sends, once (a report sent again is a replay)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.context import AuditContext
from domain.crash_report import CrashDetails, CrashReport, Reporter
from domain.ledger.base import LedgerBase, Written, retried


class CrashReportCommands(LedgerBase):
    def crash_report(self, crash_id: UUID) -> CrashReport:
        return self.load(CrashReport, crash_id, "crash report")

    def crash_report_id(self, account_id: UUID, report_id: UUID) -> UUID:
        """The report's aggregate id: a keyed HMAC of the account and the id the client made (the same
        report id from another account is another report)."""
        return self.digests.index_id("index/crash-report", f"{account_id}|{report_id}")

    @retried
    def report_crash(
        self, reporter: Reporter, details: CrashDetails, now: datetime, ctx: AuditContext
    ) -> Written[UUID]:
        """Records one ``CrashReport.Reported``; a report id this account already sent appends nothing
        and answers ``replayed`` (a concurrent second send loses the race and is replayed on retry)."""
        crash_id = self.crash_report_id(reporter.account_id, details.report_id)
        if self.find(CrashReport, crash_id) is not None:
            return Written(crash_id, None, replayed=True)
        report = CrashReport.report(crash_id=crash_id, details=details, reporter=reporter, now=now, ctx=ctx)
        return self.commit(crash_id, report)
