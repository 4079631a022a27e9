"""The same commands give the same read models on SQLite and on PostgreSQL, and a rebuild gives them too."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, example, given, settings

from adapters.event_source import LedgerEvents
from adapters.read_store import PostgresReadStore, SqliteReadStore
from projections import catalogue
from projections.rebuild import differences
from projections.runner import Catchup
from projections.store import ReadStore
from tests.conftest import NOW
from tests.projections.commands import Interpreter, Op, operations, snapshot
from tests.stores import PG_DSN, make_ledger, pg_env, pg_schema, sqlite_env

TABLES = [table for projection in catalogue.ALL for table in projection.tables]


@pytest.mark.postgres
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
# A login refused on cached state is decided again on fresh state on PostgreSQL only: that run draws the
# same random bytes, so the account registered next gets the same id on both stores.
@example(ops=[("ban", 0, 0), ("open", 0, 0), ("register", 0, 0)])
def test_sqlite_and_postgres_read_models_are_identical(ops: list[Op]) -> None:
    """Run on both stores with the same randomness, the read models match row for row, and each equals a
    rebuild from the first event."""
    start: datetime = NOW
    with TemporaryDirectory() as scratch, pg_schema() as schema:
        directory = Path(scratch)
        stores: dict[str, ReadStore] = {
            "sqlite": SqliteReadStore(directory / "rm.sqlite3"),
            "postgres": PostgresReadStore(PG_DSN, schema),
        }
        ledgers = {
            "sqlite": make_ledger(sqlite_env(directory), seed=11),
            "postgres": make_ledger(pg_env(schema), seed=11),
        }
        snapshots = {}
        try:
            for name, ledger in ledgers.items():
                Interpreter(ledger, start).run(ops)
                runner = Catchup(stores[name], catalogue.ALL, LedgerEvents(ledger))
                runner.create_tables()
                runner.catch_up()
                with stores[name].transaction() as tx:
                    snapshots[name] = snapshot(tx, TABLES)
                fresh = SqliteReadStore(directory / f"fresh-{name}.sqlite3")
                assert differences(stores[name], fresh, catalogue.ALL, LedgerEvents(ledger)) == []
                fresh.close()
            assert snapshots["sqlite"] == snapshots["postgres"]
        finally:
            for store in stores.values():
                store.close()
            for ledger in ledgers.values():
                ledger.close()
