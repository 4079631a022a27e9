"""A run of one ``UPDATE t SET … WHERE id = ?`` without other parameters, as few set-based statements
(PostgreSQL): ``WHERE id = ANY(?)``, one statement per round, each row's k-th update in round k, so a row
updated twice is updated twice, in order. On PostgreSQL one such statement costs a third of the same rows
sent one by one in a pipeline (500 rows: 1.9 ms against 5.3 ms, measured on this machine)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# SET without placeholders (a literal ``?`` in quotes is not expected in a projection's SET)
UPDATE_BY_ID = re.compile(r"^(?P<head>UPDATE \w+ SET [^?]*) WHERE id = \?$", re.DOTALL)
FROM_ROWS = 8  # shorter runs go as they are


def update_rounds(statement: str, rows: Sequence[Sequence[Any]]) -> list[tuple[str, list[str]]] | None:
    """``(statement, ids)`` per round, or None when ``statement`` is not such an UPDATE, its rows carry
    more than a text id, or the run is short."""
    found = UPDATE_BY_ID.match(statement)
    if found is None or len(rows) < FROM_ROWS:
        return None
    rounds: list[list[str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        if len(row) != 1 or type(row[0]) is not str:
            return None
        times = seen.get(row[0], 0)
        seen[row[0]] = times + 1
        if times == len(rounds):
            rounds.append([])
        rounds[times].append(row[0])
    head = found["head"]
    return [(f"{head} WHERE id = ANY(?::text[])", ids) for ids in rounds]
