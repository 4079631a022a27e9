"""Crash reports in the ledger: one event per report; the same report sent again appends nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.context import AuditContext
from domain.crash_report import Reporter
from domain.errors import InvalidInput, NotFound
from domain.ledger.service import Ledger
from tests.domain.test_crash_report import DETAILS
from tests.ledger.scenarios import appended, head


def reporter(account: int = 1) -> Reporter:
    return Reporter(UUID(int=account), UUID(int=100 + account), UUID(int=200 + account))


def test_a_report_is_one_event(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Reporting a crash appends exactly one CrashReport.Reported, under a keyed id, at its position."""
    before = head(ledger)
    written = ledger.report_crash(reporter(), DETAILS, now, ctx)
    assert appended(ledger, before) == ["CrashReport.Reported"]
    assert (written.position, written.replayed) == (head(ledger), False)
    assert written.value == ledger.crash_report_id(UUID(int=1), DETAILS.report_id)
    assert written.value != DETAILS.report_id  # the client's id is never the raw key
    assert ledger.crash_report(written.value).details == DETAILS


def test_the_same_report_again_is_a_replay(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A report id this account already sent appends nothing and names the same report."""
    first = ledger.report_crash(reporter(), DETAILS, now, ctx)
    before = head(ledger)
    again = ledger.report_crash(reporter(), DETAILS, now + timedelta(minutes=1), ctx)
    assert (again.value, again.position, again.replayed) == (first.value, None, True)
    assert head(ledger) == before


def test_the_same_report_id_from_another_account_is_another_report(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """Report ids are the clients' own: another account's report with the same id is recorded apart."""
    first = ledger.report_crash(reporter(1), DETAILS, now, ctx)
    other = ledger.report_crash(reporter(2), DETAILS, now, ctx)
    assert not other.replayed
    assert other.value != first.value


def test_a_bad_report_appends_nothing(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A report breaking a rule is refused before anything is written."""
    before = head(ledger)
    with pytest.raises(InvalidInput):
        ledger.report_crash(reporter(), replace(DETAILS, kind="panic"), now, ctx)
    assert head(ledger) == before


def test_an_unknown_report_is_not_found(ledger: Ledger) -> None:
    """Reading a report that does not exist raises NotFound."""
    with pytest.raises(NotFound):
        ledger.crash_report(uuid4())
