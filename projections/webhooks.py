"""Read model: webhook endpoints (never their secrets) for the admin list and page."""

from __future__ import annotations

from typing import Any

from domain.webhook import WebhookEndpoint
from projections.base import Projection, stamp
from projections.pages import Order, Page, Query, fetch_page
from projections.store import Tx

TABLE = "rm_webhooks"
COLUMNS = ("id", "url", "event_types", "description", "status", "registered_at", "secret_rotated_at")
SORTABLE = {"registered_at": "", "url": "", "id": ""}
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, url TEXT NOT NULL, event_types TEXT NOT NULL, description TEXT NOT NULL,
        status TEXT NOT NULL, registered_at TEXT NOT NULL, secret_rotated_at TEXT)""",
)


def registered(tx: Tx, e: WebhookEndpoint.Registered, _: int) -> None:
    tx.insert(
        TABLE,
        {
            "id": str(e.originator_id),
            "url": e.url,
            "event_types": " ".join(e.event_types),
            "description": e.description,
            "status": "enabled",
            "registered_at": stamp(e.timestamp),
        },
    )


def updated(tx: Tx, e: WebhookEndpoint.Updated, _: int) -> None:
    tx.update(
        TABLE,
        e.originator_id,
        {"url": e.url, "event_types": " ".join(e.event_types), "description": e.description},
    )


def status(value: str) -> Any:
    return lambda tx, e, _: tx.update(TABLE, e.originator_id, {"status": value})


def disabled(tx: Tx, e: WebhookEndpoint.Disabled, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"status": "failing" if e.failing else "disabled"})


def rotated(tx: Tx, e: WebhookEndpoint.SecretRotated, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"secret_rotated_at": stamp(e.timestamp)})


PROJECTION = Projection(
    name="webhooks",
    ddl=DDL,
    tables=(TABLE,),
    handlers={
        WebhookEndpoint.Registered: registered,
        WebhookEndpoint.Updated: updated,
        WebhookEndpoint.SecretRotated: rotated,
        WebhookEndpoint.Disabled: disabled,
        WebhookEndpoint.Enabled: status("enabled"),
        WebhookEndpoint.Removed: status("removed"),
    },
)


def list_endpoints(tx: Tx, include_removed: bool, order: Order) -> Page:
    query = Query(TABLE, COLUMNS, SORTABLE)
    if not include_removed:
        query.filter("status <> 'removed'")
    return fetch_page(tx, query, order)
