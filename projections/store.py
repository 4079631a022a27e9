"""The read-model database as the projections use it (the port; ``adapters.read_store`` implements it on
SQLite and PostgreSQL). Projections write portable SQL with ``?`` placeholders and ``ON CONFLICT``
upserts."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = tuple[Any, ...]


class Tx(Protocol):
    """One transaction on the read-model database."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for each of ``rows``."""
        ...

    def batch(self, groups: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Each statement once for each of its rows, in order, in as few round trips as the store allows
        (PostgreSQL: one pipeline)."""
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
