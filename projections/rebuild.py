"""Rebuild and verify: replay every event from the first into fresh tables, and compare them with the live
tables row for row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.base import Projection
from projections.page_writer import PageWriter
from projections.runner import BATCH, TRACKING, Catchup, EventSource, advance, tracked_position
from projections.store import ReadStore, Tx


def table_rows(tx: Tx, table: str) -> list[tuple[Any, ...]]:
    rows = tx.all(f"SELECT * FROM {table}")
    return sorted(tuple(row) for row in rows)


class UpTo:
    """An event source cut at a position, so a rebuild stops exactly where the live tables stood."""

    def __init__(self, source: EventSource, last: int) -> None:
        self.source, self.last = source, last

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]:
        return [(p, e) for p, e in self.source.read(after, limit) if p <= self.last]


def differences(
    live: ReadStore, fresh: ReadStore, projections: Sequence[Projection], source: EventSource
) -> list[str]:
    """Builds ``fresh`` from nothing up to the live tables' positions and lists every table that differs."""
    with live.transaction() as tx:
        snapshot = {p.name: _snapshot(tx, p) for p in projections}
    found = []
    for projection in projections:
        position, live_rows = snapshot[projection.name]
        runner = Catchup(fresh, [projection], UpTo(source, position))
        runner.create_tables()
        runner.catch_up()
        with fresh.transaction() as tx:
            for table in projection.tables:
                rebuilt = table_rows(tx, table)
                if rebuilt != live_rows[table]:
                    missing = len(set(rebuilt) - set(live_rows[table]))
                    extra = len(set(live_rows[table]) - set(rebuilt))
                    found.append(
                        f"{table}: {missing} rows missing from the live table, {extra} rows too many"
                    )
    return found


def _snapshot(tx: Tx, projection: Projection) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    row = tx.one("SELECT position FROM rm_tracking WHERE name = ?", [projection.name])
    return (int(row[0]) if row else 0), {table: table_rows(tx, table) for table in projection.tables}


def reset(store: ReadStore, projections: Sequence[Projection]) -> None:
    """Drops the live tables and their tracking, so the next catch-up replays from the first event."""
    with store.transaction() as tx:
        for projection in projections:
            for table in projection.tables:
                tx.execute(f"DROP TABLE IF EXISTS {table}")
            tx.execute("DELETE FROM rm_tracking WHERE name = ?", [projection.name])


def rebuild_in_place(store: ReadStore, projections: Sequence[Projection], source: EventSource) -> int:
    """Empties the live tables and replays every event into them in one transaction, so readers see the
    old rows or the rebuilt ones, never a gap (after an erasure: the rows now show ``[erased]``). On
    SQLite the deleted rows' bytes are overwritten (``secure_delete``). Returns the events replayed."""
    with store.transaction() as tx:
        if store.dialect == "sqlite":
            tx.execute("PRAGMA secure_delete = ON")
        for projection in projections:
            tracked_position(tx, projection.name, lock=store.dialect == "postgres")
            for table in projection.tables:
                tx.execute(f"DELETE FROM {table}")
            tx.execute(f"UPDATE {TRACKING} SET position = 0 WHERE name = ?", [projection.name])
        replayed, after = 0, 0
        while batch := source.read(after, BATCH):
            page = PageWriter(tx)
            for position, event in batch:
                for projection in projections:
                    projection.apply(page, event, position)
            after = batch[-1][0]
            for projection in projections:
                advance(page, projection.name, after)
            page.flush()
            replayed += len(batch)
    return replayed
