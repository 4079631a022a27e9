"""A catch-up in pages (writes held and sent together, one transaction a page) gives exactly the read models
that applying each event alone, one transaction per event, gives."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.event_source import LedgerEvents
from adapters.read_store import PostgresReadStore, SqliteReadStore
from domain.ledger.service import Ledger
from projections import catalogue
from projections.rebuild import rebuild_in_place
from projections.runner import Catchup, Moved, advance
from projections.store import ReadStore
from tests.conftest import NOW
from tests.projections.commands import OPS, Interpreter, Op, snapshot
from tests.stores import PG_DSN, make_ledger, pg_env, pg_schema, sqlite_env

TABLES = [table for projection in catalogue.ALL for table in projection.tables]
pages = st.sampled_from([2, 5, 13, 500])
# longer stories than the read-model tests' own, so that a page holds several writes to one row
operations = st.lists(
    st.tuples(st.sampled_from(OPS), st.integers(0, 3), st.integers(0, 3)), min_size=10, max_size=80
)


def event_by_event(ledger: Ledger, store: ReadStore) -> dict[str, list[tuple[object, ...]]]:
    """Each event applied alone through the store's own transaction, one transaction per event."""
    Catchup(store, catalogue.ALL, LedgerEvents(ledger)).create_tables()
    for position, event in LedgerEvents(ledger).read(0, 1_000_000):
        with store.transaction() as tx:
            for projection in catalogue.ALL:
                projection.apply(tx, event, position)
                advance(tx, projection.name, position)
    with store.snapshot() as tx:
        return snapshot(tx, TABLES)


def in_pages(ledger: Ledger, store: ReadStore, page: int) -> dict[str, list[tuple[object, ...]]]:
    runner = Catchup(store, catalogue.ALL, LedgerEvents(ledger))
    runner.create_tables()
    runner.catch_up(limit=page)
    with store.snapshot() as tx:
        return snapshot(tx, TABLES)


def compare(ledger: Ledger, stores: list[ReadStore], page: int) -> None:
    one_by_one, paged, rebuilt = stores
    expected = event_by_event(ledger, one_by_one)
    assert in_pages(ledger, paged, page) == expected
    rebuild_in_place(paged, catalogue.ALL, LedgerEvents(ledger))
    with paged.snapshot() as tx:
        assert snapshot(tx, TABLES) == expected
    assert in_pages(ledger, rebuilt, 500) == expected


def run_and_compare(ledger: Ledger, stores: Sequence[ReadStore], ops: list[Op], page: int) -> None:
    """Runs ``ops`` on ``ledger`` and compares the three ways of filling ``stores``; closes everything."""
    try:
        Interpreter(ledger, NOW).run(ops)
        compare(ledger, list(stores), page)
    finally:
        for store in stores:
            store.close()
        ledger.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, page=pages)
def test_pages_equal_events_one_by_one_on_sqlite(ops: list[Op], page: int) -> None:
    """Any command mix on SQLite: a catch-up in pages of any size, and a rebuild in place (event by event
    across projections), leave the rows that one event per transaction leaves."""
    with TemporaryDirectory() as scratch:
        directory = Path(scratch)
        ledger = make_ledger(sqlite_env(directory), seed=5)
        run_and_compare(ledger, [SqliteReadStore(directory / f"rm{i}.sqlite3") for i in range(3)], ops, page)


@pytest.mark.postgres
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, page=pages)
def test_pages_equal_events_one_by_one_on_postgres(ops: list[Op], page: int) -> None:
    """The same on PostgreSQL (rows set-based over JSON, one query a page, pages prepared ahead,
    synchronous commit off on full pages)."""
    with pg_schema() as schema, pg_schema() as first, pg_schema() as second, pg_schema() as third:
        ledger = make_ledger(pg_env(schema), seed=5)
        run_and_compare(
            ledger, [PostgresReadStore(PG_DSN, name) for name in (first, second, third)], ops, page
        )


class RacedCatchup(Catchup):
    """A catch-up whose second page write finds that another runner has moved the tracking positions
    meanwhile (it runs that runner's page first)."""

    def __init__(self, store: ReadStore, ledger: Ledger) -> None:
        super().__init__(store, catalogue.ALL, LedgerEvents(ledger))
        self.other = Catchup(store, catalogue.ALL, LedgerEvents(ledger))
        self.writes = 0
        self.moved = 0

    def _write(self, *args: Any, **kwargs: Any) -> None:
        self.writes += 1
        if self.writes == 2:
            self.other.run_once(2)
        try:
            super()._write(*args, **kwargs)
        except Moved:
            self.moved += 1
            raise


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_page_prepared_for_positions_another_runner_moved_is_dropped(kind: str) -> None:
    """While a page is written the next is prepared ahead; if another runner moves the positions meanwhile,
    the prepared page is dropped and the catch-up goes on from the stored positions: every event counted
    once, the rows those of one event at a time."""
    ops = [("register", i, 0) for i in range(4)] + [("open", i, i) for i in range(4)] * 3
    with TemporaryDirectory() as scratch, pg_schema() as schema:
        directory = Path(scratch)
        if kind == "sqlite":
            ledger = make_ledger(sqlite_env(directory), seed=5)
            made: list[ReadStore] = [SqliteReadStore(directory / f"rm{i}.sqlite3") for i in range(2)]
        else:
            ledger = make_ledger(pg_env(schema), seed=5)
            made = [PostgresReadStore(PG_DSN, name) for name in (f"{schema}_a", f"{schema}_b")]
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                for name in (f"{schema}_a", f"{schema}_b"):
                    conn.execute(f"CREATE SCHEMA {name}")
        try:
            Interpreter(ledger, NOW).run(ops)
            expected = event_by_event(ledger, made[0])
            raced = RacedCatchup(made[1], ledger)
            raced.create_tables()
            raced.catch_up(limit=3)
            assert raced.moved == 1
            with made[1].snapshot() as tx:
                assert snapshot(tx, TABLES) == expected
        finally:
            for store in made:
                store.close()
            ledger.close()
            if kind == "postgres":
                with psycopg.connect(PG_DSN, autocommit=True) as conn:
                    for name in (f"{schema}_a", f"{schema}_b"):
                        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
