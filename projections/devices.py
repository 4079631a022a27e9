"""Read model: devices (presence — last seen, online — is joined from the presence store at query time)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.device import Device
from projections.base import Projection, stamp
from projections.pages import Order, Page, Query, fetch_page, like_escape
from projections.store import Tx

TABLE = "rm_devices"
COLUMNS = (
    "id",
    "account_id",
    "nickname",
    "client_version",
    "released",
    "bound_at",
    "released_at",
    "fingerprint_changes",
    "has_public_key",
)
SORTABLE = {"bound_at": "", "nickname": "", "client_version": "", "id": ""}
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL, nickname TEXT NOT NULL, client_version TEXT NOT NULL,
        released INTEGER NOT NULL DEFAULT 0, bound_at TEXT NOT NULL, released_at TEXT,
        fingerprint_changes INTEGER NOT NULL DEFAULT 0, has_public_key INTEGER NOT NULL DEFAULT 0,
        heartbeat_lost INTEGER NOT NULL DEFAULT 0, lost_since TEXT)""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_account ON {TABLE} (account_id)",
)


def bound(tx: Tx, e: Device.Bound, _: int) -> None:
    tx.insert(
        TABLE,
        {
            "id": str(e.originator_id),
            "account_id": str(e.account_id),
            "nickname": e.nickname,
            "client_version": e.client_version,
            "bound_at": stamp(e.timestamp),
            "has_public_key": int(e.public_key is not None),
        },
    )


def fingerprint_updated(tx: Tx, e: Device.FingerprintUpdated, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"client_version": e.client_version}, {"fingerprint_changes": 1})


def key_registered(tx: Tx, e: Device.PublicKeyRegistered, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"has_public_key": 1})


def renamed(tx: Tx, e: Device.Renamed, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"nickname": e.nickname})


def released(tx: Tx, e: Device.Released, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"released": 1, "released_at": stamp(e.timestamp)})


def heartbeat_lost(tx: Tx, e: Device.HeartbeatLost, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"heartbeat_lost": 1, "lost_since": stamp(e.last_seen)})


def heartbeat_resumed(tx: Tx, e: Device.HeartbeatResumed, _: int) -> None:
    tx.update(TABLE, e.originator_id, {"heartbeat_lost": 0, "lost_since": None})


PROJECTION = Projection(
    name="devices",
    ddl=DDL,
    tables=(TABLE,),
    handlers={
        Device.Bound: bound,
        Device.FingerprintUpdated: fingerprint_updated,
        Device.PublicKeyRegistered: key_registered,
        Device.Renamed: renamed,
        Device.Released: released,
        Device.HeartbeatLost: heartbeat_lost,
        Device.HeartbeatResumed: heartbeat_resumed,
    },
)


@dataclass(frozen=True)
class DeviceFilter:
    account_id: str | None = None
    search: str | None = None  # part of a nickname
    released: bool | None = None


def list_devices(tx: Tx, f: DeviceFilter, order: Order) -> Page:
    query = Query(TABLE, COLUMNS, SORTABLE)
    if f.account_id:
        query.filter("account_id = ?", f.account_id)
    if f.search:
        query.filter("LOWER(nickname) LIKE ? ESCAPE '!'", f"%{like_escape(f.search.lower())}%")
    if f.released is not None:
        query.filter("released = ?", int(f.released))
    return fetch_page(tx, query, order)


def bound_devices(tx: Tx) -> list[tuple[str, bool]]:
    """Every device still bound, with whether its heartbeats are marked lost."""
    return [
        (str(row[0]), bool(row[1]))
        for row in tx.all(f"SELECT id, heartbeat_lost FROM {TABLE} WHERE released = 0")
    ]
