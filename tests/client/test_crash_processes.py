"""Real crashes in child processes: an exception in a thread, one in the main thread, and a segmentation
fault each leave exactly one redacted report, which the next start offers and one POST sends."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from keyledger_client.state import LocalState, StateFile

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, SERVER, FakeServer

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJjYXJvbCJ9.c2lnbmF0dXJlLW9mLWNhcm9s"
SECRETS = ("carol", "carol@example.com", "203.0.113.9", JWT, "hunter2")
PREAMBLE = f"""
import logging, sys, threading
from pathlib import Path
from keyledger_client import install_crash_handler
from keyledger_client.logs import setup_logging

home = Path(sys.argv[1])
setup_logging(home)
logging.getLogger("keyledger_client.app").info("carol@example.com signed in from 203.0.113.9")
install_crash_handler("crashy", app_version="3.0.0", home=home)
secret = "{JWT} for carol@example.com, password=hunter2"
"""
CRASHES = {
    "thread": (
        "def work():\n    raise RuntimeError(secret)\n"
        "t = threading.Thread(target=work, name='worker')\nt.start()\nt.join()\n",
        0,
        "exception",
        "RuntimeError: [token] for [email], password=[redacted]",
    ),
    "main": (
        "raise ValueError(secret)\n",
        1,
        "exception",
        "ValueError: [token] for [email], password=[redacted]",
    ),
    "fault": (
        "import ctypes\nctypes.string_at(0)\n",
        -signal.SIGSEGV,
        "fault",
        "Fatal Python error: Segmentation fault",
    ),
}


def no_core_dumps() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def crash(home: Path, folder: Path, body: str) -> subprocess.CompletedProcess[str]:
    """Runs the child program (a file named after the user, so the fault dump shows a personal name)."""
    script = folder / "carol_app.py"
    script.write_text(PREAMBLE + body)
    return subprocess.run(  # noqa: S603 -- our own interpreter running our own script
        [sys.executable, str(script), str(home)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=no_core_dumps,
    )


def serve_crash_reports(server: FakeServer) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def route(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        events.append(body)
        return server.authorized(request) or httpx.Response(201, json={"position": len(events)})

    server.extra_routes["POST /client/crash-reports"] = route
    return events


@pytest.mark.parametrize("case", CRASHES)
def test_a_crash_leaves_one_redacted_report_and_sending_makes_one_event(
    make_client: MakeClient, server: FakeServer, tmp_path: Path, case: str
) -> None:
    """The child dies (or its thread does); the next start finds one report without a secret in it;
    sending it is one POST; nothing is left to send afterwards."""
    home = tmp_path / "home"
    StateFile(home).save(LocalState(server=SERVER, username="carol"))
    body, exit_code, kind, summary = CRASHES[case]
    child = crash(home, tmp_path, body)
    assert child.returncode == exit_code, child.stderr
    events = serve_crash_reports(server)
    client = make_client()
    [report] = client.pending_crash_reports()
    assert (report.kind, report.summary, report.app_version) == (kind, summary, "3.0.0")
    text = json.dumps(report.body())
    assert [secret for secret in SECRETS if secret in text] == []
    assert "signed in from [ip]" in report.log_tail
    assert list((home / "crashes").glob("fault-*")) == []
    client.login("carol", PASSWORD)
    assert client.send_crash_report(report) == 1
    assert [event["report_id"] for event in events] == [report.report_id]
    assert client.pending_crash_reports() == []
