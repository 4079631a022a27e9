"""The read-model database as the projections use it (the port; ``adapters.read_store`` implements it on
SQLite and PostgreSQL). Projections write rows by key (``insert``, ``update``), which a catch-up page folds
and the store writes set-based, or portable SQL with ``?`` placeholders and ``ON CONFLICT`` upserts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = tuple[Any, ...]
Groups = list[tuple[str, list[Sequence[Any]]]]
# One row's update: (key value, column -> new value, column -> amount added, derived assignments)
RowUpdate = tuple[Any, Mapping[str, Any], Mapping[str, int], Sequence[str]]
# A table's key: one column, or several (a key value is then a tuple of their values, in this order)
Key = str | tuple[str, ...]


class Tx(Protocol):
    """One transaction on the read-model database."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for each of ``rows``."""
        ...

    def batch(self, groups: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Each statement once for each of its rows, in order, in as few round trips as the store allows
        (PostgreSQL: one query)."""
        ...

    def insert(self, table: str, row: Mapping[str, Any], *, key: Key = "id") -> None:
        """``INSERT INTO table (row's columns) VALUES (row's values) ON CONFLICT (key) DO NOTHING``."""
        ...

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
        """``UPDATE table SET column = value, …, column = column + amount, … WHERE key = key_value``, then
        ``derive`` on that row: an assignment computed from the row's other columns only (a status)."""
        ...

    def row_statements(
        self, table: str, key: Key, inserts: Sequence[Mapping[str, Any]], updates: Sequence[RowUpdate]
    ) -> Groups:
        """The statements, each with its rows, that insert ``inserts`` (``ON CONFLICT (key) DO NOTHING``)
        and then apply ``updates`` (one per key value) — set-based where the store allows."""
        ...

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None: ...

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Row]: ...


class ReadStore(Protocol):
    dialect: str

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def snapshot(self) -> AbstractContextManager[Tx]:
        """A read-only transaction that waits for no writer."""
        ...

    def close(self) -> None: ...
