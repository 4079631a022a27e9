"""The event store's own database, opened beside the ledger: the same SQLite file (``ledger.sqlite3``) or
the same PostgreSQL schema. The Merkle tree lives here, next to the events it seals, so "not yet sealed"
is one anti-join."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import psycopg.conninfo
from eventsourcing.application import Application
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from adapters.sql import PostgresPool, SqliteConnections, Tx


class LedgerDb(Protocol):
    """Transactions on the event store's database, and how its events table is named there."""

    dialect: str
    events_table: str
    id_column: str
    schema: str
    conninfo: str | None

    def write(self) -> AbstractContextManager[Tx]: ...

    def read(self) -> AbstractContextManager[Tx]: ...

    def statement(self) -> AbstractContextManager[Tx]:
        """Single statements, each committed as it runs (no transaction around them)."""
        ...

    def originator(self, ident: UUID) -> Any:
        """An aggregate id as the events table stores it."""
        ...

    def close(self) -> None: ...


class SqliteLedgerDb:
    """One connection per thread to the ledger's WAL file; writes take the database lock up front."""

    dialect, id_column, schema = "sqlite", "rowid", ""
    conninfo: str | None = None

    def __init__(self, path: Path, events_table: str = "stored_events", timeout_s: float = 10) -> None:
        self.path, self.events_table = path, events_table
        self._db = SqliteConnections(path, timeout_s=timeout_s)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._db.transaction("BEGIN IMMEDIATE") as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self._db.transaction("BEGIN") as tx:
            yield tx

    def statement(self) -> AbstractContextManager[Tx]:
        return self._db.statement()

    def originator(self, ident: UUID) -> Any:
        return ident.hex

    def close(self) -> None:
        self._db.close()


class PostgresLedgerDb:
    """A small pool on the ledger's schema."""

    dialect, id_column = "postgres", "notification_id"

    def __init__(self, conninfo: str, schema: str, events_table: str, max_size: int = 4) -> None:
        self.conninfo: str | None = conninfo
        self.schema, self.events_table = schema, events_table
        self._pool = PostgresPool(conninfo, schema, max_size=max_size)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._pool.transaction() as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self._pool.transaction() as tx:
            yield tx

    def statement(self) -> AbstractContextManager[Tx]:
        return self._pool.statement()

    def originator(self, ident: UUID) -> Any:
        return ident

    def close(self) -> None:
        self._pool.close()


def ledger_db(ledger: Application[Any]) -> LedgerDb:
    """The database of ``ledger``'s event store, whichever it is."""
    recorder = ledger.recorder
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SqliteLedgerDb(Path(recorder.datastore.pool.db_name), recorder.events_table_name)
    if isinstance(recorder, PostgresApplicationRecorder):
        store = recorder.datastore
        given: dict[str, Any] = dict(store.pool.kwargs) if isinstance(store.pool.kwargs, dict) else {}
        keys = ("dbname", "host", "port", "user", "password")
        conninfo = psycopg.conninfo.make_conninfo(**{k: str(given[k]) for k in keys if given.get(k)})
        return PostgresLedgerDb(conninfo, store.schema, recorder.events_table_name)
    raise TypeError(f"no Merkle tree storage for {type(recorder).__name__}")
