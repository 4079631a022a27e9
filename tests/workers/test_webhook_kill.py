"""kill -9 of the webhook worker (``keyledger worker webhooks``) while a delivery is in flight loses
nothing: the restarted worker delivers the event again under the same ``webhook-id`` (at least once,
de-duplicable by the receiver)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.read_store import SqliteReadStore
from bootstrap import integrations, keys
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger
from domain.context import AuditContext
from domain.roles import Role
from projections import deliveries
from projections.pages import Order
from tests.fakes import FastHasher
from tests.workers.receiver import Receiver

pytestmark = pytest.mark.timeout(120)
WAIT_S = 30.0


def start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KEYLEDGER_DATA_DIR": str(data_dir),
        "KEYLEDGER_WEBHOOK_ALLOW_NETWORKS": json.dumps(["127.0.0.1/32"]),
    }
    env.pop("KEYLEDGER_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bootstrap.cli", "worker", "webhooks"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_kill_minus_nine_mid_delivery_loses_nothing(tmp_path: Path) -> None:
    """The first delivery is held at the receiver, the worker is killed, the restarted worker delivers
    the same webhook-id and records it delivered."""
    settings = Settings(data_dir=tmp_path)
    keys.generate_keys(tmp_path)
    digests = keys.digests(settings)
    ledger = build_ledger(settings, digests, FastHasher(), create_tables=True)
    receiver = Receiver(hold=threading.Event())
    url = receiver.start()
    now, ctx = datetime.now(UTC), AuditContext("test")
    _, sealed = integrations.webhook_secrets(digests).new()
    hook = ledger.register_webhook(url, ["Account.*"], "", sealed, now, ctx).value
    ledger.register("alice", "a long password", Role.USER, now, ctx)
    worker = start_worker(tmp_path)
    try:
        assert receiver.arrived.wait(WAIT_S), "the worker never delivered"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert receiver.hold is not None
        receiver.hold.set()
        receiver.hold = None
        worker = start_worker(tmp_path)
        wait_until(lambda: len(receiver.received) >= 2, "a second delivery")
        store = SqliteReadStore(tmp_path / "readmodels.sqlite3")

        def delivered() -> bool:
            with store.snapshot() as tx:
                rows = deliveries.log_of(tx, str(hook), Order("position")).rows
            return [r["state"] for r in rows] == ["delivered"]

        wait_until(delivered, "the delivery to be recorded")
        store.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        receiver.stop()
        ledger.close()
    assert len(set(receiver.ids())) == 1
