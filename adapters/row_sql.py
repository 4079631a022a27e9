"""The SQL that writes rows by key (``projections.store.Tx.insert`` / ``update`` and a catch-up page's folded
rows): inserts grouped by their columns, updates by the columns they set and add.

SQLite: one statement a row, as ``executemany`` runs (rows cost the same however they are sent).
PostgreSQL: one statement for all the rows of one shape, the rows as a JSON array the server reads as the
table's own row type (``json_populate_recordset``), so a page's rows cost a few statements instead of a
protocol exchange each. Table and column names go into the SQL text and must be plain identifiers; values
are always parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

Groups = list[tuple[str, list[Sequence[Any]]]]
# One row's update: (key value, column -> new value, column -> amount added, derived assignments)
RowUpdate = tuple[Any, Mapping[str, Any], Mapping[str, int], Sequence[str]]
Key = str | tuple[str, ...]


def statements(
    table: str,
    key: Key,
    inserts: Sequence[Mapping[str, Any]],
    updates: Sequence[RowUpdate],
    *,
    postgres: bool,
) -> Groups:
    """The statements, each with its rows, that insert ``inserts`` (``ON CONFLICT (key) DO NOTHING``) and
    then apply ``updates`` (one per key value)."""
    keys = (key,) if isinstance(key, str) else tuple(key)
    _identifiers(table, *keys)
    groups: Groups = []
    by_columns: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in inserts:
        by_columns.setdefault(tuple(row), []).append(row)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO NOTHING"
    for columns, rows in by_columns.items():
        _identifiers(*columns)
        names = ", ".join(columns)
        if postgres:
            source = f"json_populate_recordset(NULL::{table}, ?::json)"
            statement = f"INSERT INTO {table} ({names}) SELECT {names} FROM {source} {conflict}"
            groups.append((statement, [(_json(rows),)]))
        else:
            marks = ", ".join("?" for _ in columns)
            groups.append(
                (
                    f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}",
                    [tuple(map(row.__getitem__, columns)) for row in rows],
                )
            )
    shapes: dict[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], list[RowUpdate]] = {}
    for change in updates:
        _, values, add, derive = change
        shapes.setdefault((tuple(sorted(values)), tuple(sorted(add)), tuple(derive)), []).append(change)
    for shape, changes in shapes.items():
        _identifiers(*shape[0], *shape[1])
        groups.extend(_updates(table, keys, shape, changes, postgres=postgres))
    return groups


def _updates(
    table: str,
    keys: tuple[str, ...],
    shape: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    changes: Sequence[RowUpdate],
    *,
    postgres: bool,
) -> Groups:
    set_columns, add_columns, derive = shape
    if postgres:
        assignments = [f"{c} = v.{c}" for c in set_columns]
        assignments += [f"{c} = {table}.{c} + v.{c}" for c in add_columns]
        rows = _json(
            [
                {**dict(zip(keys, _values(kv, keys), strict=True)), **values, **add}
                for kv, values, add, _ in changes
            ]
        )
        source = f"json_populate_recordset(NULL::{table}, ?::json) AS v"
        match = " AND ".join(f"{table}.{k} = v.{k}" for k in keys)
        found = f"({', '.join(keys)}) IN (SELECT {', '.join(f'v.{k}' for k in keys)} FROM {source})"
        groups: Groups = []
        if assignments:
            statement = f"UPDATE {table} SET {', '.join(assignments)} FROM {source} WHERE {match}"
            groups.append((statement, [(rows,)]))
        groups.extend((f"UPDATE {table} SET {derived} WHERE {found}", [(rows,)]) for derived in derive)
        return groups
    assignments = [f"{c} = ?" for c in set_columns] + [f"{c} = {c} + ?" for c in add_columns]
    where = " AND ".join(f"{k} = ?" for k in keys)
    groups = []
    if assignments:
        groups.append(
            (
                f"UPDATE {table} SET {', '.join(assignments)} WHERE {where}",
                [
                    (
                        *(values[c] for c in set_columns),
                        *(add[c] for c in add_columns),
                        *_values(kv, keys),
                    )
                    for kv, values, add, _ in changes
                ],
            )
        )
    groups.extend(
        (f"UPDATE {table} SET {assignment} WHERE {where}", [_values(kv, keys) for kv, *_ in changes])
        for assignment in derive
    )
    return groups


def _json(rows: Sequence[Mapping[str, Any]]) -> str:
    return orjson.dumps(list(rows)).decode()


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


_NAMES: set[str] = set()  # names already checked


def _identifiers(*names: str) -> None:
    """Table and column names go into the SQL text: each must be a plain identifier."""
    for name in names:
        if name not in _NAMES:
            if not IDENTIFIER.fullmatch(name):
                raise ValueError(f"not a table or column name: {name!r}")
            _NAMES.add(name)


def _values(key_value: Any, keys: tuple[str, ...]) -> tuple[Any, ...]:
    """A row's key values, in ``keys`` order (a one-column key's value is the value itself), each an
    integer or text (an id as its text)."""
    values = (key_value,) if len(keys) == 1 else tuple(key_value)
    return tuple(v if isinstance(v, int) else str(v) for v in values)
