"""A page's writes grouped by statement leave the same rows as the same writes sent one by one, in order,
whatever the mix: inserts, upserts, counters, assignments, reads of other columns and statements of
unknown reach on a few rows (two of them there before the page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from projections.page_writer import PageWriter
from projections.row_writes import row_write
from projections.store import ReadStore, Tx

DDL = (
    "CREATE TABLE t_grouping (id TEXT PRIMARY KEY, a INTEGER NOT NULL DEFAULT 0,"
    " b INTEGER NOT NULL DEFAULT 0, note TEXT, flag INTEGER NOT NULL DEFAULT 0, status TEXT)"
)


def nothing(_: int) -> tuple[Any, ...]:
    return ()


# (statement, its parameters besides the row id, from a drawn number ``v``; the id comes where the
# statement names it)
WRITES: list[tuple[str, Callable[[int], tuple[Any, ...]]]] = [
    ("INSERT INTO t_grouping (id, note) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", lambda v: (f"made {v}",)),
    (
        "INSERT INTO t_grouping (id, a, b) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " a = t_grouping.a + excluded.a, b = t_grouping.b + excluded.b",
        lambda v: (v, 1),
    ),
    ("UPDATE t_grouping SET a = a + 1 WHERE id = ?", nothing),
    ("UPDATE t_grouping SET b = b - 1 WHERE id = ?", nothing),
    ("UPDATE t_grouping SET note = ?, a = a + 1 WHERE id = ?", lambda v: (f"set {v}",)),
    ("UPDATE t_grouping SET a = ? WHERE id = ?", lambda v: (v,)),
    ("UPDATE t_grouping SET flag = 1 WHERE id = ?", nothing),
    ("UPDATE t_grouping SET flag = 0, note = NULL WHERE id = ?", nothing),
    (
        "UPDATE t_grouping SET status = CASE WHEN flag = 1 THEN 'on' WHEN a > 2 THEN 'many' ELSE 'off' END"
        " WHERE id = ?",
        nothing,
    ),
    ("UPDATE t_grouping SET b = a * 10 + COALESCE(length(note), 0) WHERE id = ?", nothing),
    ("UPDATE t_grouping SET a = 0 WHERE note = ?", lambda v: (f"set {v}",)),  # unknown reach: a barrier
    ("DELETE FROM t_grouping WHERE id = ?", nothing),  # unknown reach: a barrier
]
writes = st.lists(
    st.tuples(st.integers(0, len(WRITES) - 1), st.sampled_from("pqr"), st.integers(0, 3)), max_size=60
)


def send(tx: Tx, write: tuple[int, str, int]) -> None:
    choice, row_id, value = write
    statement, parameters = WRITES[choice]
    params = parameters(value)
    if statement.startswith("INSERT"):
        tx.execute(statement, [row_id, *params])
    elif statement.endswith("id = ?"):
        tx.execute(statement, [*params, row_id])
    else:
        tx.execute(statement, list(params))


def rows_after(store: ReadStore, mix: list[tuple[int, str, int]], *, grouped: bool) -> list[tuple[Any, ...]]:
    with store.transaction() as tx:
        tx.execute("DROP TABLE IF EXISTS t_grouping")
        tx.execute(DDL)
        tx.execute("INSERT INTO t_grouping (id, a, note) VALUES ('p', 1, 'first'), ('q', 2, NULL)")
        page: Tx = PageWriter(tx, regroup=True) if grouped else tx
        for write in mix:
            send(page, write)
        if isinstance(page, PageWriter):
            page.flush()
        return sorted(tuple(r) for r in tx.all("SELECT * FROM t_grouping"))


def test_every_write_shape_is_understood() -> None:
    """The statements above are read as the shapes they are (the last two are barriers)."""
    assert [row_write(statement) is None for statement, _ in WRITES] == [False] * 10 + [True] * 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mix=writes)
@example(mix=[(0, "p", 0), (1, "r", 0), (0, "r", 0)])  # an insert may not pass an upsert of its row
@example(mix=[(2, "p", 0), (9, "p", 0), (2, "p", 0)])  # an addition may not pass a read of its column
@example(mix=[(5, "p", 1), (9, "p", 0), (5, "p", 2)])  # nor may an assignment
@example(mix=[(6, "p", 0), (7, "p", 0), (6, "p", 0), (8, "p", 0)])  # nor one of the same column
@example(mix=[(1, "r", 1), (1, "r", 2), (2, "r", 0), (1, "r", 3), (1, "s", 0), (1, "r", 1)])  # sums
@example(mix=[(2, "p", 0), (2, "q", 0), (2, "p", 0), (3, "q", 0)] * 4 + [(8, "p", 0)] + [(2, "p", 0)] * 9)
def test_grouped_writes_equal_writes_one_by_one(
    read_store: ReadStore, mix: list[tuple[int, str, int]]
) -> None:
    """Any mix of writes on a few rows, grouped by statement in one page, leaves exactly the rows that
    sending them one by one in order leaves."""
    assert rows_after(read_store, mix, grouped=True) == rows_after(read_store, mix, grouped=False)
