"""Replaying an aggregate's own events reproduces it exactly, whatever history it went through."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from hypothesis import given, settings

from domain.account import Account
from domain.device import Device
from domain.errors import DomainError
from domain.idempotency import IdempotencyRecord
from domain.index import IndexEntry
from domain.ip_address import IpAddress
from domain.license import License
from domain.roles import Role
from domain.session import CloseReason, Session
from tests.domain.aggregate_case import (
    COMPONENTS,
    CTX,
    NOW,
    PUBLIC_KEY,
    bound,
    claimed,
    issued,
    opened,
    recorded,
    registered,
    replay,
    tracked,
)
from tests.strategies import Step, histories

A = TypeVar("A")
Command = Callable[[A, int, datetime], object]
ROLES = list(Role)
REASONS = list(CloseReason)

ACCOUNT_COMMANDS: dict[str, Command[Account]] = {
    "password": lambda a, n, t: a.change_password(f"fake${n}", t, CTX),
    "role": lambda a, n, t: a.change_role(ROLES[n % 3], t, CTX),
    "limit": lambda a, n, t: a.set_device_limit(n + 1, t, CTX),
    "ban": lambda a, n, t: a.ban(None if n == 0 else t + timedelta(hours=n), t, CTX),
    "unban": lambda a, _, t: a.unban(t, CTX),
    "apply": lambda a, n, t: a.apply_license(UUID(int=n), 10 * n + 1, ROLES[n % 2], n + 1, t, CTX),
    "withdraw": lambda a, n, t: a.withdraw_license(UUID(int=n), t, CTX),
    "attach": lambda a, n, t: a.attach_device(UUID(int=100 + n), t, CTX),
    "detach": lambda a, n, t: a.detach_device(UUID(int=100 + n), t, CTX),
    "login": lambda a, n, t: a.log_in(UUID(int=200 + n), "web", t, CTX),
    "end": lambda a, n, t: a.end_session(UUID(int=200 + n), "logout", t, CTX),
    "fail": lambda a, _, t: a.fail_login(t, CTX),
}
LICENSE_COMMANDS: dict[str, Command[License]] = {
    "activate": lambda lic, n, t: lic.activate(UUID(int=n), t, CTX),
    "extend": lambda lic, n, t: lic.extend(n, t, CTX),
    "suspend": lambda lic, _, t: lic.suspend(t, CTX),
    "reinstate": lambda lic, _, t: lic.reinstate(t, CTX),
    "revoke": lambda lic, _, t: lic.revoke(t, CTX),
}
DEVICE_COMMANDS: dict[str, Command[Device]] = {
    "recognise": lambda d, n, t: d.recognise(
        {**COMPONENTS, "disk": f"{n:02x}" * 32}, PUBLIC_KEY if n % 2 else None, f"1.{n % 3}", t, CTX
    ),
    "rename": lambda d, n, t: d.rename(f"device {n}", t, CTX),
    "release": lambda d, _, t: d.release(t, CTX),
}
IP_COMMANDS: dict[str, Command[IpAddress]] = {
    "fail": lambda ip, n, t: ip.fail_login(UUID(int=n) if n else None, t, CTX),
    "block": lambda ip, n, t: ip.block(None if n == 0 else t + timedelta(hours=n), t, CTX),
    "unblock": lambda ip, _, t: ip.unblock(t, CTX),
}
INDEX_COMMANDS: dict[str, Command[IndexEntry]] = {
    "repoint": lambda entry, n, t: entry.repoint(UUID(int=n), t),
}


def run(aggregate: A, commands: Mapping[str, Command[A]], history: list[Step]) -> A:
    """The aggregate after trying every step of ``history`` (steps its rules refuse change nothing)."""
    moment = NOW
    for name, n, minutes in history:
        moment += timedelta(minutes=minutes)
        with contextlib.suppress(DomainError):
            commands[name](aggregate, n, moment)
    return aggregate


@given(histories(list(ACCOUNT_COMMANDS), max_size=40))
@settings(max_examples=150)
def test_account_replays_to_the_same_state(history: list[Step]) -> None:
    """An account rebuilt from its events has the same summary and the same state."""
    account = run(registered(), ACCOUNT_COMMANDS, history)
    replayed = replay(Account, account.collect_events())
    assert replayed.summary() == account.summary()
    assert replayed == account


@given(histories(list(LICENSE_COMMANDS)))
def test_license_replays_to_the_same_state(history: list[Step]) -> None:
    """A license rebuilt from its events has the same summary and the same state."""
    license_ = run(issued(), LICENSE_COMMANDS, history)
    replayed = replay(License, license_.collect_events())
    assert replayed.summary() == license_.summary()
    assert replayed == license_


@given(histories(list(DEVICE_COMMANDS)))
def test_device_replays_to_the_same_state(history: list[Step]) -> None:
    """A device rebuilt from its events has the same summary and the same state."""
    device = run(bound(), DEVICE_COMMANDS, history)
    replayed = replay(Device, device.collect_events())
    assert replayed.summary() == device.summary()
    assert replayed == device


@given(histories(["refresh", "refresh", "refresh", "close"]))
def test_session_replays_to_the_same_state(history: list[Step]) -> None:
    """A session rebuilt from its events, through rotations, reuse and expiry, has the same state."""
    session, issued_tokens, moment = opened("t0"), ["t0"], NOW
    for i, (name, n, minutes) in enumerate(history):
        moment += timedelta(seconds=minutes * 10)
        if name == "close":
            session.close(REASONS[n % len(REASONS)], moment, CTX)
        else:
            presented = issued_tokens[max(0, len(issued_tokens) - 1 - n)] if n < 5 else "unknown"
            issued_tokens.append(f"t{i + 1}")
            session.refresh(presented, issued_tokens[-1], moment, CTX)
    replayed = replay(Session, session.collect_events())
    assert replayed.summary() == session.summary()
    assert replayed == session


@given(histories(list(IP_COMMANDS)))
def test_ip_address_replays_to_the_same_state(history: list[Step]) -> None:
    """An address rebuilt from its events has the same summary and the same state."""
    address = run(tracked(), IP_COMMANDS, history)
    replayed = replay(IpAddress, address.collect_events())
    assert replayed.summary() == address.summary()
    assert replayed == address


@given(histories(list(INDEX_COMMANDS)))
def test_index_entry_replays_to_the_same_state(history: list[Step]) -> None:
    """An index entry rebuilt from its events points at the same target."""
    entry = run(claimed(), INDEX_COMMANDS, history)
    replayed = replay(IndexEntry, entry.collect_events())
    assert replayed.summary() == entry.summary()
    assert replayed == entry


def test_idempotency_record_replays_to_the_same_state() -> None:
    """A record rebuilt from its event returns the same result."""
    record = recorded({"license_id": "x", "expires_at": NOW.isoformat()})
    replayed = replay(IdempotencyRecord, record.collect_events())
    assert replayed == record
    assert replayed.replay("activate", "r" * 64) == record.result
