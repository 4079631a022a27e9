"""SQL for both stores: one transaction handle over a DB-API cursor, a per-thread SQLite connection, and a
PostgreSQL pool whose ``search_path`` is one schema. Statements are portable: ``?`` placeholders, and a
literal ``%`` means itself on both (it is escaped for psycopg here, once)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from adapters import row_sql
from adapters.row_sql import Groups, Key, RowUpdate

Row = tuple[Any, ...]


class Tx:
    """One transaction: ``execute``, ``many`` (one statement, many rows), ``one`` and ``all``."""

    def __init__(self, run: Any, dialect: str) -> None:
        self._run, self._postgres = run, dialect == "postgres"
        self._joins_by_index = False

    def _sql(self, statement: str) -> str:
        return statement.replace("%", "%%").replace("?", "%s") if self._postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._run.execute(self._sql(statement), tuple(params))

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._run.executemany(self._sql(statement), [tuple(r) for r in rows])

    def insert(self, table: str, row: Mapping[str, Any], *, key: Key = "id") -> None:
        self.batch(self.row_statements(table, key, [row], []))

    def update(
        self,
        table: str,
        key_value: Any,
        values: Mapping[str, Any] | None = None,
        add: Mapping[str, int] | None = None,
        *,
        key: Key = "id",
        derive: str | None = None,
    ) -> None:
        change = (key_value, values or {}, add or {}, (derive,) if derive else ())
        self.batch(self.row_statements(table, key, [], [change]))

    def row_statements(
        self, table: str, key: Key, inserts: Sequence[Mapping[str, Any]], updates: Sequence[RowUpdate]
    ) -> Groups:
        groups = row_sql.statements(table, key, inserts, updates, postgres=self._postgres)
        if updates and self._postgres and not self._joins_by_index:
            # The planner takes a JSON array for 100 rows and would hash-join it against a scan of the
            # whole table; a page's rows are each found by key instead (an index probe per row).
            settings = ("enable_hashjoin", "enable_mergejoin")
            groups[:0] = [(f"SET LOCAL {setting} = off", [()]) for setting in settings]
            self._joins_by_index = True
        return groups

    def batch(self, groups: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        if not self._postgres:
            for statement, rows in groups:
                self._run.executemany(statement, rows)
        elif groups:
            # One round trip for the lot: the statements with their values bound here (the driver's own
            # quoting), sent as one simple query. Driver calls, not the server, were most of a catch-up
            # page's cost when each row went as a statement of its own (W4 on PostgreSQL).
            literal = psycopg.ClientCursor(self._run.connection)
            text = ";\n".join(
                literal.mogrify(self._sql(statement), tuple(row))
                for statement, rows in groups
                for row in rows
            )
            self._run.execute(text)

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

    @contextmanager
    def statement(self) -> Iterator[Tx]:
        """Single statements, each committed as it runs (no transaction around them)."""
        yield Tx(self.connection(), "sqlite")

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

    @contextmanager
    def statement(self) -> Iterator[Tx]:
        """Single statements, each committed as it runs: one round trip each, where a transaction costs
        three (BEGIN, the statement, COMMIT)."""
        with self._pool.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor() as cursor:
                    yield Tx(cursor, "postgres")
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def close(self) -> None:
        self._pool.close()
