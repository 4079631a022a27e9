"""Read model: license keys and their status, for the admin license list and expiry figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.license import License
from projections.base import Projection, stamp
from projections.pages import Order, Page, Query, fetch_page
from projections.store import Tx

TABLE = "rm_licenses"
COLUMNS = (
    "id",
    "status",
    "days",
    "tier",
    "device_limit",
    "note",
    "batch_id",
    "account_id",
    "issued_at",
    "activated_at",
)
SORTABLE = {"issued_at": "", "activated_at": "", "status": "", "days": -1, "id": ""}
STATUSES = ("available", "active", "suspended", "revoked")
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, status TEXT NOT NULL, days INTEGER NOT NULL, tier TEXT NOT NULL,
        device_limit INTEGER NOT NULL, note TEXT NOT NULL, batch_id TEXT NOT NULL, account_id TEXT,
        issued_at TEXT NOT NULL, activated_at TEXT, suspended INTEGER NOT NULL DEFAULT 0,
        revoked INTEGER NOT NULL DEFAULT 0)""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_account ON {TABLE} (account_id)",
)
# derived from the row's other columns, so one application after a row's changes is enough
STATUS_SQL = (
    "status = CASE WHEN revoked = 1 THEN 'revoked' WHEN suspended = 1 THEN 'suspended' "
    "WHEN account_id IS NOT NULL THEN 'active' ELSE 'available' END"
)


def _changed(
    tx: Tx, license_id: Any, values: dict[str, Any] | None = None, add: dict[str, int] | None = None
) -> None:
    """Updates a license row, then its status (computed from the row as it is then)."""
    tx.update(TABLE, license_id, values, add, derive=STATUS_SQL)


def issued(tx: Tx, e: License.Issued, _: int) -> None:
    tx.insert(
        TABLE,
        {
            "id": str(e.originator_id),
            "status": "available",
            "days": e.days,
            "tier": e.tier,
            "device_limit": e.device_limit,
            "note": e.note,
            "batch_id": str(e.batch_id),
            "issued_at": stamp(e.timestamp),
        },
    )


def activated(tx: Tx, e: License.Activated, _: int) -> None:
    _changed(tx, e.originator_id, {"account_id": str(e.account_id), "activated_at": stamp(e.timestamp)})


def extended(tx: Tx, e: License.Extended, _: int) -> None:
    _changed(tx, e.originator_id, add={"days": e.days})


def suspended(tx: Tx, e: License.Suspended, _: int) -> None:
    _changed(tx, e.originator_id, {"suspended": 1})


def reinstated(tx: Tx, e: License.Reinstated, _: int) -> None:
    _changed(tx, e.originator_id, {"suspended": 0})


def revoked(tx: Tx, e: License.Revoked, _: int) -> None:
    _changed(tx, e.originator_id, {"revoked": 1})


PROJECTION = Projection(
    name="licenses",
    ddl=DDL,
    tables=(TABLE,),
    handlers={
        License.Issued: issued,
        License.Activated: activated,
        License.Extended: extended,
        License.Suspended: suspended,
        License.Reinstated: reinstated,
        License.Revoked: revoked,
    },
)


@dataclass(frozen=True)
class LicenseFilter:
    status: str | None = None
    account_id: str | None = None
    batch_id: str | None = None
    license_id: str | None = None


def list_licenses(tx: Tx, f: LicenseFilter, order: Order) -> Page:
    query = Query(TABLE, COLUMNS, SORTABLE)
    if f.status:
        query.filter("status = ?", f.status)
    if f.license_id:
        query.filter("id = ?", f.license_id)
    if f.account_id:
        query.filter("account_id = ?", f.account_id)
    if f.batch_id:
        query.filter("batch_id = ?", f.batch_id)
    return fetch_page(tx, query, order)


def figures(tx: Tx, now: str, soon: str) -> dict[str, int]:
    """Keys issued, per status, and active keys whose account's time ends between ``now`` and ``soon``."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in tx.all(f"SELECT status, COUNT(*) FROM {TABLE} GROUP BY status"):
        counts[str(status)] = int(count)
    row = tx.one(f"SELECT COUNT(*) FROM {TABLE} l {EXPIRING}", [now, soon])
    return {"issued": sum(counts.values()), **counts, "expiring": int(row[0]) if row else 0}


EXPIRING = (
    "JOIN rm_accounts a ON a.id = l.account_id"
    " WHERE l.status = 'active' AND a.license_expiry > ? AND a.license_expiry <= ?"
)


def expiring(tx: Tx, now: str, soon: str, limit: int) -> list[dict[str, Any]]:
    """Active keys whose account's time ends between ``now`` and ``soon``, soonest first."""
    rows = tx.all(
        f"SELECT l.id, l.account_id, a.license_expiry, l.tier, l.note FROM {TABLE} l {EXPIRING}"
        " ORDER BY a.license_expiry, l.id LIMIT ?",
        [now, soon, limit],
    )
    keys = ("id", "account_id", "expires_at", "tier", "note")
    return [dict(zip(keys, row, strict=True)) for row in rows]
