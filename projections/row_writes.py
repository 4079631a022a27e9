"""What a projection's write statement does, read from its text: which row it writes (its table, the key
columns naming the row, where their values are among the parameters) and what it does to that row (the
columns it sets, adds to and reads), so that ``PageWriter`` can tell when two writes may swap places.

Two shapes are understood; any other statement is ``None`` (its reach is unknown):

* ``UPDATE t SET … WHERE id = ?`` writes the row whose id is the last parameter. An assignment
  ``c = c + 1`` (or ``- n``, ``t.c + n``) adds to ``c``; any other assignment sets its column and reads
  the columns its expression names.
* ``INSERT INTO t (…) VALUES (…) ON CONFLICT (key) DO …`` writes the row whose key columns are given by
  placeholders; it creates the row or changes it, so it swaps places with no other write on that row.

Writes to one row commute when neither sets a column the other sets, adds to or reads, and neither adds
to a column the other reads: additions to the same column commute with each other."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

UPDATE_BY_ID = re.compile(r"^UPDATE (?P<table>\w+) SET (?P<sets>(?:(?!SELECT).)*) WHERE id = \?$", re.DOTALL)
UPSERT = re.compile(
    r"^INSERT INTO (?P<table>\w+) \((?P<columns>[\w, ]+)\)\s*VALUES\s*\((?P<values>[^()]*)\)"
    r"\s*ON CONFLICT \((?P<key>[\w, ]+)\) DO (?:NOTHING|UPDATE SET (?P<sets>(?:(?!SELECT).)*))$",
    re.DOTALL,
)
ASSIGNMENT = re.compile(r"^\s*(?P<column>\w+)\s*=\s*(?P<expression>.*?)\s*$", re.DOTALL)
WORDS = re.compile(r"[A-Za-z_]\w*")
STRINGS = re.compile(r"'(?:[^']|'')*'")
KEYWORDS = frozenset({"case", "when", "then", "else", "end", "null", "and", "or", "not", "is", "in"})


@dataclass(frozen=True, eq=False)
class Effect:
    """What a write does to its row; ``whole``: it may change any column (an insert or an upsert)."""

    sets: frozenset[str] = frozenset()
    adds: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()
    whole: bool = False

    def commutes_with(self, other: Effect) -> bool:
        if self.whole or other.whole:
            return False
        return not (
            self.sets & (other.sets | other.adds | other.reads)
            or other.sets & (self.adds | self.reads)
            or self.adds & other.reads
            or other.adds & self.reads
        )


WHOLE = Effect(whole=True)


@dataclass(frozen=True, eq=False)
class RowWrite:
    """A statement's row (table, key columns, parameter indexes of the key) and its effect on it."""

    table: str
    key: str
    indexes: tuple[int, ...]
    effect: Effect
    sums: tuple[int, ...] | None = None  # a summing upsert: the parameters that add up
    key_of: Callable[[Sequence[Any]], Any] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_of", itemgetter(*self.indexes))


_KNOWN: dict[str, RowWrite | None] = {}


def row_write(statement: str) -> RowWrite | None:
    """The row ``statement`` writes and how; None when it is neither shape (cached per statement)."""
    try:
        return _KNOWN[statement]
    except KeyError:
        found = _KNOWN[statement] = _update(statement) or _upsert(statement)
        return found


def _update(statement: str) -> RowWrite | None:
    update = UPDATE_BY_ID.match(statement)
    if update is None:
        return None
    return RowWrite(update["table"], "id", (-1,), assignments(update["table"], update["sets"]))


def _upsert(statement: str) -> RowWrite | None:
    upsert = UPSERT.match(statement)
    if upsert is None:
        return None
    columns = [c.strip() for c in upsert["columns"].split(",")]
    values = [v.strip() for v in upsert["values"].split(",")]
    placeholders = [c for c, v in zip(columns, values, strict=False) if v == "?"]
    key = [c.strip() for c in upsert["key"].split(",")]
    if len(values) != len(columns) or not all(k in placeholders for k in key):
        return None
    indexes = tuple(placeholders.index(k) for k in key)
    return RowWrite(upsert["table"], ",".join(key), indexes, WHOLE, summing(upsert, placeholders, key))


def summing(upsert: re.Match[str], placeholders: list[str], key: list[str]) -> tuple[int, ...] | None:
    """For ``INSERT … VALUES (?, …) ON CONFLICT (key) DO UPDATE SET c = t.c + excluded.c, …`` over every
    other column: the parameters that add up (two such writes of one row are one write of their sums)."""
    if upsert["sets"] is None or len(placeholders) != len(upsert["values"].split(",")):
        return None
    added = [c for c in placeholders if c not in key]
    wanted = {f"{c} = {upsert['table']}.{c} + excluded.{c}" for c in added}
    if {part.strip() for part in top_level(upsert["sets"])} != wanted:
        return None
    return tuple(placeholders.index(c) for c in added)


def assignments(table: str, text: str) -> Effect:
    """The effect of ``SET text`` (``WHOLE`` when an assignment is not understood)."""
    sets: set[str] = set()
    adds: set[str] = set()
    reads: set[str] = set()
    for part in top_level(text):
        found = ASSIGNMENT.match(part)
        if found is None:
            return WHOLE
        column, expression = found["column"], found["expression"]
        if re.fullmatch(rf"(?:{table}\.)?{column}\s*[+-]\s*\d+", expression):
            adds.add(column)
            continue
        sets.add(column)
        words = WORDS.findall(STRINGS.sub("", expression))
        reads.update(w for w in words if w.lower() not in KEYWORDS and w != table)
    return Effect(frozenset(sets), frozenset(adds), frozenset(reads))


def top_level(text: str) -> list[str]:
    """``text`` split at the commas outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        elif not quoted and depth == 0 and char == ",":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts
