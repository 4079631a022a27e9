"""Read model: crash reports, for the admin list, the crash counts per application version (and per client
version and kind) and the crashes page. The free text is stored as text; a NUL character, which
PostgreSQL text cannot hold, is kept as U+FFFD (the event keeps the original)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.crash_report import CrashReport
from projections.base import Projection, stamp
from projections.pages import Order, Page, Query, as_dicts, fetch_page
from projections.store import Tx

TABLE = "rm_crash_reports"
COLUMNS = (
    "id",
    "position",
    "report_id",
    "reported_at",
    "occurred_at",
    "account_id",
    "device_id",
    "client_version",
    "app_version",
    "platform",
    "python",
    "kind",
    "summary",
)
SORTABLE = {"reported_at": "", "occurred_at": "", "app_version": "", "client_version": "", "id": ""}
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id TEXT PRIMARY KEY, position BIGINT NOT NULL, report_id TEXT NOT NULL, reported_at TEXT NOT NULL,
        occurred_at TEXT NOT NULL, account_id TEXT NOT NULL, device_id TEXT NOT NULL,
        session_id TEXT NOT NULL, client_version TEXT NOT NULL, app_version TEXT, platform TEXT NOT NULL,
        python TEXT NOT NULL, kind TEXT NOT NULL, summary TEXT NOT NULL, traceback TEXT NOT NULL,
        log_tail TEXT NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_version ON {TABLE} (app_version, kind)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_account ON {TABLE} (account_id)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_reported ON {TABLE} (reported_at)",
)


def storable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def reported(tx: Tx, e: CrashReport.Reported, position: int) -> None:
    tx.insert(
        TABLE,
        {
            "id": str(e.originator_id),
            "position": position,
            "report_id": str(e.report_id),
            "reported_at": stamp(e.timestamp),
            "occurred_at": stamp(e.occurred_at),
            "account_id": str(e.account_id),
            "device_id": str(e.device_id),
            "session_id": str(e.session_id),
            "client_version": e.client_version,
            "app_version": e.app_version,
            "platform": e.platform,
            "python": e.python,
            "kind": e.kind,
            "summary": storable(e.summary),
            "traceback": storable(e.traceback),
            "log_tail": storable(e.log_tail),
        },
    )


PROJECTION = Projection(
    name="crash_reports", ddl=DDL, tables=(TABLE,), handlers={CrashReport.Reported: reported}
)


@dataclass(frozen=True)
class CrashFilter:
    app_version: str | None = None
    client_version: str | None = None
    kind: str | None = None
    account_id: str | None = None
    device_id: str | None = None


def list_reports(tx: Tx, f: CrashFilter, order: Order) -> Page:
    """Reports without their long text (traceback, log tail), filtered and cut by a cursor."""
    query = Query(TABLE, COLUMNS, SORTABLE)
    for column in ("app_version", "client_version", "kind", "account_id", "device_id"):
        value = getattr(f, column)
        if value:
            query.filter(f"{column} = ?", value)
    return fetch_page(tx, query, order)


VERSION_COLUMNS = ("app_version", "reports", "exceptions", "faults", "first_at", "last_at")


def per_version(tx: Tx) -> list[dict[str, Any]]:
    """Crash counts per application version (None: the application did not say), the version first
    reported first."""
    rows = tx.all(
        "SELECT app_version, COUNT(*), SUM(CASE WHEN kind = 'exception' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN kind = 'fault' THEN 1 ELSE 0 END), MIN(reported_at), MAX(reported_at)"
        f" FROM {TABLE} GROUP BY app_version ORDER BY MIN(reported_at), app_version"
    )
    return whole_numbers(as_dicts(VERSION_COLUMNS, rows), "reports", "exceptions", "faults")


COUNT_COLUMNS = ("app_version", "client_version", "kind", "reports", "last_at")


def counts(tx: Tx) -> list[dict[str, Any]]:
    """Crash counts per application version, client version and kind."""
    rows = tx.all(
        f"SELECT app_version, client_version, kind, COUNT(*), MAX(reported_at) FROM {TABLE}"
        " GROUP BY app_version, client_version, kind ORDER BY app_version, client_version, kind"
    )
    return whole_numbers(as_dicts(COUNT_COLUMNS, rows), "reports")


def whole_numbers(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    """``rows`` with the named sums as ``int`` (PostgreSQL sums integers as numeric)."""
    for row in rows:
        for name in names:
            row[name] = int(row[name])
    return rows
