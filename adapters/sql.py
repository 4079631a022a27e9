"""SQL for both stores: one transaction handle over a DB-API cursor, a per-thread SQLite connection, and a
PostgreSQL pool whose ``search_path`` is one schema. Statements are portable: ``?`` placeholders, and a
literal ``%`` means itself on both (it is escaped for psycopg here, once)."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

Row = tuple[Any, ...]
# A single-row INSERT of literal placeholders (at most ``DO NOTHING`` on a conflict): a long run of it is
# sent as one COPY, the fastest way into PostgreSQL. A COPY ends the pipeline and runs under a savepoint
# (more round trips), so only long runs pay: in a catch-up page the activity and audit rows (~500), not the
# ~50 sessions (a W4-like log: 410-416 ms against 432-437 ms with COPY from 20 rows).
SINGLE_ROW_INSERT = re.compile(
    r"^INSERT INTO (?P<table>\w+) \((?P<columns>[\w, ]+)\)\s*VALUES\s*\((?:\s*\?\s*,)*\s*\?\s*\)"
    r"(?:\s*ON CONFLICT\s*\([\w, ]+\)\s*DO NOTHING)?\s*$"
)
COPY_FROM_ROWS = 200


class Tx:
    """One transaction: ``execute``, ``many`` (one statement, many rows), ``one`` and ``all``."""

    def __init__(self, run: Any, dialect: str) -> None:
        self._run, self._postgres = run, dialect == "postgres"

    def _sql(self, statement: str) -> str:
        return statement.replace("%", "%%").replace("?", "%s") if self._postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._run.execute(self._sql(statement), tuple(params))

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._run.executemany(self._sql(statement), [tuple(r) for r in rows])

    def batch(self, groups: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        if not self._postgres:
            for statement, rows in groups:
                self._run.executemany(statement, rows)
            return
        segment: list[tuple[str, Sequence[Sequence[Any]]]] = []
        for statement, rows in groups:
            insert = SINGLE_ROW_INSERT.match(statement) if len(rows) >= COPY_FROM_ROWS else None
            if insert is None:
                segment.append((statement, rows))
                continue
            self._pipeline(segment)
            segment = []
            self._copy(insert["table"], insert["columns"], statement, rows)
        self._pipeline(segment)

    def _pipeline(self, groups: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        if groups:
            with self._run.connection.pipeline():
                for statement, rows in groups:
                    self._run.executemany(self._sql(statement), rows)

    def _copy(self, table: str, columns: str, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """COPY under a savepoint; a row already there (the INSERT would have done nothing) falls back to
        the INSERT itself."""
        try:
            with (
                self._run.connection.transaction(),
                self._run.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.UniqueViolation:
            self._pipeline([(statement, rows)])

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._run.execute(self._sql(statement), tuple(params)).fetchone()
        return row

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._run.execute(self._sql(statement), tuple(params)).fetchall())


class SqliteConnections:
    """One autocommit connection per thread to a SQLite file; transactions begin explicitly."""

    def __init__(self, path: Path, *, timeout_s: float = 10, pragmas: Sequence[str] = ()) -> None:
        self.path, self.timeout_s, self.pragmas = path, timeout_s, tuple(pragmas)
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False
            )
            for pragma in self.pragmas:
                conn.execute(pragma)
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, begin: str = "BEGIN", *, commit: bool = True) -> Iterator[Tx]:
        """``begin`` (``BEGIN IMMEDIATE`` takes the write lock up front); rolled back on error, or always
        when ``commit`` is false (a read-only snapshot)."""
        conn = self.connection()
        conn.execute(begin)
        try:
            yield Tx(conn, "sqlite")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT" if commit else "ROLLBACK")

    def close(self) -> None:
        """Closes this thread's connection (the others close with their threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresPool:
    """A small pool of connections whose ``search_path`` is ``schema``."""

    def __init__(self, conninfo: str, schema: str = "public", *, max_size: int = 4) -> None:
        self.conninfo, self.schema = conninfo, schema

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.commit()

        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            configure=configure,
            open=True,
            timeout=10,
            kwargs={"connect_timeout": 5},
        )

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            if read_only:
                cursor.execute("SET TRANSACTION READ ONLY")
            yield Tx(cursor, "postgres")

    def close(self) -> None:
        self._pool.close()
