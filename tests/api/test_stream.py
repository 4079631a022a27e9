"""The live stream: a new event reaches a connected dashboard within one second of its commit."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bootstrap.app import build_services, create_app
from bootstrap.settings import Settings
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from tests.api.harness import PASSWORD
from tests.api.test_http_e2e import serving

pytestmark = pytest.mark.timeout(60)


def test_new_event_arrives_within_a_second(ledger: Ledger, tmp_path: Path, ctx: AuditContext) -> None:
    """An account registered while an admin watches /dashboard/stream shows up there in under 1 s."""
    settings = Settings(data_dir=tmp_path / "data", insecure_dev_cookies=True, inprocess_workers=True)
    ledger.register("root", PASSWORD, Role.ADMIN, ledger_now(), ctx)
    with (
        serving(create_app(services=build_services(settings, ledger=ledger))) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        assert client.post("/auth/login", json={"username": "root", "password": PASSWORD}).status_code == 200
        committed: dict[str, float] = {}

        def write_soon() -> None:
            time.sleep(0.5)
            written = ledger.register("watched", PASSWORD, Role.USER, ledger_now(), ctx)
            committed["at"] = time.monotonic()
            committed["position"] = float(written.position or 0)

        writer = threading.Thread(target=write_soon)
        with client.stream("GET", "/dashboard/stream") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            writer.start()
            data = next_activity(stream, deadline=time.monotonic() + 10)
            arrived = time.monotonic()
        writer.join()
    assert str(data["summary"]).startswith("account registered")
    assert arrived - committed["at"] < 1.0


def next_activity(stream: httpx.Response, deadline: float) -> dict[str, object]:
    """The data of the next ``activity`` event on the stream (bounded by ``deadline``)."""
    event = ""
    for line in stream.iter_lines():
        assert time.monotonic() < deadline, "no activity event in time"
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "activity":
            found: dict[str, object] = json.loads(line.removeprefix("data: "))
            if str(found.get("event_type")) == "Account.Registered":
                return found
    raise AssertionError("the stream ended")


def ledger_now() -> datetime:
    return datetime.now(UTC)
