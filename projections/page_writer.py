"""One page of catch-up written in as few statements as the store allows: the handlers' writes are held and
sent together when the page ends, each statement about once with all its rows (one ``executemany``; on
PostgreSQL all of them in one pipeline, long INSERT runs as COPY), so no event costs a round trip of its
own and a page costs about one call per statement, not one per change of statement.

Grouping rows by statement changes no row's result: a write joins its statement's latest group only if
every write held after that group on the same row commutes with it (``projections.row_writes``); writes
to other rows always do. A statement whose row is unknown is a barrier: it runs after every write before
it and before every write after it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.row_writes import Effect, RowWrite, row_write
from projections.store import Row, Tx


class PageWriter:
    """The ``Tx`` a page's handlers write through. A read first sends what is held, so a handler that
    reads sees every write before it."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._reset()

    def _reset(self) -> None:
        self._groups: list[tuple[str, list[Sequence[Any]]]] = []
        self._latest: dict[str, int] = {}  # statement -> index of its newest group
        self._rows: dict[tuple[Any, ...], list[tuple[int, Effect]]] = {}  # row -> (group, effect) held
        self._keyed_by: dict[str, str] = {}  # table -> the key columns its writes name rows by

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        write = row_write(statement)
        if write is None or self._keyed_by.setdefault(write.table, write.key) != write.key:
            self._barrier(statement, params, write)
            return
        row = (write.table, write.key_of(params))
        held = self._rows.get(row)
        group = self._latest.get(statement)
        if group is None or (held is not None and not _may_join(group, write.effect, held)):
            group = self._latest[statement] = len(self._groups)
            self._groups.append((statement, []))
        self._groups[group][1].append(params)
        if held is None:
            self._rows[row] = [(group, write.effect)]
        elif held[-1][0] != group:
            held.append((group, write.effect))

    def _barrier(self, statement: str, params: Sequence[Any], write: RowWrite | None) -> None:
        """A statement of unknown reach (or naming its table's rows by other columns): it runs after every
        write held so far, and nothing written after it joins a group before it."""
        if self._groups and self._groups[-1][0] == statement:
            self._groups[-1][1].append(params)
        else:
            self._groups.append((statement, [params]))
        groups = self._groups
        self._reset()
        self._groups = groups
        if write is not None:
            self._keyed_by[write.table] = write.key
            self._latest[statement] = len(groups) - 1
            self._rows[(write.table, write.key_of(params))] = [(len(groups) - 1, write.effect)]

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.execute(statement, row)

    def batch(self, groups: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        for statement, rows in groups:
            self.many(statement, rows)

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        self.flush()
        return self._tx.one(statement, params)

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        self.flush()
        return self._tx.all(statement, params)

    def flush(self) -> None:
        if self._groups:
            self._tx.batch(self._groups)
        self._reset()


def _may_join(group: int, effect: Effect, held: list[tuple[int, Effect]]) -> bool:
    """Whether a write may run in ``group``: every write held on its row in a later group (each of
    another statement: ``group`` is its statement's newest) commutes with it."""
    return all(index <= group or effect.commutes_with(other) for index, other in held)
