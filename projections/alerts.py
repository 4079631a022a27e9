"""Read model: alerts, newest first, with who acknowledged them, for the admin alerts page."""

from __future__ import annotations

from domain.alert import Alert
from projections.base import Projection, context_of, stamp
from projections.pages import Order, Page, Query, fetch_page
from projections.store import Tx

TABLE = "rm_alerts"
COLUMNS = (
    "id",
    "kind",
    "subject",
    "count",
    "window_start",
    "raised_at",
    "acknowledged_at",
    "acknowledged_by",
)
SORTABLE = {"raised_at": "", "kind": "", "id": ""}
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, count INTEGER NOT NULL,
        window_start TEXT NOT NULL, raised_at TEXT NOT NULL, acknowledged_at TEXT, acknowledged_by TEXT)""",
)


def raised(tx: Tx, e: Alert.Raised, _: int) -> None:
    tx.insert(
        TABLE,
        {
            "id": str(e.originator_id),
            "kind": e.kind,
            "subject": e.subject,
            "count": e.count,
            "window_start": stamp(e.window_start),
            "raised_at": stamp(e.timestamp),
        },
    )


def acknowledged(tx: Tx, e: Alert.Acknowledged, _: int) -> None:
    tx.update(
        TABLE,
        e.originator_id,
        {"acknowledged_at": stamp(e.timestamp), "acknowledged_by": context_of(e).get("actor")},
    )


PROJECTION = Projection(
    name="alerts",
    ddl=DDL,
    tables=(TABLE,),
    handlers={Alert.Raised: raised, Alert.Acknowledged: acknowledged},
)


def list_alerts(tx: Tx, open_only: bool, order: Order) -> Page:
    query = Query(TABLE, COLUMNS, SORTABLE)
    if open_only:
        query.filter("acknowledged_at IS NULL")
    return fetch_page(tx, query, order)
