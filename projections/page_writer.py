"""One page of catch-up written in as few statements as the store allows.

Rows written by key (``insert``, ``update``) are folded per row while the page runs: a row's first insert
is kept (a later one would do nothing), and its updates merge into one (a value set replaces what came
before, amounts added sum, a derived assignment such as a status is applied once, after the rest, as long
as every update of the row derives it again). When the page ends each table's rows go as a few set-based
statements (``Tx.row_statements``): its inserts, then its updates, one per row. A row updated and then
inserted in one page, a plain statement, or a read first holds what was folded so far, so every statement
still sees the writes before it in page order.

Everything held is sent together (``Tx.batch``: on PostgreSQL one query). A W4-like log on PostgreSQL
(8 read models, ~3 row writes an event): the writes cost ~33 µs an event as one statement each, most of it
the driver's work per statement in this process (``docs/benchmarks.md`` has today's figures).

A page can be prepared ahead of its transaction (``PageWriter()``, then ``send(tx)``): it then holds
everything, and a read raises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from projections.store import Groups, Key, Row, RowUpdate, Tx

# One row's held update: (column -> value, column -> amount added, derived assignments). The mappings are
# never changed once held (a merge makes new ones), so a handler's own dicts are held as they are.
_Update = tuple[Mapping[str, Any], Mapping[str, int], tuple[str, ...]]
_NONE: Mapping[str, Any] = MappingProxyType({})


def _merged(held: _Update, values: Mapping[str, Any], add: Mapping[str, int], derive: str | None) -> _Update:
    """``held`` followed by one more update of the row: a value set replaces what came before (an amount
    added to it included), amounts added sum, a derived assignment is kept once."""
    held_values, held_add, held_derive = held
    new_values, new_add = dict(held_values), {c: n for c, n in held_add.items() if c not in values}
    new_values.update(values)
    for column, amount in add.items():
        if column in new_values:
            was = new_values[column]
            new_values[column] = None if was is None else was + amount
        else:
            new_add[column] = new_add.get(column, 0) + amount
    if derive is not None and derive not in held_derive:
        held_derive = (*held_derive, derive)
    return new_values, new_add, held_derive


@dataclass
class _Table:
    name: str
    key: Key
    inserts: dict[Any, Mapping[str, Any]] = field(default_factory=dict)
    updates: dict[Any, _Update] = field(default_factory=dict)


def _one(value: Any) -> Any:
    """One key column's value as the store compares it: integers as they are, anything else as text."""
    return value if isinstance(value, int) else str(value)


def _key(key: Key, value: Any) -> Any:
    return _one(value) if isinstance(key, str) else tuple(_one(v) for v in value)


class PageWriter:
    """The ``Tx`` a page's handlers write through."""

    def __init__(self, tx: Tx | None = None) -> None:
        self._bound = tx
        self._held: list[_Table | tuple[str, list[Sequence[Any]]]] = []  # in page order
        self._tables: dict[str, _Table] = {}  # rows still folding

    def insert(self, table: str, row: Mapping[str, Any], *, key: Key = "id") -> None:
        held = self._table(table, key)
        if isinstance(key, str):
            given = row[key]
            key_value = _one(given)
            stored = row if key_value is given else {**row, key: key_value}  # held as given
        else:
            key_value = tuple(_one(row[column]) for column in key)
            stored = {**row, **dict(zip(key, key_value, strict=True))}
        if key_value in held.inserts:
            return  # the row is there by now: this insert would do nothing
        if key_value in held.updates:  # an update before the insert: keep that order
            self._hold_table(table)
            held = self._table(table, key)
        held.inserts[key_value] = stored

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
        values, add = values or _NONE, add or _NONE
        if values.keys() & add.keys():
            raise ValueError(f"{table}: a column both set and added to in one update")
        held, key_value = self._table(table, key), _key(key, key_value)
        row = held.updates.get(key_value)
        if row is not None and any(d != derive for d in row[2]):
            # derived before this update, which does not derive it again: keep it as derived then
            self._hold_table(table)
            held, row = self._table(table, key), None
        if row is None:
            held.updates[key_value] = (values, add, (derive,) if derive else ())
        else:
            held.updates[key_value] = _merged(row, values, add, derive)

    def row_statements(
        self, table: str, key: Key, inserts: Sequence[Mapping[str, Any]], updates: Sequence[RowUpdate]
    ) -> Groups:
        return self._tx.row_statements(table, key, inserts, updates)

    @property
    def _tx(self) -> Tx:
        if self._bound is None:
            raise RuntimeError("a page prepared ahead of its transaction has none to read from yet")
        return self._bound

    def send(self, tx: Tx) -> None:
        """Sends a page prepared ahead (without a transaction) in ``tx``."""
        self._bound = tx
        self.flush()

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if self._tables:
            self._hold_rows()
        last = self._held[-1] if self._held else None
        if isinstance(last, tuple) and last[0] == statement:
            last[1].append(params)
        else:
            self._held.append((statement, [params]))

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
        """Sends everything held, in page order."""
        self._hold_rows()
        if self._held:
            tx, groups = self._tx, []
            for item in self._held:
                groups += [item] if isinstance(item, tuple) else self._statements(tx, item)
            tx.batch(groups)
            self._held = []

    def _table(self, table: str, key: Key) -> _Table:
        held = self._tables.get(table)
        if held is not None and held.key == key:
            return held
        if held is not None:  # the same table by another key: what it holds so far comes first
            self._hold_table(table)
        held = self._tables[table] = _Table(table, key)
        return held

    def _hold_table(self, table: str) -> None:
        """Ends ``table``'s folding: its rows are held in page order, to be written as they are now."""
        self._held.append(self._tables.pop(table))

    def _hold_rows(self) -> None:
        for table in list(self._tables):
            self._hold_table(table)

    @staticmethod
    def _statements(tx: Tx, table: _Table) -> Groups:
        updates = [(kv, *row) for kv, row in table.updates.items()]
        return tx.row_statements(table.name, table.key, list(table.inserts.values()), updates)
