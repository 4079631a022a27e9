"""Crash reports kept in the client's home: written whole or not at all (mode 0600), offered on the next
start, sent only when the application says so, deleted only after the server took them."""

from __future__ import annotations

import json
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from keyledger_client import CrashReport, KeyledgerClient, NotLoggedIn, ServerBusy, ServerUnreachable
from keyledger_client.crash_handler import CrashHandler
from keyledger_client.crash_reports import MAX_SUMMARY_CHARS, MAX_TRACEBACK_BYTES, CrashStore, make_report
from keyledger_client.redaction import Redactor

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, FakeServer, problem

WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CONTRACT = {
    "report_id", "occurred_at", "client_version", "app_version", "platform", "python", "kind", "summary",
    "traceback", "log_tail",
}  # fmt: skip
TRACEBACK = (
    'Traceback (most recent call last):\n  File "/home/carol/app.py", line 3\nValueError: carol broke it'
)


def report(tmp_path: Path, text: str = TRACEBACK) -> CrashReport:
    log_file = tmp_path / "client.log"
    log_file.write_text("".join(f"line {n} token=secret{n}\n" for n in range(80)))
    return make_report("exception", text, WHEN, app_version="2.1.0", log_file=log_file, redact=Redactor())


def test_a_report_is_written_atomically_and_privately(tmp_path: Path) -> None:
    """One file per report, mode 0600, no temporary left behind; it reads back the same."""
    store = CrashStore(tmp_path / "crashes")
    written = report(tmp_path)
    path = store.write(written)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in store.folder.iterdir()) == [path.name]
    assert store.pending() == [written]


def test_a_report_carries_the_contract_fields_redacted(tmp_path: Path) -> None:
    """Time in UTC, versions, platform, a summary, the traceback and the log tail: all redacted."""
    body = report(tmp_path).body()
    assert set(body) == CONTRACT
    assert body["occurred_at"] == "2026-11-01T12:00:00Z"
    assert body["app_version"] == "2.1.0"
    assert body["summary"] == "ValueError: carol broke it"
    assert "/home/carol" not in body["traceback"]
    assert body["log_tail"].count("\n") == 49
    assert "secret" not in body["log_tail"]


def test_oversized_text_is_cut_to_the_limits(tmp_path: Path) -> None:
    """Summary at most 200 characters; traceback at most 16 KiB, keeping its end (the latest frames)."""
    long = report(tmp_path, "x" * 100_000 + "\nRuntimeError: " + "é" * 500)
    assert len(long.summary) == MAX_SUMMARY_CHARS
    assert len(long.traceback.encode()) <= MAX_TRACEBACK_BYTES
    assert long.traceback.endswith("é" * 500)


def test_unreadable_reports_are_skipped(tmp_path: Path) -> None:
    """A damaged file does not hide the others."""
    store = CrashStore(tmp_path)
    kept = report(tmp_path)
    store.write(kept)
    (tmp_path / "report-00000000-0000-4000-8000-000000000000.json").write_text("{not json")
    assert store.pending() == [kept]


def serve_crash_reports(server: FakeServer, answer: httpx.Response) -> list[httpx.Request]:
    received: list[httpx.Request] = []

    def route(request: httpx.Request, _body: Any) -> httpx.Response:
        received.append(request)
        return server.authorized(request) or answer

    server.extra_routes["POST /client/crash-reports"] = route
    return received


def waiting_client(make_client: MakeClient, tmp_path: Path) -> tuple[KeyledgerClient, CrashReport]:
    client = make_client()
    pending = report(tmp_path)
    client.crash_reports.write(pending)
    return client, pending


def test_sending_posts_the_report_once_then_deletes_it(
    make_client: MakeClient, server: FakeServer, tmp_path: Path
) -> None:
    """POST /client/crash-reports with the token, the report id as idempotency key, the username redacted."""
    received = serve_crash_reports(server, httpx.Response(201, json={"position": 12}))
    client, pending = waiting_client(make_client, tmp_path)
    client.login("carol", PASSWORD)
    assert client.pending_crash_reports() == [pending]
    assert client.send_crash_report(pending) == 12
    assert client.pending_crash_reports() == []
    [request] = received
    body = json.loads(request.content)
    assert set(body) == CONTRACT
    assert request.headers["authorization"].startswith("Bearer ")
    assert request.headers["idempotency-key"] == pending.report_id
    assert body["summary"] == "ValueError: [user] broke it"


@pytest.mark.parametrize("failure", ["busy", "offline", "signed out"])
def test_a_report_not_taken_stays(
    make_client: MakeClient, server: FakeServer, tmp_path: Path, failure: str
) -> None:
    """A refusal, no server, or no session: the error is raised and the report waits for the next time."""
    serve_crash_reports(server, problem(503, "busy"))
    client, pending = waiting_client(make_client, tmp_path)
    if failure != "signed out":
        client.login("carol", PASSWORD)
    server.offline = failure == "offline"
    expected = {"busy": ServerBusy, "offline": ServerUnreachable, "signed out": NotLoggedIn}[failure]
    with pytest.raises(expected):
        client.send_crash_report(pending)
    assert client.pending_crash_reports() == [pending]


def test_discarding_deletes_without_sending(
    make_client: MakeClient, server: FakeServer, tmp_path: Path
) -> None:
    """The user said no: the report goes, nothing is sent."""
    received = serve_crash_reports(server, httpx.Response(201, json={"position": 1}))
    client, pending = waiting_client(make_client, tmp_path)
    client.discard_crash_report(pending)
    assert client.pending_crash_reports() == []
    assert received == []


def test_the_hooks_are_installed_chained_and_restored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Our hook writes the report, then the previous hook still runs; uninstall puts the previous back."""
    previous = sys.excepthook
    handler = CrashHandler(tmp_path, app_version="2.1.0")
    handler.install(faults=False)
    try:
        assert sys.excepthook == handler._on_exception
        try:
            raise ValueError("mail me at carol@example.com")
        except ValueError as error:
            sys.excepthook(type(error), error, error.__traceback__)
    finally:
        handler.uninstall()
    assert sys.excepthook == previous
    [kept] = handler.store.pending()
    assert kept.summary == "ValueError: mail me at [email]"
    assert "carol@example.com" in capsys.readouterr().err  # the default hook printed as ever
