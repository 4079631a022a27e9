"""Read model: sessions, for the admin session list and the dashboard's open-session counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.session import Session
from projections.base import Projection, stamp
from projections.pages import Order, Page, Query, fetch_page
from projections.store import Tx

TABLE = "rm_sessions"
COLUMNS = (
    "id",
    "account_id",
    "kind",
    "device_id",
    "opened_at",
    "expires_at",
    "closed_at",
    "closed_reason",
    "rotations",
    "client_ip",
)
SORTABLE = {"opened_at": "", "expires_at": "", "closed_at": "", "id": ""}
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL, kind TEXT NOT NULL, device_id TEXT,
        opened_at TEXT NOT NULL,
        expires_at TEXT NOT NULL, closed_at TEXT, closed_reason TEXT, rotations INTEGER NOT NULL DEFAULT 0,
        client_ip TEXT)""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_account ON {TABLE} (account_id)",
)


def opened(tx: Tx, e: Session.Opened, _: int) -> None:
    tx.insert(
        TABLE,
        {
            "id": str(e.originator_id),
            "account_id": str(e.account_id),
            "kind": e.kind,
            "device_id": str(e.device_id) if e.device_id else None,
            "opened_at": stamp(e.timestamp),
            "expires_at": stamp(e.expires_at),
            "client_ip": e.context.get("client_ip"),
        },
    )


def rotated(tx: Tx, e: Session.Rotated | Session.GraceRotated, _: int) -> None:
    tx.update(TABLE, e.originator_id, add={"rotations": 1})


def closed(tx: Tx, e: Session.Closed, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"closed_at": stamp(e.timestamp), "closed_reason": e.reason})


PROJECTION = Projection(
    name="sessions",
    ddl=DDL,
    tables=(TABLE,),
    handlers={
        Session.Opened: opened,
        Session.Rotated: rotated,
        Session.GraceRotated: rotated,
        Session.Closed: closed,
    },
)


@dataclass(frozen=True)
class SessionFilter:
    kind: str | None = None
    account_id: str | None = None
    open_only: bool = False


def list_sessions(tx: Tx, f: SessionFilter, now: str, order: Order) -> Page:
    query = Query(TABLE, COLUMNS, SORTABLE)
    if f.kind:
        query.filter("kind = ?", f.kind)
    if f.account_id:
        query.filter("account_id = ?", f.account_id)
    if f.open_only:
        query.filter("closed_at IS NULL AND expires_at > ?", now)
    return fetch_page(tx, query, order)


def open_by_kind(tx: Tx, now: str) -> dict[str, Any]:
    rows = tx.all(
        f"SELECT kind, COUNT(*) FROM {TABLE} WHERE closed_at IS NULL AND expires_at > ? GROUP BY kind",
        [now],
    )
    counts = {"web": 0, "desktop": 0}
    counts.update({str(kind): int(count) for kind, count in rows})
    return counts


def past_lifetime(tx: Tx, now: str, limit: int) -> list[str]:
    """Sessions still open in the read model whose absolute lifetime has passed."""
    rows = tx.all(
        f"SELECT id FROM {TABLE} WHERE closed_at IS NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
        [now, limit],
    )
    return [str(row[0]) for row in rows]
