"""Read model: hourly counters (logins, failed logins, activations) for the dashboard's charts. The
dashboard's figures are counted from the accounts, sessions and audit-index models (exact 24-hour windows)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.account import Account
from domain.ip_address import IpAddress
from domain.license import License
from projections import accounts, audit_index, sessions
from projections.base import Projection, text_time
from projections.store import Tx

TABLE = "rm_hourly"
COUNTERS = ("logins", "failed_logins", "activations")
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        hour TEXT PRIMARY KEY, logins INTEGER NOT NULL DEFAULT 0, failed_logins INTEGER NOT NULL DEFAULT 0,
        activations INTEGER NOT NULL DEFAULT 0)""",
)


def hour_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H")


def _count(tx: Tx, moment: datetime, counter: str) -> None:
    """The hour's row (counters from 0), one more in ``counter``: a page's counts fold into a row an hour."""
    hour = hour_of(moment)
    tx.insert(TABLE, {"hour": hour}, key="hour")
    tx.update(TABLE, hour, add={counter: 1}, key="hour")


def logged_in(tx: Tx, e: Account.LoggedIn, _: int) -> None:
    _count(tx, e.timestamp, "logins")


def login_failed(tx: Tx, e: IpAddress.LoginFailed, _: int) -> None:
    _count(tx, e.timestamp, "failed_logins")


def activated(tx: Tx, e: License.Activated, _: int) -> None:
    _count(tx, e.timestamp, "activations")


PROJECTION = Projection(
    name="dashboard",
    ddl=DDL,
    tables=(TABLE,),
    handlers={Account.LoggedIn: logged_in, IpAddress.LoginFailed: login_failed, License.Activated: activated},
)


def hourly(tx: Tx, now: datetime, hours: int) -> list[dict[str, Any]]:
    """The last ``hours`` hours up to now, oldest first, zeros where nothing happened."""
    start = now - timedelta(hours=hours - 1)
    rows = {
        str(r[0]): r[1:]
        for r in tx.all(f"SELECT hour, {', '.join(COUNTERS)} FROM {TABLE} WHERE hour >= ?", [hour_of(start)])
    }
    series = []
    for i in range(hours):
        hour = hour_of(start + timedelta(hours=i))
        values = rows.get(hour, (0, 0, 0))
        series.append({"hour": hour, **dict(zip(COUNTERS, (int(v) for v in values), strict=True))})
    return series


def stats(tx: Tx, now: datetime, devices_online: int) -> dict[str, Any]:
    """The dashboard's figures as of ``now``."""
    at, day_ago = text_time(now), text_time(now - timedelta(hours=24))
    week, month = text_time(now + timedelta(days=7)), text_time(now + timedelta(days=30))
    acc = accounts.TABLE

    def one(statement: str, *params: Any) -> int:
        row = tx.one(statement, list(params))
        return int(row[0] or 0) if row else 0

    aud = audit_index.TABLE
    return {
        "users_total": one(f"SELECT COUNT(*) FROM {acc}"),
        "users_active_24h": one(f"SELECT COUNT(*) FROM {acc} WHERE last_login_at >= ?", day_ago),
        "users_banned": one(
            f"SELECT COUNT(*) FROM {acc} WHERE banned = 1 AND (banned_until IS NULL OR banned_until > ?)", at
        ),
        "sessions_open": sessions.open_by_kind(tx, at),
        "devices_online": devices_online,
        "license_expiry": {
            "expired": one(f"SELECT COUNT(*) FROM {acc} WHERE license_expiry <= ?", at),
            "within_7_days": one(
                f"SELECT COUNT(*) FROM {acc} WHERE license_expiry > ? AND license_expiry <= ?", at, week
            ),
            "within_30_days": one(
                f"SELECT COUNT(*) FROM {acc} WHERE license_expiry > ? AND license_expiry <= ?", week, month
            ),
            "later": one(f"SELECT COUNT(*) FROM {acc} WHERE license_expiry > ?", month),
            "none": one(f"SELECT COUNT(*) FROM {acc} WHERE license_expiry IS NULL"),
        },
        "logins_24h": one(
            f"SELECT COUNT(*) FROM {aud} WHERE event_type = 'Account.LoggedIn' AND at > ?", day_ago
        ),
        "failed_logins_24h": one(
            f"SELECT COUNT(*) FROM {aud} WHERE event_type = 'IpAddress.LoginFailed' AND at > ?", day_ago
        ),
        "downloads_24h": one(
            f"SELECT COUNT(*) FROM {aud} WHERE event_type = 'Download.Downloaded' AND at > ?", day_ago
        ),
    }
