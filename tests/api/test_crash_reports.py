"""POST /client/crash-reports as docs/crash-reports.md states it, and the admin's view of the reports."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, services_of
from tests.ledger.scenarios import head

PROJECTION_WAIT_S = 5.0


def crash_body(**changes: Any) -> dict[str, Any]:
    """A report as the client sends it (docs/crash-reports.md)."""
    body = {
        "report_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-01T11:58:00.123456Z",
        "client_version": "0.1.0",
        "app_version": "3.0.0",
        "platform": "Linux-6.1.0-x86_64-with-glibc2.36",
        "python": "CPython 3.11.7",
        "kind": "exception",
        "summary": "ValueError: [token] for [email]",
        "traceback": 'Traceback (most recent call last):\n  File "~/app.py", line 3\nValueError: <script>',
        "log_tail": "INFO signed in from [ip]",
    }
    return {**body, **changes}


@pytest.fixture
def embedded(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as api:
        yield api


def client_tokens(api: Api, username: str = "carol") -> dict[str, Any]:
    api.create_account(username)
    return api.client_login(username)


def admin_headers(api: Api) -> dict[str, str]:
    api.create_account("root", Role.ADMIN)
    return api.web_login("root")


def send(api: Api, tokens: dict[str, Any], body: dict[str, Any]) -> Any:
    return api.client.post(
        "/client/crash-reports",
        json=body,
        headers={**api.bearer(tokens), "Idempotency-Key": str(body.get("report_id"))},
    )


def test_a_report_is_one_event_and_a_resend_is_a_replay(api: Api) -> None:
    """201 with the position of the one event; the same report again answers the same position and
    appends nothing (SQLite and PostgreSQL)."""
    tokens, body = client_tokens(api), crash_body()
    first = send(api, tokens, body)
    assert first.status_code == 201, first.text
    assert first.json()["position"] == head(api.ledger)
    again = send(api, tokens, body)
    assert (again.status_code, again.json()) == (201, first.json())
    assert head(api.ledger) == first.json()["position"]


def test_the_event_carries_the_body_and_the_tokens_ids(embedded: Api) -> None:
    """Account, device and session come from the token; every body field is kept as sent."""
    tokens, body = client_tokens(embedded), crash_body(app_version=None, kind="fault")
    answer = send(embedded, tokens, body).json()
    report = embedded.ledger.crash_report(uuid.UUID(answer["id"])).summary()
    assert (report["account_id"], report["device_id"], report["session_id"]) == (
        str(embedded.ledger.account_id_for("carol")),
        tokens["device_id"],
        tokens["session_id"],
    )
    assert {k: report[k] for k in body if k != "occurred_at"} == {
        k: v for k, v in body.items() if k != "occurred_at"
    }
    assert report["occurred_at"] == "2026-11-01T11:58:00.123456+00:00"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(crash_body(report_id="not-a-uuid"), id="report-id-not-a-uuid"),
        pytest.param(crash_body(occurred_at="2026-11-01T11:58:00+00:00"), id="time-not-in-z"),
        pytest.param(crash_body(occurred_at="2026-02-30T11:58:00Z"), id="time-that-does-not-exist"),
        pytest.param(crash_body(client_version="v" * 33), id="client-version-too-long"),
        pytest.param(crash_body(app_version="3\u00000"), id="app-version-nul"),
        pytest.param(crash_body(app_version="3\t0"), id="app-version-control"),
        pytest.param(crash_body(platform="p" * 201), id="platform-too-long"),
        pytest.param(crash_body(kind="panic"), id="unknown-kind"),
        pytest.param(crash_body(summary=""), id="empty-summary"),
        pytest.param(crash_body(summary="s" * 201), id="summary-too-long"),
        pytest.param(crash_body(traceback="é" * 8193), id="traceback-over-16-kib-of-utf8"),
        pytest.param(crash_body(log_tail="x" * 8193), id="log-tail-over-8-kib"),
        pytest.param(crash_body(extra=1), id="unknown-field"),
        pytest.param({k: v for k, v in crash_body().items() if k != "app_version"}, id="missing-field"),
        pytest.param(crash_body(python=3), id="wrong-type"),
    ],
)
def test_a_body_breaking_a_rule_is_422_and_stores_nothing(embedded: Api, body: dict[str, Any]) -> None:
    """Every field keeps its rule; a body that breaks one is refused with a problem and not stored."""
    tokens = client_tokens(embedded)
    before = head(embedded.ledger)
    answer = send(embedded, tokens, body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert head(embedded.ledger) == before


def test_the_largest_report_the_contract_allows_is_accepted(embedded: Api) -> None:
    """16 KiB of traceback and 8 KiB of log tail (multi-byte text included) fit the body limit."""
    body = crash_body(traceback="[truncated]\n" + "가" * 5457, log_tail="x" * 8192, summary="요" * 200)
    answer = send(embedded, client_tokens(embedded), body)
    assert answer.status_code == 201, answer.text


def test_a_report_needs_a_desktop_token(embedded: Api) -> None:
    """No token or a made-up one: 401, nothing stored."""
    before = head(embedded.ledger)
    assert embedded.client.post("/client/crash-reports", json=crash_body()).status_code == 401
    forged = {"Authorization": "Bearer eyJhbGciOiJFZERTQSJ9.e30.c2ln"}
    assert embedded.client.post("/client/crash-reports", json=crash_body(), headers=forged).status_code == 401
    assert head(embedded.ledger) == before


def test_crash_reports_count_in_the_api_limit(tmp_path: Path, now: datetime) -> None:
    """Crash reports count against the account's general limit: the fourth in a minute is 429."""
    with sqlite_api(tmp_path, now, api_limit="3/60") as api:
        tokens = client_tokens(api)
        statuses = [send(api, tokens, crash_body()).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]


