"""Keyset pagination over a read-model table: sort fields through an allowlist, opaque cursors."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from projections.store import Row, Tx

MAX_LIMIT = 200


class BadQuery(ValueError):
    """A sort field outside the allowlist, a malformed cursor or a limit out of range."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass
class Query:
    """A WHERE clause built from allowlisted filters, then sorted and cut by a cursor."""

    table: str
    columns: Sequence[str]
    sortable: dict[
        str, Any
    ]  # allowlisted sort column -> the value NULL sorts as ('' for text, -1 for numbers)
    key: str = "id"
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def filter(self, clause: str, *params: Any) -> Query:
        self.where.append(clause)
        self.params.extend(params)
        return self


@dataclass(frozen=True)
class Order:
    """How a list is cut: an allowlisted sort column, its direction, a page size and a cursor."""

    sort: str
    descending: bool = True
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


MAX_INT = 2**63 - 1


def cursor_value(value: Any) -> bool:
    """A sort value a cursor may carry: text (without NUL or lone surrogates), a 64-bit integer, or null."""
    if value is None:
        return True
    if isinstance(value, str):
        return (
            "\x00" not in value and value.encode("utf-8", "surrogatepass").decode("utf-8", "ignore") == value
        )
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT


def decode_cursor(cursor: str) -> list[Any]:
    """The (sort value, key) a ``next_cursor`` holds; ``BadQuery`` for anything this list never made."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, RecursionError):
        raise BadQuery("cursor", "not a cursor from this list") from None
    if not isinstance(values, list) or len(values) != 2 or not isinstance(values[1], str | int):
        raise BadQuery("cursor", "not a cursor from this list")
    if not all(cursor_value(v) for v in values):
        raise BadQuery("cursor", "not a cursor from this list")
    return values


def fetch_page(tx: Tx, query: Query, order: Order) -> Page:
    """Rows after the cursor in sort order (NULLs sort as empty text), a page of them."""
    sort, descending, limit, cursor = order.sort, order.descending, order.limit, order.cursor
    if sort not in query.sortable:
        raise BadQuery("sort", f"one of {', '.join(query.sortable)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery("limit", f"between 1 and {MAX_LIMIT}")
    null_as = query.sortable[sort]
    columns = [*query.columns, *([sort] if sort not in query.columns else [])]
    sort_expr = f"COALESCE({sort}, {null_as!r})" if sort != query.key else query.key
    where, params = list(query.where), list(query.params)
    if cursor is not None:
        value, key = decode_cursor(cursor)
        op = "<" if descending else ">"
        where.append(f"({sort_expr} {op} ? OR ({sort_expr} = ? AND {query.key} {op} ?))")
        params.extend([value, value, key])
    direction = "DESC" if descending else "ASC"
    statement = (
        f"SELECT {', '.join(columns)} FROM {query.table}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {sort_expr} {direction}, {query.key} {direction} LIMIT ?"
    )
    rows = tx.all(statement, [*params, limit + 1])
    records = [dict(zip(columns, row, strict=True)) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = records[-1]
        value = last.get(sort)
        next_cursor = encode_cursor([null_as if value is None else value, last[query.key]])
    return Page(records, next_cursor)


def as_dicts(columns: Sequence[str], rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def like_escape(text: str) -> str:
    """``text`` with LIKE wildcards escaped by ``!`` (use with ``ESCAPE '!'``)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
