"""Read model: the audit index — which event, of which aggregate, by whom, from where, when — pointing at
the event's position in the store (the event data itself is read from the store, never copied)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections.activity import event_type
from projections.base import Projection, context_of, parse_stamp, stamp, text_time
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
    tx.insert(
        TABLE,
        {
            "position": position,
            "aggregate_id": str(event.originator_id),
            "aggregate_type": kind.split(".", 1)[0],
            "version": event.originator_version,
            "event_type": kind,
            "actor": context.get("actor"),
            "client_ip": context.get("client_ip"),
            "at": stamp(event.timestamp),
        },
        key="position",
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


def login_failures(tx: Tx, since: str) -> list[tuple[str, str, str, str]]:
    """Failed logins since ``since`` that came with a client address, as (event type, address, aggregate
    id, when): ``IpAddress.LoginFailed`` once per attempt, ``Account.LoginFailed`` once per attempt on a
    known account (its aggregate is the account). Callers group them by network."""
    rows = tx.all(
        f"SELECT event_type, client_ip, aggregate_id, at FROM {TABLE} WHERE at >= ? AND client_ip IS NOT NULL"
        " AND event_type IN ('IpAddress.LoginFailed', 'Account.LoginFailed')",
        [since],
    )
    return [(str(kind), str(ip), str(aggregate), str(at)) for kind, ip, aggregate, at in rows]


def fingerprint_changes_by_actor(tx: Tx, since: str) -> list[tuple[str, int]]:
    """Per acting account since ``since``: devices bound plus fingerprints changed."""
    rows = tx.all(
        f"SELECT actor, COUNT(*) FROM {TABLE}"
        " WHERE event_type IN ('Device.Bound', 'Device.FingerprintUpdated') AND at >= ? AND actor IS NOT NULL"
        " GROUP BY actor",
        [since],
    )
    return [(str(actor), int(n)) for actor, n in rows]


def login_attempts(tx: Tx, since: datetime) -> list[tuple[int, str, str, str | None, float]]:
    """Login failures and successes since ``since``: position, event type, aggregate id, client address and
    epoch time."""
    rows = tx.all(
        f"SELECT position, event_type, aggregate_id, client_ip, at FROM {TABLE} WHERE at >= ? AND event_type"
        " IN ('IpAddress.LoginFailed', 'Account.LoginFailed', 'Account.LoggedIn') ORDER BY position",
        [text_time(since)],
    )
    return [
        (int(pos), str(kind), str(aggregate), ip, parse_stamp(str(at)).timestamp())
        for pos, kind, aggregate, ip, at in rows
    ]


def downloads_since(tx: Tx, since: datetime) -> list[tuple[int, str, float]]:
    """Granted downloads (``Download.Downloaded``) since ``since``: position, account, epoch time."""
    rows = tx.all(
        f"SELECT position, actor, at FROM {TABLE} WHERE at >= ? AND event_type = 'Download.Downloaded'"
        " AND actor IS NOT NULL ORDER BY position",
        [text_time(since)],
    )
    return [(int(pos), str(actor), parse_stamp(str(at)).timestamp()) for pos, actor, at in rows]
