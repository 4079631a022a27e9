"""Policy use cases: what the passing of time makes true is recorded as an event exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.session import CloseReason, SessionKind
from tests.ledger.scenarios import fingerprint, head, issued_key, last_event, registered

SYSTEM = AuditContext.system("policies")


def test_expire_session_closes_once(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A session past its lifetime is closed as expired, once; before that, nothing is written."""
    alice = registered(ledger, now, ctx)
    opened = ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value
    early = ledger.expire_session(opened.session_id, opened.expires_at - timedelta(seconds=1), SYSTEM)
    assert (early.value, early.position) == (False, None)
    assert ledger.expire_session(opened.session_id, opened.expires_at, SYSTEM).value
    assert ledger.session(opened.session_id).closed_reason is CloseReason.EXPIRED
    assert ledger.account(alice).open_session_ids == []
    before = head(ledger)
    assert not ledger.expire_session(opened.session_id, opened.expires_at, SYSTEM).value
    assert head(ledger) == before


def test_expire_session_leaves_closed_sessions_alone(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """A session already closed keeps its reason; expiring it writes nothing."""
    opened = ledger.open_session(registered(ledger, now, ctx), SessionKind.WEB, None, now, ctx).value
    ledger.close_session(opened.session_id, CloseReason.LOGOUT, now, ctx)
    written = ledger.expire_session(opened.session_id, opened.expires_at, SYSTEM)
    assert (written.value, written.position) == (False, None)
    assert ledger.session(opened.session_id).closed_reason is CloseReason.LOGOUT


def test_license_expiry_is_noticed_once_per_expiry(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Lapsed license time is noted once; new time that lapses again is noted again."""
    alice = registered(ledger, now, ctx)
    assert not ledger.notice_license_expiry(alice, now, SYSTEM).value
    ledger.activate_license(alice, issued_key(ledger, now, ctx, days=1).key, now, ctx)
    assert not ledger.notice_license_expiry(alice, now, SYSTEM).value
    lapsed = now + timedelta(days=1)
    assert ledger.notice_license_expiry(alice, lapsed, SYSTEM).value
    assert last_event(ledger, alice).expires_at == lapsed
    assert not ledger.notice_license_expiry(alice, lapsed + timedelta(days=1), SYSTEM).value
    ledger.activate_license(alice, issued_key(ledger, now, ctx, days=1).key, lapsed, ctx)
    assert ledger.notice_license_expiry(alice, lapsed + timedelta(days=1), SYSTEM).value


def test_heartbeat_lost_and_resumed(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A device's lost heartbeat is marked once until it resumes, and resuming is marked once."""
    alice = registered(ledger, now, ctx)
    device = ledger.bind_device(alice, fingerprint(1), None, "pc", "1.0", now, ctx).value.device_id
    later = now + timedelta(hours=1)
    assert not ledger.mark_heartbeat_resumed(device, later, later, SYSTEM).value
    assert ledger.mark_heartbeat_lost(device, now, later, SYSTEM).value
    assert not ledger.mark_heartbeat_lost(device, now, later, SYSTEM).value
    assert ledger.device(device).lost_since == now
    assert ledger.mark_heartbeat_resumed(device, later, later, SYSTEM).value
    assert not ledger.mark_heartbeat_resumed(device, later, later, SYSTEM).value
    assert not ledger.device(device).heartbeat_lost


def test_a_released_device_is_never_lost(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A released device's silence is expected: marking it lost writes nothing."""
    alice = registered(ledger, now, ctx)
    device = ledger.bind_device(alice, fingerprint(1), None, "pc", "1.0", now, ctx).value.device_id
    ledger.release_device(device, now, ctx)
    assert ledger.mark_heartbeat_lost(device, now, now + timedelta(hours=1), SYSTEM).position is None
