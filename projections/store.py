"""The read-model database: SQLite (a file beside the event store) or PostgreSQL (the same database and
schema as the events). Projections write portable SQL with ``?`` placeholders and ``ON CONFLICT`` upserts;
this module runs it on either."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

Row = tuple[Any, ...]


class Tx(Protocol):
    """One transaction on the read-model database."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None: ...

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]: ...


class ReadStore(Protocol):
    dialect: str

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def snapshot(self) -> AbstractContextManager[Tx]:
        """A read-only transaction that waits for no writer."""
        ...

    def close(self) -> None: ...


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(statement, tuple(params))

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(statement, tuple(params)).fetchone()
        return row

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._conn.execute(statement, tuple(params)).fetchall())


class SqliteReadStore:
    """One connection per thread to a WAL-mode SQLite file; writes serialise on a process lock."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield _SqliteTx(conn)
        finally:
            conn.execute("ROLLBACK")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _PostgresTx:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    @staticmethod
    def _sql(statement: str) -> bytes:
        return statement.replace("%", "%%").replace("?", "%s").encode()

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(self._sql(statement), tuple(params))

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(self._sql(statement), tuple(params)).fetchone()
        return row

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._conn.execute(self._sql(statement), tuple(params)).fetchall())


class PostgresReadStore:
    """A small pool of connections whose search_path is the ledger's schema."""

    dialect = "postgres"

    def __init__(self, conninfo: str, schema: str = "public", max_size: int = 4) -> None:
        self.schema = schema

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.commit()

        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            configure=configure,
            open=True,
            kwargs={"connect_timeout": 5},
        )

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.transaction():
            yield _PostgresTx(conn)

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION READ ONLY")
            yield _PostgresTx(conn)

    def close(self) -> None:
        self._pool.close()
