"""Read model: client networks with their login failures and blocks, for the admin IP-block list."""

from __future__ import annotations

from domain.ip_address import IpAddress
from projections.base import Projection, context_of, stamp
from projections.pages import Order, Page, Query, fetch_page
from projections.store import Tx

TABLE = "rm_ip_addresses"
COLUMNS = (
    "id",
    "network",
    "failures",
    "last_failure_at",
    "blocked",
    "blocked_until",
    "blocked_at",
    "reason",
    "blocked_by",
)
SORTABLE = {
    "blocked_at": "",
    "blocked_until": "",
    "network": "",
    "failures": -1,
    "last_failure_at": "",
    "id": "",
}
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, network TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, last_failure_at TEXT,
        blocked INTEGER NOT NULL DEFAULT 0, blocked_until TEXT, blocked_at TEXT, reason TEXT,
        blocked_by TEXT)""",
)


def tracked(tx: Tx, e: IpAddress.Tracked, _: int) -> None:
    tx.insert(TABLE, {"id": str(e.originator_id), "network": e.address})


def login_failed(tx: Tx, e: IpAddress.LoginFailed, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"last_failure_at": stamp(e.timestamp)}, {"failures": 1})


def blocked(tx: Tx, e: IpAddress.Blocked, _: int) -> None:
    context = context_of(e)
    tx.update(
        TABLE,
        e.originator_id,
        {
            "blocked": 1,
            "blocked_until": stamp(e.until),
            "blocked_at": stamp(e.timestamp),
            "reason": context.get("reason"),
            "blocked_by": context.get("actor"),
        },
    )


def unblocked(tx: Tx, e: IpAddress.Unblocked, _: int) -> None:
    tx.update(
        TABLE, e.originator_id, {"blocked": 0, "blocked_until": None, "reason": None, "blocked_by": None}
    )


PROJECTION = Projection(
    name="ip_blocks",
    ddl=DDL,
    tables=(TABLE,),
    handlers={
        IpAddress.Tracked: tracked,
        IpAddress.LoginFailed: login_failed,
        IpAddress.Blocked: blocked,
        IpAddress.Unblocked: unblocked,
    },
)


def list_blocks(tx: Tx, active_only: bool, now: str, order: Order) -> Page:
    """Blocked networks (by default only blocks still in force)."""
    query = Query(TABLE, COLUMNS, SORTABLE).filter("blocked = 1")
    if active_only:
        query.filter("(blocked_until IS NULL OR blocked_until > ?)", now)
    return fetch_page(tx, query, order)


def blocked_networks(tx: Tx) -> list[tuple[str, str | None]]:
    """Every network under a block, with the block's end (None: until lifted)."""
    return [
        (str(net), until)
        for net, until in tx.all(f"SELECT network, blocked_until FROM {TABLE} WHERE blocked = 1")
    ]
