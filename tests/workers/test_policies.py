"""The policies worker: time-made facts become events exactly once, on both stores."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.event_source import LedgerEvents
from adapters.presence import InProcessPresence
from domain.account import Account
from domain.context import AuditContext
from domain.device import Device
from domain.heartbeats import Seen
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import CloseReason, Session, SessionKind
from projections import catalogue
from projections.runner import Catchup
from projections.store import ReadStore
from workers.policies import Policies

COMPONENTS = {"machine_id": "aa" * 16, "board": "bb" * 16, "cpu": "cc" * 16}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def events_of(ledger: Ledger, cls: type) -> int:
    return sum(
        1
        for n in ledger.recorder.select_notifications(start=1, limit=10_000)
        if n.topic.endswith(cls.__qualname__)
    )


def test_time_made_facts_are_recorded_exactly_once(
    ledger: Ledger, read_store: ReadStore, now: datetime, ctx: AuditContext
) -> None:
    """Session expiry, license expiry and a lost-then-resumed heartbeat each give one event, even with two
    policy workers and repeated passes."""
    account = ledger.register("timely", "correct horse", Role.USER, now, ctx).value
    key = ledger.issue_licenses(1, 3, Role.USER, 1, "", now, ctx).value[0].key
    ledger.activate_license(account, key, now, ctx)
    device = ledger.bind_device(account, COMPONENTS, None, "pc", "1", now, ctx).value.device_id
    session = ledger.open_session(account, SessionKind.DESKTOP, device, now, ctx).value.session_id
    catchup = Catchup(read_store, catalogue.ALL, LedgerEvents(ledger))
    catchup.create_tables()
    presence, clock = InProcessPresence(), Clock(now)
    workers = [Policies(ledger, read_store, presence, clock) for _ in range(2)]
    presence.touch(device, Seen(now, "203.0.113.9", "1"))

    def settle() -> None:
        for _ in range(3):
            catchup.catch_up()
            for worker in workers:
                worker.run_once()

    clock.now = now + timedelta(minutes=29)
    settle()
    assert events_of(ledger, Device.HeartbeatLost) == 0
    clock.now = now + timedelta(minutes=31)
    settle()
    assert events_of(ledger, Device.HeartbeatLost) == 1
    presence.touch(device, Seen(clock.now, "203.0.113.9", "1"))
    settle()
    assert events_of(ledger, Device.HeartbeatResumed) == 1
    clock.now = now + timedelta(days=8)
    settle()
    assert events_of(ledger, Account.LicenseExpired) == 1
    assert events_of(ledger, Session.Closed) == 1
    assert ledger.session(session).closed_reason == CloseReason.EXPIRED
    assert events_of(ledger, Device.HeartbeatLost) == 2
