"""SQL for both stores: one transaction handle over a DB-API cursor, a per-thread SQLite connection, and a
PostgreSQL pool whose ``search_path`` is one schema. Statements are portable: ``?`` placeholders, and a
literal ``%`` means itself on both (it is escaped for psycopg here, once)."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

Row = tuple[Any, ...]
Groups = list[tuple[str, list[Sequence[Any]]]]
RowUpdate = tuple[Any, Mapping[str, Any], Mapping[str, int], Sequence[str]]
Key = str | tuple[str, ...]


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
        """SQLite: one statement a row, as ``executemany`` runs (rows cost the same however they are sent).
        PostgreSQL: one statement for all the rows of one shape, the rows as a JSON array the server reads
        as the table's own row type (``json_populate_recordset``), so a page's rows cost a few statements
        instead of a protocol exchange each."""
        keys = (key,) if isinstance(key, str) else tuple(key)
        _identifiers(table, *keys)
        groups: Groups = []
        by_columns: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
        for row in inserts:
            by_columns.setdefault(tuple(row), []).append(row)
        conflict = f"ON CONFLICT ({', '.join(keys)}) DO NOTHING"
        for columns, rows in by_columns.items():
            _identifiers(*columns)
            names = ", ".join(columns)
            if self._postgres:
                source = f"json_populate_recordset(NULL::{table}, ?::json)"
                statement = f"INSERT INTO {table} ({names}) SELECT {names} FROM {source} {conflict}"
                groups.append((statement, [(_json(rows),)]))
            else:
                marks = ", ".join("?" for _ in columns)
                groups.append(
                    (
                        f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}",
                        [tuple(map(row.__getitem__, columns)) for row in rows],
                    )
                )
        if updates and self._postgres and not self._joins_by_index:
            # The planner takes a JSON array for 100 rows and would hash-join it against a scan of the
            # whole table; a page's rows are each found by key instead (an index probe per row).
            groups += [
                (f"SET LOCAL {setting} = off", [()]) for setting in ("enable_hashjoin", "enable_mergejoin")
            ]
            self._joins_by_index = True
        shapes: dict[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], list[RowUpdate]] = {}
        for change in updates:
            _, values, add, derive = change
            shapes.setdefault((tuple(sorted(values)), tuple(sorted(add)), tuple(derive)), []).append(change)
        for shape, changes in shapes.items():
            _identifiers(*shape[0], *shape[1])
            groups.extend(self._updates(table, keys, shape, changes))
        return groups

    def _updates(
        self,
        table: str,
        keys: tuple[str, ...],
        shape: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
        changes: Sequence[RowUpdate],
    ) -> Groups:
        set_columns, add_columns, derive = shape
        if self._postgres:
            assignments = [f"{c} = v.{c}" for c in set_columns]
            assignments += [f"{c} = {table}.{c} + v.{c}" for c in add_columns]
            rows = _json(
                [
                    {**dict(zip(keys, _values(kv, keys), strict=True)), **values, **add}
                    for kv, values, add, _ in changes
                ]
            )
            source = f"json_populate_recordset(NULL::{table}, ?::json) AS v"
            match = " AND ".join(f"{table}.{k} = v.{k}" for k in keys)
            found = f"({', '.join(keys)}) IN (SELECT {', '.join(f'v.{k}' for k in keys)} FROM {source})"
            groups: Groups = []
            if assignments:
                statement = f"UPDATE {table} SET {', '.join(assignments)} FROM {source} WHERE {match}"
                groups.append((statement, [(rows,)]))
            groups.extend((f"UPDATE {table} SET {derived} WHERE {found}", [(rows,)]) for derived in derive)
            return groups
        assignments = [f"{c} = ?" for c in set_columns] + [f"{c} = {c} + ?" for c in add_columns]
        where = " AND ".join(f"{k} = ?" for k in keys)
        groups = []
        if assignments:
            groups.append(
                (
                    f"UPDATE {table} SET {', '.join(assignments)} WHERE {where}",
                    [
                        (
                            *(values[c] for c in set_columns),
                            *(add[c] for c in add_columns),
                            *_values(kv, keys),
                        )
                        for kv, values, add, _ in changes
                    ],
                )
            )
        groups.extend(
            (f"UPDATE {table} SET {assignment} WHERE {where}", [_values(kv, keys) for kv, *_ in changes])
            for assignment in derive
        )
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


def _json(rows: Sequence[Mapping[str, Any]]) -> str:
    return orjson.dumps(list(rows)).decode()


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


_NAMES: set[str] = set()  # names already checked


def _identifiers(*names: str) -> None:
    """Table and column names go into the SQL text: each must be a plain identifier."""
    for name in names:
        if name not in _NAMES:
            if not IDENTIFIER.fullmatch(name):
                raise ValueError(f"not a table or column name: {name!r}")
            _NAMES.add(name)


def _values(key_value: Any, keys: tuple[str, ...]) -> tuple[Any, ...]:
    """A row's key values, in ``keys`` order (a one-column key's value is the value itself), each an
    integer or text (an id as its text)."""
    values = (key_value,) if len(keys) == 1 else tuple(key_value)
    return tuple(v if isinstance(v, int) else str(v) for v in values)


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
