"""With NATS gone for part of a run, writes succeed, projections catch up by polling, and nothing is
duplicated when NATS returns."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from adapters.event_source import LedgerEvents
from adapters.presence import InProcessPresence
from adapters.read_store import SqliteReadStore
from bootstrap import keys
from bootstrap.settings import Settings
from bootstrap.stores import build_tree
from bootstrap.workers import build_background
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from projections import catalogue
from projections.rebuild import differences
from projections.runner import Catchup
from projections.store import ReadStore
from tests.natsserver import NatsServer
from tests.workers.test_relay import stream_messages

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_projections_poll_through_a_nats_outage(
    ledger: Ledger,
    read_store: ReadStore,
    nats_server: NatsServer,
    now: datetime,
    ctx: AuditContext,
    tmp_path: Path,
) -> None:
    """Writes in an outage are projected by polling; after NATS returns the stream has each event once."""
    settings = Settings(data_dir=tmp_path / "data", nats_url=nats_server.url)
    catchup = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    catchup.create_tables()
    tree = build_tree(ledger)
    workers = build_background(
        settings,
        ledger,
        catchup,
        InProcessPresence(),
        lambda: now,
        names=("projections", "relay"),
        tree=tree,
        notary=keys.notary(settings),
    )
    for worker in workers:
        worker.start()
    try:
        ledger.register("before", "correct horse", Role.USER, now, ctx)
        wait_until(lambda: catchup.lowest_position() == ledger.recorder.max_notification_id())
        nats_server.stop()
        for i in range(5):
            ledger.register(f"during{i}", "correct horse", Role.USER, now, ctx)
        wait_until(lambda: catchup.lowest_position() == ledger.recorder.max_notification_id())
        nats_server.start()
        ledger.register("after", "correct horse", Role.USER, now, ctx)
        head = ledger.recorder.max_notification_id() or 0
        wait_until(lambda: catchup.lowest_position() == head)

        def relayed() -> bool:
            with read_store.transaction() as tx:
                row = tx.one("SELECT position FROM rm_tracking WHERE name = 'relay'")
            return row is not None and int(row[0]) == head

        wait_until(relayed, timeout=30)
    finally:
        for worker in reversed(workers):
            worker.stop()
        tree.close()
    ids = [int(message[2]) for message in asyncio.run(stream_messages(nats_server.url))]
    assert ids == [n.id for n in ledger.recorder.select_notifications(start=1, limit=1000)]
    fresh = SqliteReadStore(tmp_path / "fresh.sqlite3")
    assert differences(read_store, fresh, catalogue.ALL, LedgerEvents(ledger)) == []
    fresh.close()
