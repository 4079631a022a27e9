"""A catch-up page's plain statements are held and sent together (PostgreSQL: one query), in order,
consecutive rows of one statement as one ``executemany`` — the same rows as one statement per event, on both
stores."""

from __future__ import annotations

from projections.page_writer import PageWriter
from projections.store import ReadStore

DDL = "CREATE TABLE IF NOT EXISTS t_page (id INTEGER PRIMARY KEY, note TEXT, hits INTEGER NOT NULL DEFAULT 0)"
INSERT = "INSERT INTO t_page (id, note) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"
BUMP = "UPDATE t_page SET hits = hits + 1 WHERE id = ?"
LONG = 210  # a long run of one statement


def test_held_writes_land_in_order(read_store: ReadStore) -> None:
    """Inserts then updates of the same rows, a long run and a row already stored: every row once, every
    update applied after its insert."""
    with read_store.transaction() as tx:
        tx.execute(DDL)
        tx.execute(INSERT, [7, "stored before"])
    with read_store.transaction() as tx:
        page = PageWriter(tx)
        for i in range(LONG):
            page.execute(INSERT, [i, f"row {i}"])
        for i in (3, 3, 7, LONG - 1):
            page.execute(BUMP, [i])
        page.execute(INSERT, [LONG * 2, None])
        assert page.one("SELECT note FROM t_page WHERE id = ?", [LONG * 2]) == (None,)
        page.flush()
    with read_store.snapshot() as tx:
        rows = tx.all("SELECT id, note, hits FROM t_page ORDER BY id")
    expected = [(i, "stored before" if i == 7 else f"row {i}", 0) for i in range(LONG)] + [
        (LONG * 2, None, 0)
    ]
    expected[3], expected[7] = (3, "row 3", 2), (7, "stored before", 1)
    expected[LONG - 1] = (LONG - 1, f"row {LONG - 1}", 1)
    assert [tuple(r) for r in rows] == expected
