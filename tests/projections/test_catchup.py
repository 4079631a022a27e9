"""Projections on both stores: exactly-once catch-up, replay changes nothing, rebuild equals live."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.event_source import LedgerEvents
from adapters.read_store import SqliteReadStore
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import CloseReason, SessionKind
from projections import accounts, catalogue, dashboard, licenses
from projections.base import Projection
from projections.pages import Order
from projections.rebuild import differences, table_rows
from projections.runner import Catchup
from projections.store import ReadStore, Tx

COMPONENTS = {"machine_id": "aa" * 16, "board": "bb" * 16, "cpu": "cc" * 16}


def populate(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    for i in range(3):
        account = ledger.register(f"user{i}", "correct horse", Role.USER, now, ctx).value
        key = ledger.issue_licenses(1, 30 * (i + 1), Role.VIP, 2, "", now, ctx).value[0].key
        ledger.activate_license(account, key, now, ctx)
        device = ledger.bind_device(account, COMPONENTS, None, "pc", "1.0", now, ctx).value.device_id
        opened = ledger.open_session(account, SessionKind.DESKTOP, device, now, ctx).value
        if i == 1:
            ledger.close_session(opened.session_id, CloseReason.LOGOUT, now, ctx)
    ledger.ban(ledger.account_id_for("user2") or ledger.new_id(), None, now + timedelta(minutes=1), ctx)


def test_catch_up_is_exactly_once(
    ledger: Ledger, read_store: ReadStore, now: datetime, ctx: AuditContext
) -> None:
    """Every event is applied once; running again, or rewinding tracking and replaying, changes no row."""
    populate(ledger, now, ctx)
    runner = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    runner.create_tables()
    assert runner.catch_up(limit=7) > 0
    head = ledger.recorder.max_notification_id()
    assert set(runner.positions().values()) == {head}
    with read_store.transaction() as tx:
        before = {t: table_rows(tx, t) for p in catalogue.ALL for t in p.tables}
    assert runner.catch_up() == 0
    with read_store.transaction() as tx:
        assert {t: table_rows(tx, t) for p in catalogue.ALL for t in p.tables} == before
        page = accounts.list_accounts(
            tx,
            accounts.AccountFilter(search="user", status="banned"),
            "9",
            Order("username", descending=False, limit=10),
        )
        assert [r["username"] for r in page.rows] == ["user2"]
        assert (
            len(
                licenses.list_licenses(
                    tx,
                    licenses.LicenseFilter(status="active"),
                    Order("issued_at", descending=False, limit=10),
                ).rows
            )
            == 3
        )
        figures = dashboard.stats(tx, now + timedelta(minutes=2), devices_online=0)
    assert figures["users_total"] == 3
    assert figures["users_banned"] == 1
    assert figures["sessions_open"] == {"web": 0, "desktop": 1}
    assert figures["logins_24h"] == 3


def test_rebuild_equals_live(
    ledger: Ledger, read_store: ReadStore, now: datetime, ctx: AuditContext, tmp_path: Path
) -> None:
    """A rebuild from the first event into fresh tables equals the live tables row for row."""
    populate(ledger, now, ctx)
    runner = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    runner.create_tables()
    runner.catch_up()
    fresh = SqliteReadStore(tmp_path / "fresh.sqlite3")
    assert differences(read_store, fresh, catalogue.ALL, LedgerEvents(ledger)) == []
    with read_store.transaction() as tx:
        tx.execute("UPDATE rm_accounts SET role = 'admin' WHERE username = 'user0'")
    fresh2 = SqliteReadStore(tmp_path / "fresh2.sqlite3")
    assert differences(read_store, fresh2, catalogue.ALL, LedgerEvents(ledger)) != []


def test_a_page_that_fails_midway_leaves_nothing(
    ledger: Ledger, read_store: ReadStore, now: datetime, ctx: AuditContext, tmp_path: Path
) -> None:
    """A handler failing in the middle of a full page (synchronous commit off on PostgreSQL): no row and
    no tracking position of that page stays; the next catch-up, in pages, equals a rebuild."""
    populate(ledger, now, ctx)
    failing = {"left": 9}

    def fail_on_the_tenth(_tx: Tx, _event: Any, _position: int) -> None:
        failing["left"] -= 1
        if failing["left"] == 0:
            raise RuntimeError("crash mid-page")

    crashing = Projection(name="crashing", ddl=(), handlers={}, tables=(), every_event=fail_on_the_tenth)
    runner = Catchup(read_store, [*catalogue.ALL, crashing], LedgerEvents(ledger))
    runner.create_tables()
    with pytest.raises(RuntimeError, match="crash mid-page"):
        runner.run_once(limit=12)
    assert set(runner.positions().values()) == {0}
    with read_store.snapshot() as tx:
        assert all(table_rows(tx, t) == [] for p in catalogue.ALL for t in p.tables)
    runner = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    assert runner.catch_up(limit=12) > 0
    fresh = SqliteReadStore(tmp_path / "fresh.sqlite3")
    assert differences(read_store, fresh, catalogue.ALL, LedgerEvents(ledger)) == []
