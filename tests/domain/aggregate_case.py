"""Given events / when a command / then the new events (or an error): the shape of every aggregate test.

``given(aggregate)`` rebuilds an aggregate from the events its setup produced, the way the application
loads one from the store (``project_aggregate``), so the command under test starts from replayed state
with nothing pending. ``then(aggregate)`` is what the command left pending. The builders make each
aggregate in its simplest valid state, at ``NOW``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.context import AuditContext
from domain.device import Device
from domain.idempotency import IdempotencyRecord
from domain.index import IndexEntry, IndexKind
from domain.ip_address import IpAddress
from domain.license import License
from domain.roles import Role
from domain.session import Session, SessionKind

A = TypeVar("A", bound=Aggregate)
E = TypeVar("E", bound=Aggregate.Event)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CTX = AuditContext(
    actor="admin:test", request_id="req-1", client_ip="203.0.113.9", user_agent="pytest", reason="testing"
)
NO_REASON = AuditContext(actor="admin:test", request_id="req-2")

ACCOUNT_ID = UUID(int=1)
LICENSE_ID = UUID(int=2)
DEVICE_ID = UUID(int=3)
SESSION_ID = UUID(int=4)
BATCH_ID = UUID(int=5)
COMPONENTS = {"machine_id": "aa" * 32, "board": "bb" * 32, "cpu": "cc" * 32, "disk": "dd" * 32}
PUBLIC_KEY = "ab" * 32


def replay(aggregate_class: type[A], events: Sequence[Any]) -> A:
    """The aggregate that folding ``events`` in order produces."""
    replayed = project_aggregate(None, events)
    assert isinstance(replayed, aggregate_class)
    return replayed


def given(aggregate: A) -> A:
    """The aggregate rebuilt from its pending events, with nothing pending."""
    return replay(type(aggregate), aggregate.collect_events())


def then(aggregate: Aggregate) -> list[type[Any]]:
    """The classes of the events the command left pending (and collects them)."""
    return [type(e) for e in aggregate.collect_events()]


def then_one(aggregate: Aggregate, event_class: type[E]) -> E:
    """The single event the command left pending, which must be an ``event_class``."""
    events = aggregate.collect_events()
    assert [type(e) for e in events] == [event_class]
    event = events[0]
    assert isinstance(event, event_class)
    return event


def later(**kwargs: float) -> datetime:
    """``NOW`` plus a duration (``later(days=1)``)."""
    return NOW + timedelta(**kwargs)


def registered(role: Role = Role.USER, account_id: UUID = ACCOUNT_ID) -> Account:
    return Account.register(
        account_id=account_id, username="Alice_1", password_hash="fake$1", role=role, now=NOW, ctx=CTX
    )


def issued(days: int = 30, tier: Role = Role.VIP, device_limit: int = 2) -> License:
    return License.issue(
        license_id=LICENSE_ID,
        key_digest="d" * 64,
        days=days,
        tier=tier,
        device_limit=device_limit,
        note="batch 1",
        batch_id=BATCH_ID,
        now=NOW,
        ctx=CTX,
    )


def bound(public_key: str | None = None) -> Device:
    return Device.bind(
        device_id=DEVICE_ID,
        account_id=ACCOUNT_ID,
        components=dict(COMPONENTS),
        public_key=public_key,
        nickname="laptop",
        client_version="1.0",
        now=NOW,
        ctx=CTX,
    )


def opened(first_digest: str = "t0", lifetime: timedelta = timedelta(days=7)) -> Session:
    return Session.open(
        session_id=SESSION_ID,
        account_id=ACCOUNT_ID,
        kind=SessionKind.DESKTOP,
        device_id=DEVICE_ID,
        token_digest=first_digest,
        lifetime=lifetime,
        now=NOW,
        ctx=CTX,
    )


def tracked(address: str = "203.0.113.9") -> IpAddress:
    return IpAddress.track(ip_id=UUID(int=6), address=address, now=NOW)


def claimed(target_id: UUID = ACCOUNT_ID) -> IndexEntry:
    return IndexEntry.claim(index_id=UUID(int=7), kind=IndexKind.USERNAME, target_id=target_id, now=NOW)


def recorded(result: dict[str, Any] | None = None) -> IdempotencyRecord:
    return IdempotencyRecord.record(
        record_id=UUID(int=8),
        command="activate",
        request_digest="r" * 64,
        result=result if result is not None else {"license_id": str(LICENSE_ID)},
        now=NOW,
    )
