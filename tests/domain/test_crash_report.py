"""The CrashReport aggregate: one event with every field of the report and who sent it; bad fields refused."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import pytest
from hypothesis import given as given_examples

from domain.crash_report import CrashDetails, CrashReport, Reporter
from domain.errors import InvalidInput
from tests.domain.aggregate_case import ACCOUNT_ID, CTX, DEVICE_ID, NOW, SESSION_ID, given, later, then_one
from tests.strategies import crash_details

CRASH_ID = UUID(int=9)
REPORTER = Reporter(ACCOUNT_ID, DEVICE_ID, SESSION_ID)
DETAILS = CrashDetails(
    report_id=UUID(int=10),
    occurred_at=later(minutes=-5),
    client_version="0.1.0",
    app_version="3.0.0",
    platform="Linux-6.1.0-x86_64-with-glibc2.36",
    python="CPython 3.11.7",
    kind="exception",
    summary="ValueError: [token] for [email]",
    traceback='Traceback (most recent call last):\n  File "~/app.py", line 3\nValueError: <b>',
    log_tail="INFO signed in from [ip]",
)


def reported(details: CrashDetails = DETAILS) -> CrashReport:
    return CrashReport.report(crash_id=CRASH_ID, details=details, reporter=REPORTER, now=NOW, ctx=CTX)


def test_a_report_records_every_field_and_its_sender() -> None:
    """One Reported event: the body's fields as sent, the token's account, device and session, the context."""
    event = then_one(reported(), CrashReport.Reported)
    assert (event.report_id, event.kind, event.app_version, event.traceback) == (
        DETAILS.report_id,
        "exception",
        "3.0.0",
        DETAILS.traceback,
    )
    assert (event.account_id, event.device_id, event.session_id) == (ACCOUNT_ID, DEVICE_ID, SESSION_ID)
    assert event.context["client_ip"] == "203.0.113.9"


def test_a_replayed_report_has_the_same_details() -> None:
    """Rebuilt from its event, the aggregate holds the report as sent."""
    report = given(reported())
    assert (report.details, report.reporter) == (DETAILS, REPORTER)
    assert report.summary()["reported_at"] == NOW.isoformat()


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "panic"},
        {"client_version": ""},
        {"client_version": "v" * 33},
        {"app_version": "1.0\n"},
        {"app_version": "x" * 101},
        {"platform": "p" * 201},
        {"python": ""},
        {"summary": ""},
        {"summary": "s" * 201},
        {"traceback": "é" * (8 * 1024 + 1)},
        {"log_tail": "x" * (8 * 1024 + 1)},
        {"log_tail": "lone \ud800"},
        {"occurred_at": NOW.replace(tzinfo=None)},
    ],
)
def test_fields_out_of_their_rules_are_refused(change: dict[str, object]) -> None:
    """Each field keeps the contract's rule (kind, lengths in characters or UTF-8 bytes, printable labels,
    valid Unicode, an aware time); a report breaking one is refused with InvalidInput."""
    with pytest.raises(InvalidInput):
        reported(replace(DETAILS, **change))  # type: ignore[arg-type]


@given_examples(details=crash_details())
def test_any_report_within_the_rules_is_recorded_as_sent(details: CrashDetails) -> None:
    """Whatever text a client sends within the rules (controls and NUL included) is recorded unchanged."""
    assert given(reported(details)).details == details
