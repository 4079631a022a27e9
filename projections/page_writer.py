"""One page of catch-up written in as few round trips as the store allows: the handlers' writes are held
in order and sent together when the page ends (``Tx.batch``: consecutive rows of one statement as one
``executemany``; on PostgreSQL one pipeline, runs of 200+ INSERT rows as COPY), so no event costs a round
trip of its own. Grouping rows by statement across a page (rather than by consecutive run) was tried and
measured: on SQLite rows cost the same in any grouping; on PostgreSQL W4's 100k-event catch-up fell from
20,262 to 13,036 events/s, so writes stay in their order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.store import Row, Tx


class PageWriter:
    """The ``Tx`` a page's handlers write through. A read first sends what is held, so a handler that
    reads sees every write before it."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._groups: list[tuple[str, list[Sequence[Any]]]] = []

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
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
            self._groups = []
