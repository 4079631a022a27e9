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


def failures_by_address(tx: Tx, since: str) -> list[tuple[str, int, int]]:
    """Per client address since ``since``: distinct known accounts it failed against, and all failures."""
    accounts = {
        str(ip): int(n)
        for ip, n in tx.all(
            f"SELECT client_ip, COUNT(DISTINCT aggregate_id) FROM {TABLE}"
            " WHERE event_type = 'Account.LoginFailed' AND at >= ? AND client_ip IS NOT NULL"
            " GROUP BY client_ip",
            [since],
        )
    }
    totals = {
        str(ip): int(n)
        for ip, n in tx.all(
            f"SELECT client_ip, COUNT(*) FROM {TABLE} WHERE event_type = 'IpAddress.LoginFailed'"
            " AND at >= ? AND client_ip IS NOT NULL GROUP BY client_ip",
            [since],
        )
    }
    return [(ip, accounts.get(ip, 0), totals.get(ip, 0)) for ip in sorted(accounts.keys() | totals.keys())]


def failures_by_account(tx: Tx, since: str) -> list[tuple[str, int]]:
    """Per account since ``since``: how many distinct addresses its failed logins came from."""
    rows = tx.all(
        f"SELECT aggregate_id, COUNT(DISTINCT client_ip) FROM {TABLE}"
        " WHERE event_type = 'Account.LoginFailed' AND at >= ? GROUP BY aggregate_id",
        [since],
    )
    return [(str(account), int(n)) for account, n in rows]


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
