"""Dashboard figures equal counts computed independently from the event stream."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings

from adapters.event_source import LedgerEvents
from adapters.read_store import SqliteReadStore
from domain.ledger.service import Ledger
from projections import catalogue, dashboard
from projections.runner import Catchup
from tests.conftest import NOW
from tests.projections.commands import Interpreter, Op, operations
from tests.stores import make_ledger, sqlite_env


def independent_figures(ledger: Ledger, now: datetime) -> dict[str, Any]:
    """The dashboard's figures, folded straight from the stored events by code that shares nothing with
    the projections."""
    notifications = ledger.recorder.select_notifications(start=1, limit=100_000)
    events: list[Any] = [ledger.mapper.to_domain_event(n) for n in notifications]
    kind = {e.originator_id: type(e).__qualname__.split(".")[0] for e in events}
    accounts: dict[Any, dict[str, Any]] = {}
    sessions: dict[Any, dict[str, Any]] = {}
    logins = failed = downloads = 0
    for e in events:
        name = type(e).__qualname__
        if name == "Account.Registered":
            accounts[e.originator_id] = {"last_login": None, "banned": False, "until": None, "expiry": None}
        elif name == "Account.LoggedIn":
            accounts[e.originator_id]["last_login"] = e.timestamp
            logins += e.timestamp > now - timedelta(hours=24)
        elif name == "Account.Banned":
            accounts[e.originator_id].update(banned=True, until=e.until)
        elif name == "Account.Unbanned":
            accounts[e.originator_id].update(banned=False, until=None)
        elif name in ("Account.LicenseApplied", "Account.LicenseWithdrawn"):
            accounts[e.originator_id]["expiry"] = e.expires_at
        elif name == "Session.Opened":
            sessions[e.originator_id] = {"kind": e.kind, "expires": e.expires_at, "open": True}
        elif name == "Session.Closed":
            sessions[e.originator_id]["open"] = False
        elif name == "IpAddress.LoginFailed":
            failed += e.timestamp > now - timedelta(hours=24)
        elif name == "Download.Downloaded":
            downloads += e.timestamp > now - timedelta(hours=24)
    assert all(
        k
        in {
            "Account",
            "License",
            "Device",
            "Session",
            "IpAddress",
            "IndexEntry",
            "IdempotencyRecord",
            "CrashReport",
        }
        for k in kind.values()
    )
    expiries = [a["expiry"] for a in accounts.values()]
    open_sessions = [s for s in sessions.values() if s["open"] and s["expires"] > now]
    return {
        "users_total": len(accounts),
        "users_active_24h": sum(
            1 for a in accounts.values() if a["last_login"] and a["last_login"] >= now - timedelta(hours=24)
        ),
        "users_banned": sum(
            1 for a in accounts.values() if a["banned"] and (a["until"] is None or a["until"] > now)
        ),
        "sessions_open": {k: sum(1 for s in open_sessions if s["kind"] == k) for k in ("web", "desktop")},
        "license_expiry": {
            "expired": sum(1 for x in expiries if x is not None and x <= now),
            "within_7_days": sum(1 for x in expiries if x is not None and now < x <= now + timedelta(days=7)),
            "within_30_days": sum(
                1
                for x in expiries
                if x is not None and now + timedelta(days=7) < x <= now + timedelta(days=30)
            ),
            "later": sum(1 for x in expiries if x is not None and x > now + timedelta(days=30)),
            "none": sum(1 for x in expiries if x is None),
        },
        "logins_24h": logins,
        "failed_logins_24h": failed,
        "downloads_24h": downloads,
    }


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
def test_dashboard_equals_an_independent_count(ops: list[Op], tmp_path_factory: Any) -> None:
    """Every dashboard figure equals the same figure counted directly from the events."""
    directory = tmp_path_factory.mktemp("dash")
    ledger = make_ledger(sqlite_env(directory))
    store = SqliteReadStore(directory / "rm.sqlite3")
    interpreter = Interpreter(ledger, NOW)
    interpreter.run(ops)
    runner = Catchup(store, catalogue.ALL, LedgerEvents(ledger))
    runner.create_tables()
    runner.catch_up()
    now = interpreter.now + timedelta(minutes=1)
    with store.transaction() as tx:
        figures = dashboard.stats(tx, now, devices_online=0)
    del figures["devices_online"]
    assert figures == independent_figures(ledger, now)
    store.close()
    ledger.close()
