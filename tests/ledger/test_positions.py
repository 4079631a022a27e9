"""Commands report the position they wrote, and listeners hear every new position."""

from __future__ import annotations

from datetime import datetime

from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import CloseReason, SessionKind
from tests.ledger.scenarios import PASSWORD, head


def test_positions_grow_and_listeners_hear_them(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Each command that writes returns the store's new head, and every listener is told that position."""
    heard: list[int] = []
    ledger.listeners.append(heard.append)
    alice = ledger.register("alice", PASSWORD, Role.USER, now, ctx)
    bob = ledger.register("bob", PASSWORD, Role.USER, now, ctx)
    promoted = ledger.change_role(alice.value, Role.VIP, now, ctx)
    positions = [w.position or 0 for w in (alice, bob, promoted)]
    assert 0 < positions[0] < positions[1] < positions[2]
    assert positions == heard
    assert heard[-1] == head(ledger)


def test_nothing_written_is_not_announced(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A command that appends nothing returns no position and wakes no listener."""
    alice = ledger.register("alice", PASSWORD, Role.USER, now, ctx).value
    session = ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value.session_id
    heard: list[int] = []
    ledger.listeners.append(heard.append)
    assert ledger.change_role(alice, Role.USER, now, ctx).position is None
    ledger.close_session(session, CloseReason.LOGOUT, now, ctx)
    assert ledger.close_session(session, CloseReason.LOGOUT, now, ctx).position is None
    assert len(heard) == 1
