"""Kill -9 of the projection worker at random moments under a steady write load (real PostgreSQL): after
catch-up the read models equal a fresh rebuild — nothing missing, nothing applied twice."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from adapters.event_source import LedgerEvents
from adapters.read_store import PostgresReadStore, SqliteReadStore
from projections import catalogue
from projections.rebuild import differences
from projections.runner import Catchup
from tests.conftest import NOW
from tests.projections.commands import Interpreter
from tests.stores import PG_DSN, make_ledger, pg_env, pg_schema

KILLS = 50


def run_worker(schema: str) -> None:
    """The child: a projection worker that catches up forever (until killed)."""
    ledger = make_ledger(pg_env(schema, create_table=False))
    store = PostgresReadStore(PG_DSN, schema)
    runner = Catchup(store, catalogue.ALL, LedgerEvents(ledger))
    while True:
        runner.run_once(limit=25)
        time.sleep(0.005)


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_kill_minus_nine_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """50 SIGKILLs mid-catch-up under load: the final read models equal a rebuild from the first event."""
    rng = random.Random(5)
    with pg_schema() as schema:
        ledger = make_ledger(pg_env(schema))
        store = PostgresReadStore(PG_DSN, schema)
        Catchup(store, catalogue.ALL, LedgerEvents(ledger)).create_tables()
        stop = threading.Event()
        interpreter = Interpreter(ledger, NOW)

        def write_load() -> None:
            ops = [
                "register",
                "issue_activate",
                "bind",
                "open",
                "refresh",
                "fail_login",
                "ban",
                "unban",
                "close",
            ]
            while not stop.is_set():
                interpreter.run([(rng.choice(ops), rng.randrange(4), rng.randrange(4))])

        writer = threading.Thread(target=write_load)
        writer.start()
        context = multiprocessing.get_context("fork")
        try:
            for _ in range(KILLS):
                child = context.Process(target=run_worker, args=(schema,))
                child.start()
                time.sleep(rng.uniform(0.05, 0.4))
                assert child.pid is not None
                os.kill(child.pid, signal.SIGKILL)
                child.join(10)
        finally:
            stop.set()
            writer.join(30)
        runner = Catchup(store, catalogue.ALL, LedgerEvents(ledger))
        assert min(runner.positions().values()) > 0, "the killed workers never made progress"
        runner.catch_up()
        assert min(runner.positions().values()) == ledger.recorder.max_notification_id()
        fresh = SqliteReadStore(tmp_path / "fresh.sqlite3")
        assert differences(store, fresh, catalogue.ALL, LedgerEvents(ledger)) == []
        fresh.close()
        store.close()
        ledger.close()
