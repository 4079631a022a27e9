"""The admin lists, one query each, as the JSON routes and the admin pages both read them (from the read
models, waiting for ``position`` when given: read-your-writes). Devices come with their presence."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.services import Services
from domain.heartbeats import is_online
from projections import accounts, crash_reports, devices, ip_blocks, licenses, names, sessions
from projections.base import text_time
from projections.pages import Order, Page


def users(svc: Services, f: accounts.AccountFilter, order: Order, position: int | None = None) -> Page:
    now = text_time(svc.clock())
    return svc.reads.query(position, lambda tx: accounts.list_accounts(tx, f, now, order))


def licenses_page(
    svc: Services, f: licenses.LicenseFilter, order: Order, position: int | None = None
) -> Page:
    return svc.reads.query(position, lambda tx: licenses.list_licenses(tx, f, order))


def sessions_page(
    svc: Services, f: sessions.SessionFilter, order: Order, position: int | None = None
) -> Page:
    now = text_time(svc.clock())
    return svc.reads.query(position, lambda tx: sessions.list_sessions(tx, f, now, order))


def blocks(svc: Services, active_only: bool, order: Order, position: int | None = None) -> Page:
    now = text_time(svc.clock())
    return svc.reads.query(position, lambda tx: ip_blocks.list_blocks(tx, active_only, now, order))


def crash_reports_page(
    svc: Services, f: crash_reports.CrashFilter, order: Order, position: int | None = None
) -> Page:
    return svc.reads.query(position, lambda tx: crash_reports.list_reports(tx, f, order))


def crash_counts(svc: Services, position: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Crash counts per application version, and per application version, client version and kind."""
    return svc.reads.query(
        position, lambda tx: {"versions": crash_reports.per_version(tx), "counts": crash_reports.counts(tx)}
    )


def devices_page(svc: Services, f: devices.DeviceFilter, order: Order, position: int | None = None) -> Page:
    """Devices with their presence: ``last_seen``, ``online``, ``last_ip`` and the client version the
    device last reported (fresher than the one it bound with)."""
    found = svc.reads.query(position, lambda tx: devices.list_devices(tx, f, order))
    for row in found.rows:
        with_presence(svc, row)
    return found


def with_presence(svc: Services, row: dict[str, Any]) -> None:
    seen = svc.presence.last_seen(UUID(str(row["id"])))
    row["last_seen"] = seen.at if seen else None
    row["online"] = is_online(seen, svc.clock())
    row["last_ip"] = seen.client_ip if seen else None
    if seen and seen.client_version:
        row["client_version"] = seen.client_version


def names_of(svc: Services, rows: list[dict[str, Any]], *columns: str) -> dict[str, str]:
    """The names (usernames, nicknames, ...) of the ids in ``columns`` of ``rows``; an API-key actor
    (``api-key:<id>``) is named by its key."""
    ids = [str(row[c]).removeprefix("api-key:") for row in rows for c in columns if row.get(c)]
    return svc.reads.query(None, lambda tx: names.lookup(tx, ids))
