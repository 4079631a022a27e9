"""Read model: accounts, for the admin user list and the dashboard's user counts."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.account import Account
from projections.base import Projection, context_of, stamp
from projections.pages import Order, Page, Query, fetch_page, like_escape
from projections.store import Tx

TABLE = "rm_accounts"
COLUMNS = (
    "id",
    "username",
    "role",
    "device_limit",
    "devices_used",
    "banned",
    "banned_until",
    "ban_reason",
    "license_expiry",
    "created_at",
    "last_login_at",
    "failed_logins",
    "sessions_open",
)
SORTABLE = {
    "username_key": "",
    "created_at": "",
    "last_login_at": "",
    "license_expiry": "",
    "role": "",
    "id": "",
}
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, username TEXT NOT NULL, username_key TEXT NOT NULL, role TEXT NOT NULL,
        device_limit INTEGER NOT NULL, devices_used INTEGER NOT NULL DEFAULT 0,
        banned INTEGER NOT NULL DEFAULT 0,
        banned_until TEXT, ban_reason TEXT, license_expiry TEXT, created_at TEXT NOT NULL, last_login_at TEXT,
        failed_logins INTEGER NOT NULL DEFAULT 0, sessions_open INTEGER NOT NULL DEFAULT 0,
        expiry_noticed TEXT)""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_username ON {TABLE} (username_key)",
)


def registered(tx: Tx, e: Account.Registered, _: int) -> None:
    tx.insert(
        TABLE,
        {
            "id": str(e.originator_id),
            "username": e.username,
            "username_key": e.username.lower(),
            "role": e.role,
            "device_limit": e.device_limit,
            "created_at": stamp(e.timestamp),
        },
    )


def role_changed(tx: Tx, e: Account.RoleChanged, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"role": e.role})


def device_limit_set(tx: Tx, e: Account.DeviceLimitSet, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"device_limit": e.device_limit})


def banned(tx: Tx, e: Account.Banned, _: int) -> None:
    tx.update(
        TABLE,
        e.originator_id,
        {
            "banned": 1,
            "banned_until": stamp(e.until),
            "ban_reason": context_of(e).get("reason"),
            "sessions_open": 0,
        },
    )


def unbanned(tx: Tx, e: Account.Unbanned, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"banned": 0, "banned_until": None, "ban_reason": None})


def license_applied(tx: Tx, e: Account.LicenseApplied, _: int) -> None:
    tx.update(
        TABLE,
        e.originator_id,
        {"role": e.role, "device_limit": e.device_limit, "license_expiry": stamp(e.expires_at)},
    )


def license_withdrawn(tx: Tx, e: Account.LicenseWithdrawn, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"license_expiry": stamp(e.expires_at)})


def device_attached(tx: Tx, e: Account.DeviceAttached, _: int) -> None:
    tx.update(TABLE, e.originator_id, add={"devices_used": 1})


def device_detached(tx: Tx, e: Account.DeviceDetached, _: int) -> None:
    tx.update(TABLE, e.originator_id, add={"devices_used": -1})


def logged_in(tx: Tx, e: Account.LoggedIn, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"last_login_at": stamp(e.timestamp)}, {"sessions_open": 1})


def session_ended(tx: Tx, e: Account.SessionEnded, _: int) -> None:
    tx.update(TABLE, e.originator_id, add={"sessions_open": -1})


def license_expired(tx: Tx, e: Account.LicenseExpired, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"expiry_noticed": stamp(e.expires_at)})


def login_failed(tx: Tx, e: Account.LoginFailed, _: int) -> None:
    tx.update(TABLE, e.originator_id, add={"failed_logins": 1})


PROJECTION = Projection(
    name="accounts",
    ddl=DDL,
    tables=(TABLE,),
    handlers={
        Account.Registered: registered,
        Account.RoleChanged: role_changed,
        Account.DeviceLimitSet: device_limit_set,
        Account.Banned: banned,
        Account.Unbanned: unbanned,
        Account.LicenseApplied: license_applied,
        Account.LicenseWithdrawn: license_withdrawn,
        Account.DeviceAttached: device_attached,
        Account.DeviceDetached: device_detached,
        Account.LoggedIn: logged_in,
        Account.SessionEnded: session_ended,
        Account.LoginFailed: login_failed,
        Account.LicenseExpired: license_expired,
    },
)


@dataclass(frozen=True)
class AccountFilter:
    search: str | None = None  # part of a username
    role: str | None = None
    status: str | None = None  # active or banned


def list_accounts(tx: Tx, f: AccountFilter, now: str, order: Order) -> Page:
    """Accounts matching a username search, a role and a status (active, banned), in allowlisted order
    (``username`` sorts case-insensitively)."""
    query = Query(TABLE, COLUMNS, SORTABLE)
    if f.search:
        query.filter("username_key LIKE ? ESCAPE '!'", f"%{like_escape(f.search.lower())}%")
    if f.role:
        query.filter("role = ?", f.role)
    if f.status == "banned":
        query.filter("banned = 1 AND (banned_until IS NULL OR banned_until > ?)", now)
    elif f.status == "active":
        query.filter("NOT (banned = 1 AND (banned_until IS NULL OR banned_until > ?))", now)
    if order.sort == "username":
        order = replace(order, sort="username_key")
    return fetch_page(tx, query, order)


def unnoticed_expiries(tx: Tx, now: str, limit: int) -> list[str]:
    """Accounts whose license time ran out and has not been recorded as such yet."""
    rows = tx.all(
        f"SELECT id FROM {TABLE} WHERE license_expiry <= ?"
        " AND (expiry_noticed IS NULL OR expiry_noticed <> license_expiry) ORDER BY license_expiry LIMIT ?",
        [now, limit],
    )
    return [str(row[0]) for row in rows]