def test_text_no_column_can_hold_still_reaches_the_read_models(api: Api) -> None:
    """A NUL in the free text is accepted as sent; the read models (PostgreSQL included) reach its
    position and show U+FFFD in its place."""
    tokens = client_tokens(api)
    written = send(api, tokens, crash_body(traceback="before \u0000 after", summary="nul \u0000"))
    assert written.status_code == 201, written.text
    reads, deadline = services_of(api).reads, time.monotonic() + PROJECTION_WAIT_S
    while reads.position() < written.json()["position"]:
        assert time.monotonic() < deadline, "the read models stalled"
        time.sleep(0.02)
    admin = admin_headers(api)
    listed = api.client.get("/admin/crash-reports", headers=admin).json()["items"]
    assert [item["summary"] for item in listed] == ["nul \ufffd"]


def test_the_admin_lists_counts_and_reads_reports(embedded: Api) -> None:
    """The list (filtered by version, read-your-writes), the counts per version and kind, and one report
    whole with its traceback; an unknown id is 404."""
    tokens, admin = client_tokens(embedded), admin_headers(embedded)
    send(embedded, tokens, crash_body(app_version="1.0.0"))
    send(embedded, tokens, crash_body(app_version="1.0.0", kind="fault"))
    last = send(embedded, tokens, crash_body(app_version="2.0.0")).json()
    query = {"app_version": "1.0.0", "position": last["position"]}
    listed = embedded.client.get("/admin/crash-reports", params=query, headers=admin).json()
    assert {item["kind"] for item in listed["items"]} == {"exception", "fault"}
    assert "traceback" not in listed["items"][0]
    counts = embedded.client.get("/admin/crash-reports/counts", headers=admin).json()
    assert [(v["app_version"], v["reports"], v["faults"]) for v in counts["versions"]] == [
        ("1.0.0", 2, 1),
        ("2.0.0", 1, 0),
    ]
    assert len(counts["counts"]) == 3
    one = embedded.client.get(f"/admin/crash-reports/{last['id']}", headers=admin).json()
    assert one["traceback"].endswith("ValueError: <script>")
    assert embedded.client.get(f"/admin/crash-reports/{uuid.uuid4()}", headers=admin).status_code == 404


def test_users_cannot_read_crash_reports(embedded: Api) -> None:
    """The admin routes refuse a user's web session (403)."""
    embedded.create_account("dave")
    user = embedded.web_login("dave")
    assert embedded.client.get("/admin/crash-reports", headers=user).status_code == 403


def test_the_activity_feed_and_the_audit_index_show_a_report(embedded: Api) -> None:
    """The report is an entry of the activity feed (kind and version, the account as actor) and of the
    audit index."""
    tokens, admin = client_tokens(embedded), admin_headers(embedded)
    sent = send(embedded, tokens, crash_body(kind="fault", app_version="4.2.0")).json()
    feed = embedded.client.get(
        "/dashboard/activity", params={"position": sent["position"]}, headers=admin
    ).json()["entries"]
    [entry] = [e for e in feed if e["event_type"] == "CrashReport.Reported"]
    assert entry["summary"] == "crash reported: fault in app version 4.2.0"
    assert entry["actor"] == str(embedded.ledger.account_id_for("carol"))
    audit = embedded.client.get(
        "/audit/events",
        params={"aggregate_id": sent["id"], "event_type": "CrashReport.Reported"},
        headers=admin,
    )
    assert audit.status_code == 200, audit.text
    assert [e["position"] for e in audit.json()["events"]] == [sent["position"]]
