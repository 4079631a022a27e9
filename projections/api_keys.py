"""Read model: API keys (never their secrets) for the admin list: name, scopes, who made them, expiry,
revocation."""

from __future__ import annotations

from domain.api_key import ApiKey
from projections.base import Projection, context_of, stamp
from projections.pages import Order, Page, Query, fetch_page
from projections.store import Tx

TABLE = "rm_api_keys"
COLUMNS = ("id", "name", "scopes", "created_at", "created_by", "expires_at", "revoked_at", "revoked_by")
SORTABLE = {"created_at": "", "name": "", "id": ""}
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL, created_at TEXT NOT NULL,
        created_by TEXT, expires_at TEXT, revoked_at TEXT, revoked_by TEXT)""",
)


def created(tx: Tx, e: ApiKey.Created, _: int) -> None:
    tx.insert(
        TABLE,
        {
            "id": str(e.originator_id),
            "name": e.name,
            "scopes": " ".join(e.scopes),
            "created_at": stamp(e.timestamp),
            "created_by": context_of(e).get("actor"),
            "expires_at": stamp(e.expires_at),
        },
    )


def revoked(tx: Tx, e: ApiKey.Revoked, _: int) -> None:
    tx.update(
        TABLE, e.originator_id, {"revoked_at": stamp(e.timestamp), "revoked_by": context_of(e).get("actor")}
    )


PROJECTION = Projection(
    name="api_keys",
    ddl=DDL,
    tables=(TABLE,),
    handlers={ApiKey.Created: created, ApiKey.Revoked: revoked},
)


def list_keys(tx: Tx, active_only: bool, order: Order) -> Page:
    query = Query(TABLE, COLUMNS, SORTABLE)
    if active_only:
        query.filter("revoked_at IS NULL")
    return fetch_page(tx, query, order)
