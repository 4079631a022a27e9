"""The read-model database (``projections.store.ReadStore``): a SQLite file beside the event store, or the
event store's own PostgreSQL schema."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from adapters.sql import PostgresPool, SqliteConnections, Tx


class SqliteReadStore:
    """A WAL-mode SQLite file; writes serialise on a process lock, snapshots wait for no writer."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = SqliteConnections(path, pragmas=("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"))
        self._write_lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._write_lock, self._db.transaction("BEGIN IMMEDIATE") as tx:
            yield tx

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        with self._db.transaction("BEGIN", commit=False) as tx:
            yield tx

    def truncate_wal(self) -> None:
        """Copies the write-ahead log into the file and empties it (after an erasure its old pages may
        hold what was deleted); a reader still on an old snapshot can make this a partial checkpoint."""
        self._db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        self._db.close()


class PostgresReadStore:
    """The ledger's PostgreSQL schema; snapshots are read-only transactions."""

    dialect = "postgres"

    def __init__(self, conninfo: str, schema: str = "public", max_size: int = 4) -> None:
        self.schema, self._conninfo = schema, conninfo
        self._pool = PostgresPool(conninfo, schema, max_size=max_size)

    def vacuum(self, tables: Sequence[str]) -> None:
        """Frees the dead row versions of ``tables`` (after an erasure they hold what was deleted); a
        transaction still open elsewhere on an old snapshot keeps the versions it can see."""
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            for table in tables:
                conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier(self.schema, table)))

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._pool.transaction() as tx:
            yield tx

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        with self._pool.transaction(read_only=True) as tx:
            yield tx

    def close(self) -> None:
        self._pool.close()
