"""Catch-up: feeds stored events, in position order, to each projection; a projection's rows and its
tracking position are written in one transaction, so a redelivered or replayed event changes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any, Protocol

from projections.base import Projection
from projections.page_writer import PageWriter
from projections.store import ReadStore, Tx

TRACKING = "rm_tracking"
TRACKING_DDL = f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
BATCH = 500


class Moved(Exception):
    """A page was prepared for tracking positions another runner has moved since."""


class EventSource(Protocol):
    """Stored events after a position, in order, as (position, domain event)."""

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]: ...


def tracked_position(tx: Tx, name: str, *, lock: bool = False) -> int:
    suffix = " FOR UPDATE" if lock else ""
    row = tx.one(f"SELECT position FROM {TRACKING} WHERE name = ?{suffix}", [name])
    return int(row[0]) if row else 0


def ensure_tracking(tx: Tx, name: str) -> None:
    """Creates the tracking table and ``name``'s row (at position 0) if missing."""
    tx.execute(TRACKING_DDL)
    tx.execute(f"INSERT INTO {TRACKING} (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", [name])


def tracked_positions(tx: Tx, names: Sequence[str], *, lock: bool = False) -> dict[str, int]:
    """Each of ``names``' positions in one query (0 for a name without a row)."""
    if not names:
        return {}
    marks = ", ".join("?" for _ in names)
    suffix = " FOR UPDATE" if lock else ""
    rows = tx.all(f"SELECT name, position FROM {TRACKING} WHERE name IN ({marks}){suffix}", list(names))
    found = {str(name): int(position) for name, position in rows}
    return {name: found.get(name, 0) for name in names}


ADVANCE = f"UPDATE {TRACKING} SET position = ? WHERE name = ? AND position < ?"


def advance(tx: Tx, name: str, position: int) -> None:
    """Moves ``name``'s tracking position forward (never back)."""
    tx.execute(ADVANCE, [position, name, position])


class Catchup:
    def __init__(self, store: ReadStore, projections: Sequence[Projection], source: EventSource) -> None:
        self.store = store
        self.projections = list(projections)
        self.source = source

    def create_tables(self) -> None:
        with self.store.transaction() as tx:
            for projection in self.projections:
                for statement in projection.ddl:
                    tx.execute(statement)
                ensure_tracking(tx, projection.name)

    def missing_tables(self, others: Sequence[str] = ()) -> list[str]:
        """The read-model tables (and tracking) not in the store: a process that must not create them
        (several start at once on PostgreSQL; ``db upgrade`` creates them) checks this instead."""
        missing = []
        for table in [TRACKING, *(t for p in self.projections for t in p.tables), *others]:
            try:
                with self.store.snapshot() as tx:
                    tx.all(f"SELECT 1 FROM {table} LIMIT 0")
            except Exception:  # any store's "no such table"; the table is what we report
                missing.append(table)
        return missing

    def positions(self) -> dict[str, int]:
        with self.store.snapshot() as tx:
            return tracked_positions(tx, [p.name for p in self.projections])

    def run_once(self, limit: int = BATCH) -> int:
        """Processes one batch in one transaction (every projection that is behind writes its rows and
        its tracking position there); returns how many events it read (0: caught up)."""
        positions = self.positions()
        batch = self.source.read(min(positions.values(), default=0), limit)
        behind = [p for p in self.projections if batch and batch[-1][0] > positions[p.name]]
        if behind:
            self._apply(behind, batch, full=len(batch) >= limit)
        return len(batch)

    def _apply(self, behind: Sequence[Projection], batch: Sequence[tuple[int, Any]], *, full: bool) -> None:
        """One page: one locked tracking read, the projections' writes held by a ``PageWriter`` and sent
        together with every tracking advance, one commit."""
        with self.store.transaction() as tx:
            currents = self._begin(tx, behind)
            self._page(behind, batch, currents, tx, full=full).flush()

    def _begin(self, tx: Tx, behind: Sequence[Projection]) -> dict[str, int]:
        """A page's transaction begins: the tracking rows of ``behind``, locked."""
        return tracked_positions(tx, [p.name for p in behind], lock=self.store.dialect == "postgres")

    def _page(
        self,
        behind: Sequence[Projection],
        batch: Sequence[tuple[int, Any]],
        currents: Mapping[str, int],
        tx: Tx | None = None,
        *,
        full: bool,
    ) -> PageWriter:
        """The page's writes, held: each projection's rows for the events after its position, and every
        tracking advance. On PostgreSQL a full page (catching up, not live) commits without waiting for
        its WAL flush: its rows and tracking commit or vanish together, and a page lost to a server crash
        is read and written again from the ledger."""
        page = PageWriter(tx)
        if full and self.store.dialect == "postgres":
            page.execute("SET LOCAL synchronous_commit = off")
        for projection in behind:
            current, handlers = currents[projection.name], projection.handlers
            every = projection.every_event
            for position, event in batch:
                handler = handlers.get(type(event), every)
                if handler is not None and position > current:
                    handler(page, event, position)
        last = batch[-1][0]
        page.many(ADVANCE, [(last, p.name, last) for p in behind])
        return page

    def _write(self, page: PageWriter, behind: Sequence[Projection], expected: Mapping[str, int]) -> None:
        """Writes a page prepared for the positions ``expected``; ``Moved`` (nothing written) if another
        runner moved one of them meanwhile."""
        with self.store.transaction() as tx:
            currents = self._begin(tx, behind)
            if any(currents[p.name] != expected[p.name] for p in behind):
                raise Moved
            page.send(tx)

    def catch_up(self, limit: int = BATCH) -> int:
        """Processes until nothing is left; returns the number of events gone through. On PostgreSQL,
        while one full page is written (by a writer thread, which mostly waits for the server), the next
        is read and prepared on the positions the first leaves (on SQLite the writes are this process's
        own work: pages go one after the other); a page whose positions another runner moved meanwhile
        is dropped, and the catch-up goes on from the positions stored."""
        total = 0
        positions = self.positions()
        pending: tuple[Future[None], int] | None = None
        with ExitStack() as stack:
            writer: ThreadPoolExecutor | None = None
            while True:
                batch = self.source.read(min(positions.values(), default=0), limit)
                behind = [p for p in self.projections if batch and batch[-1][0] > positions[p.name]]
                full = len(batch) >= limit
                page = self._page(behind, batch, positions, full=full) if behind else None
                try:
                    if pending is not None:
                        pending[0].result()
                        total, pending = total + pending[1], None
                    if not batch:
                        return total
                    if page is not None and full and self.store.dialect == "postgres":
                        if writer is None:
                            writer = stack.enter_context(ThreadPoolExecutor(1, "keyledger-catchup"))
                        pending = (writer.submit(self._write, page, behind, positions), len(batch))
                    elif page is not None:
                        self._write(page, behind, positions)
                        total += len(batch)
                    else:
                        total += len(batch)
                except Moved:
                    pending, positions = None, self.positions()
                    continue
                last = batch[-1][0]
                positions = {**positions, **{p.name: last for p in behind}}

    def lowest_position(self) -> int:
        return min(self.positions().values(), default=0)
