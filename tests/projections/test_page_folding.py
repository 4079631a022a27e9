"""Rows written by key in a catch-up page are folded per row and sent set-based, yet leave exactly the rows
that each write sent alone, in order, leaves — whatever the mix of inserts, updates, derived columns,
plain statements and reads, on both stores, with the page written in its own transaction or prepared
ahead of it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.read_store import PostgresReadStore, SqliteReadStore
from projections.page_writer import PageWriter
from projections.store import ReadStore, Tx
from tests.stores import PG_DSN, pg_schema

DDL = (
    "CREATE TABLE IF NOT EXISTS t_fold (id TEXT PRIMARY KEY, note TEXT, n INTEGER, hits INTEGER NOT NULL"
    " DEFAULT 0, state TEXT)",
    "CREATE TABLE IF NOT EXISTS t_pair (a TEXT NOT NULL, b INTEGER NOT NULL, hits INTEGER NOT NULL,"
    " PRIMARY KEY (a, b))",
)
STATE = "state = CASE WHEN n IS NULL THEN 'none' WHEN n > 2 THEN 'high' ELSE 'low' END"
DOUBLE = "UPDATE t_fold SET hits = hits * 2 WHERE id = ?"
ids = st.sampled_from(["a", "b", "c"])
notes = st.none() | st.text(alphabet="xyz'%?é", max_size=3)
small = st.integers(-3, 3)
writes = st.one_of(
    st.tuples(st.just("insert"), ids, notes, st.none() | small),
    st.tuples(st.just("set"), ids, notes, st.none() | small),
    st.tuples(st.just("add"), ids, small, small),
    st.tuples(st.just("set_then_add"), ids, small, small),
    st.tuples(st.just("derive"), ids, st.none() | small, st.just(0)),
    st.tuples(st.just("pair"), ids, st.integers(0, 1), small),
    st.tuples(st.just("plain"), ids, st.just(0), st.just(0)),
    st.tuples(st.just("read"), ids, st.just(0), st.just(0)),
)


def write(tx: Tx, op: tuple[str, str, Any, Any]) -> None:
    kind, key, x, y = op
    if kind == "insert":
        tx.insert("t_fold", {"id": key, "note": x, "n": y})
    elif kind == "set":
        tx.update("t_fold", key, {"note": x, "n": y})
    elif kind == "add":
        tx.update("t_fold", key, add={"hits": x, "n": y})
    elif kind == "set_then_add":
        tx.update("t_fold", key, {"n": x})
        tx.update("t_fold", key, add={"n": y})
    elif kind == "derive":
        tx.update("t_fold", key, {"n": x}, derive=STATE)
    elif kind == "pair":
        tx.insert("t_pair", {"a": key, "b": x, "hits": 0}, key=("a", "b"))
        tx.update("t_pair", (key, x), add={"hits": y}, key=("a", "b"))
    elif kind == "plain":
        tx.execute(DOUBLE, [key])
    else:
        tx.one("SELECT note FROM t_fold WHERE id = ?", [key])


def rows(store: ReadStore) -> list[list[tuple[Any, ...]]]:
    with store.snapshot() as tx:
        return [
            [tuple(r) for r in tx.all("SELECT * FROM t_fold ORDER BY id")],
            [tuple(r) for r in tx.all("SELECT * FROM t_pair ORDER BY a, b")],
        ]


@contextmanager
def stores(kind: str) -> Iterator[list[ReadStore]]:
    """Three empty stores of one kind: one write at a time, a page, a page prepared ahead."""
    with TemporaryDirectory() as scratch:
        if kind == "sqlite":
            made: list[ReadStore] = [SqliteReadStore(Path(scratch) / f"{i}.sqlite3") for i in range(3)]
            yield made
            for store in made:
                store.close()
            return
        with pg_schema() as a, pg_schema() as b, pg_schema() as c:
            made = [PostgresReadStore(PG_DSN, schema) for schema in (a, b, c)]
            yield made
            for store in made:
                store.close()


def check(kind: str, before: list[tuple[str, str, Any, Any]], page: list[tuple[str, str, Any, Any]]) -> None:
    with stores(kind) as (alone, paged, ahead):
        for store in (alone, paged, ahead):
            with store.transaction() as tx:
                for statement in DDL:
                    tx.execute(statement)
                for op in before:
                    write(tx, op)
        with alone.transaction() as tx:
            for op in page:
                write(tx, op)
        with paged.transaction() as tx:
            writer = PageWriter(tx)
            for op in page:
                write(writer, op)
            writer.flush()
        prepared = PageWriter()
        if any(op[0] == "read" for op in page):
            with pytest.raises(RuntimeError):
                write(prepared, ("read", "a", 0, 0))
        for op in page:
            if op[0] != "read":
                write(prepared, op)
        with ahead.transaction() as tx:
            prepared.send(tx)
        expected = rows(alone)
        assert rows(paged) == expected
        assert rows(ahead) == expected


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(writes, max_size=4), page=st.lists(writes, min_size=1, max_size=25))
def test_a_folded_page_leaves_the_rows_of_one_write_at_a_time(
    kind: str, before: list[tuple[str, str, Any, Any]], page: list[tuple[str, str, Any, Any]]
) -> None:
    """Any mix of writes, folded into a page (PostgreSQL: set-based statements over JSON rows), leaves the
    rows each write alone leaves, row for row."""
    check(kind, before, page)


def test_a_table_or_column_name_that_is_not_an_identifier_is_refused(read_store: ReadStore) -> None:
    """Names go into the SQL text, so a name that is not a plain identifier never reaches the store."""
    for table, row in itertools.product(("t_fold", "t_fold; DROP TABLE x"), ({"id": "a"}, {"id; --": "a"})):
        if table == "t_fold" and "id" in row:
            continue
        with read_store.transaction() as tx, pytest.raises(ValueError, match="not a table or column name"):
            tx.insert(table, row)
