"""Read model: the audit index — which event, of which aggregate, by whom, from where, when — pointing at
the event's position in the store (the event data itself is read from the store, never copied)."""

from __future__ import annotations

from typing import Any

from projections.activity import event_type
from projections.base import Projection, context_of, stamp
from projections.store import Tx

TABLE = "rm_audit"
COLUMNS = ("position", "aggregate_id", "aggregate_type", "version", "event_type", "actor", "client_ip", "at")
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        position BIGINT PRIMARY KEY, aggregate_id TEXT NOT NULL, aggregate_type TEXT NOT NULL,
        version INTEGER NOT NULL, event_type TEXT NOT NULL, actor TEXT, client_ip TEXT, at TEXT NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_aggregate ON {TABLE} (aggregate_id, position)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_actor ON {TABLE} (actor, position)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_at ON {TABLE} (at, position)",
)
FILTERS = {
    "aggregate_id": "aggregate_id = ?",
    "event_type": "event_type = ?",
    "actor": "actor = ?",
    "client_ip": "client_ip = ?",
    "since": "at >= ?",
    "until": "at <= ?",
}


def record(tx: Tx, event: Any, position: int) -> None:
    kind = event_type(event)
    context = context_of(event)
    tx.execute(
        f"INSERT INTO {TABLE} (position, aggregate_id, aggregate_type, version, event_type, actor, client_ip,"
        " at)"
        " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (position) DO NOTHING",
        [
            position,
            str(event.originator_id),
            kind.split(".", 1)[0],
            event.originator_version,
            kind,
            context.get("actor"),
            context.get("client_ip"),
            stamp(event.timestamp),
        ],
    )


PROJECTION = Projection(name="audit_index", ddl=DDL, tables=(TABLE,), handlers={}, every_event=record)


def search(tx: Tx, filters: dict[str, str], *, after: int | None, limit: int) -> list[dict[str, Any]]:
    """Index entries matching every given filter, oldest first, after a position."""
    where = [FILTERS[name] for name in filters]
    params: list[Any] = list(filters.values())
    if after is not None:
        where.append("position > ?")
        params.append(after)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = tx.all(
        f"SELECT {', '.join(COLUMNS)} FROM {TABLE} {clause} ORDER BY position LIMIT ?",
        [*params, limit],
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]
