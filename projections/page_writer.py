"""One page of catch-up written in as few round trips as the store allows: the handlers' writes are held
and sent together when the page ends (``Tx.batch``: consecutive rows of one statement as one
``executemany``; on PostgreSQL one pipeline, runs of 200+ INSERT rows as COPY), so no event costs a round
trip of its own.

``regroup`` (off in the catch-up; see the class) groups rows by statement, not by run: a write joins its
statement's latest group only if every write held after that group on the same row commutes with it
(``projections.row_writes``); writes to other rows always do. Two writes of a summing upsert to one row in
one group become one write of their sums. A statement whose row is unknown is a barrier: it runs after
every write before it and before every write after it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.row_writes import Effect, RowWrite, row_write
from projections.store import Row, Tx


class Held:
    """The writes held on one row: the groups they are in (with their effects), the newest of those
    groups, and the parameters of the row's last write if it is a summing upsert (a later one adds to
    them)."""

    __slots__ = ("newest", "summed", "writes")

    def __init__(self, group: int, effect: Effect, summed: list[Any] | None) -> None:
        self.writes, self.newest, self.summed = [(group, effect)], group, summed


class PageWriter:
    """The ``Tx`` a page's handlers write through. A read first sends what is held, so a handler that
    reads sees every write before it. Without ``regroup`` a write joins only the run of its statement
    just before it. Regrouping is measured and left off: on SQLite rows cost the same in any grouping and
    the bookkeeping added 25 % CPU; on PostgreSQL (with parameterless UPDATE runs sent as ``id = ANY``)
    it cut client CPU 15 % on a 9,527-event log but W4's 100k-event catch-up fell from 20,262/s to
    13,036/s in the same conditions (cause not found in the time: a generic plan of the ``ANY`` rounds on
    tables grown past their statistics is the first suspect)."""

    def __init__(self, tx: Tx, *, regroup: bool = False) -> None:
        self._tx, self._regroup = tx, regroup
        self._reset()

    def _reset(self) -> None:
        self._groups: list[tuple[str, list[Sequence[Any]]]] = []
        self._latest: dict[str, int] = {}  # statement -> index of its newest group
        self._rows: dict[tuple[Any, ...], Held] = {}
        self._keyed_by: dict[str, str] = {}  # table -> the key columns its writes name rows by

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if not self._regroup:
            self._run_on(statement, params)
            return
        write = row_write(statement)
        if write is None or self._keyed_by.setdefault(write.table, write.key) != write.key:
            self._barrier(statement, params, write)
            return
        row = (write.table, write.key_of(params))
        held = self._rows.get(row)
        group = self._group_for(statement, write, held)
        last = held.summed if held is not None and held.writes[-1][0] == group else None
        if last is not None and _add(last, params, write.sums):
            return
        summed = list(params) if write.sums is not None else None
        self._groups[group][1].append(params if summed is None else summed)
        if held is None:
            self._rows[row] = Held(group, write.effect, summed)
            return
        if held.writes[-1][0] != group:
            held.writes.append((group, write.effect))
        held.newest, held.summed = max(held.newest, group), summed

    def _group_for(self, statement: str, write: RowWrite, held: Held | None) -> int:
        """The statement's newest group if the write may join it, else a new group at the end."""
        group = self._latest.get(statement)
        if group is None or (
            held is not None and held.newest > group and not _may_join(group, write.effect, held.writes)
        ):
            group = self._latest[statement] = len(self._groups)
            self._groups.append((statement, []))
        return group

    def _barrier(self, statement: str, params: Sequence[Any], write: RowWrite | None) -> None:
        """A statement of unknown reach (or naming its table's rows by other columns): it runs after every
        write held so far, and nothing written after it joins a group before it."""
        self._run_on(statement, params)
        groups = self._groups
        self._reset()
        self._groups = groups
        if write is not None:
            self._keyed_by[write.table] = write.key
            self._latest[statement] = len(groups) - 1
            self._rows[(write.table, write.key_of(params))] = Held(len(groups) - 1, write.effect, None)

    def _run_on(self, statement: str, params: Sequence[Any]) -> None:
        """Adds the write to the last group if it is its statement's, else starts a group after it."""
        if self._groups and self._groups[-1][0] == statement:
            self._groups[-1][1].append(params)
        else:
            self._groups.append((statement, [params]))

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


def _add(summed: list[Any], params: Sequence[Any], indexes: tuple[int, ...] | None) -> bool:
    """Adds a summing upsert's ``params`` into the row's last one (whole numbers only; False: it was
    not added)."""
    if indexes is None or not all(type(params[i]) is int and type(summed[i]) is int for i in indexes):
        return False
    for i in indexes:
        summed[i] += params[i]
    return True
