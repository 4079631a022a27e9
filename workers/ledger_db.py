"""The event store's own database, opened beside the ledger: the same SQLite file (``ledger.sqlite3``) or
the same PostgreSQL schema. The Merkle tree lives here, next to the events it seals, so "not yet sealed"
is one anti-join. Statements use ``?`` placeholders on both."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import psycopg
import psycopg.conninfo
from eventsourcing.application import Application
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg import sql
from psycopg_pool import ConnectionPool

Row = tuple[Any, ...]


class Tx(Protocol):
    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None: ...

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]: ...


class LedgerDb(Protocol):
    dialect: str
    events_table: str
    id_column: str
    lock_conninfo: str | None
    lock_name: str

    def write(self) -> AbstractContextManager[Tx]: ...

    def read(self) -> AbstractContextManager[Tx]: ...

    def originator(self, ident: UUID) -> Any: ...

    def close(self) -> None: ...


class _Tx:
    def __init__(self, run: Any, placeholder: str) -> None:
        self._run, self._placeholder = run, placeholder

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self._placeholder)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if params:
            self._run.execute(self._sql(statement), tuple(params))
        else:  # no parameters: psycopg then leaves a literal % alone
            self._run.execute(statement)

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._run.executemany(self._sql(statement), [tuple(r) for r in rows])

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._run.execute(self._sql(statement), tuple(params)).fetchone()
        return row

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._run.execute(self._sql(statement), tuple(params)).fetchall())


class SqliteLedgerDb:
    """One connection per thread to the ledger's WAL file; writes take the database lock up front."""

    dialect = "sqlite"
    id_column = "rowid"
    lock_conninfo: str | None = None
    lock_name = "sealer"

    def __init__(self, path: Path, events_table: str = "stored_events", timeout_s: float = 10) -> None:
        self.path, self.events_table, self.timeout_s = path, events_table, timeout_s
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Tx]:
        conn = self._conn()
        conn.execute(begin)
        try:
            yield _Tx(conn, "?")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def write(self) -> AbstractContextManager[Tx]:
        return self._transaction("BEGIN IMMEDIATE")

    def read(self) -> AbstractContextManager[Tx]:
        return self._transaction("BEGIN")

    def originator(self, ident: UUID) -> Any:
        return ident.hex

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresLedgerDb:
    """A small pool whose search_path is the ledger's schema."""

    dialect = "postgres"
    id_column = "notification_id"

    def __init__(self, conninfo: str, schema: str, events_table: str, max_size: int = 4) -> None:
        self.events_table, self.schema = events_table, schema
        self.lock_conninfo: str | None = conninfo
        self.lock_name = f"sealer:{schema}"

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.commit()

        self._pool = ConnectionPool(
            conninfo, min_size=1, max_size=max_size, configure=configure, open=True, timeout=10
        )

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield _Tx(cursor, "%s")

    def write(self) -> AbstractContextManager[Tx]:
        return self._transaction()

    def read(self) -> AbstractContextManager[Tx]:
        return self._transaction()

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
