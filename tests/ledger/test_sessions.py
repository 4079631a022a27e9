"""Session use cases: open, refresh with rotation and grace, reuse detection, lifetime, lookup and close."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from domain.context import AuditContext
from domain.errors import InvalidInput, RefreshTokenReused, SessionClosed, SessionExpired
from domain.ledger.service import Ledger
from domain.session import ABSOLUTE_LIFETIME, REFRESH_GRACE, CloseReason, SessionKind
from tests.ledger.scenarios import fingerprint, head, last_event, registered

MINUTE = timedelta(minutes=1)


def web_token(ledger: Ledger, now: datetime, ctx: AuditContext) -> str:
    return ledger.open_session(registered(ledger, now, ctx), SessionKind.WEB, None, now, ctx).value.token


def test_open_a_web_session(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A web session lasts 12 hours, its token finds it, and the account lists it as open."""
    alice = registered(ledger, now, ctx)
    opened = ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value
    assert opened.expires_at == now + timedelta(hours=12)
    assert ledger.session_for_token(opened.token, now).id == opened.session_id
    assert ledger.account(alice).open_session_ids == [opened.session_id]


def test_open_a_desktop_session(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A desktop session belongs to a bound device and lasts the absolute lifetime of 7 days."""
    alice = registered(ledger, now, ctx)
    device = ledger.bind_device(alice, fingerprint(1), None, "laptop", "1.0", now, ctx).value.device_id
    opened = ledger.open_session(alice, SessionKind.DESKTOP, device, now, ctx).value
    assert opened.expires_at == now + ABSOLUTE_LIFETIME
    assert ledger.session(opened.session_id).device_id == device


@pytest.mark.parametrize("bound", [False, True], ids=["no-device", "other-account"])
def test_desktop_session_needs_an_own_device(
    ledger: Ledger, now: datetime, ctx: AuditContext, bound: bool
) -> None:
    """A desktop session without a device, or on another account's device, raises InvalidInput."""
    alice, bob = registered(ledger, now, ctx, "alice"), registered(ledger, now, ctx, "bob")
    device = ledger.bind_device(bob, fingerprint(1), None, "pc", "1.0", now, ctx).value.device_id
    before = head(ledger)
    with pytest.raises(InvalidInput):
        ledger.open_session(alice, SessionKind.DESKTOP, device if bound else None, now, ctx)
    assert head(ledger) == before


def test_refresh_rotates_the_token(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A refresh returns a new token for the same session; only the new one finds the session."""
    first = web_token(ledger, now, ctx)
    rotated = ledger.refresh_session(first, now + MINUTE, ctx).value
    assert rotated.token != first
    assert ledger.session_for_token(rotated.token, now + MINUTE).id == rotated.session_id
    with pytest.raises(SessionClosed):
        ledger.session_for_token(first, now + MINUTE)


def test_refresh_keeps_the_absolute_lifetime(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Rotation never moves a session's expiry."""
    opened = ledger.open_session(registered(ledger, now, ctx), SessionKind.WEB, None, now, ctx).value
    rotated = ledger.refresh_session(opened.token, now + timedelta(hours=11), ctx).value
    assert rotated.expires_at == opened.expires_at


def test_grace_window_for_a_lost_response(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Within 30 s of a rotation the previous token rotates again (its response may have been lost)."""
    first = web_token(ledger, now, ctx)
    ledger.refresh_session(first, now, ctx)
    again = ledger.refresh_session(first, now + REFRESH_GRACE, ctx).value
    assert ledger.session(again.session_id).is_open
    assert ledger.session_for_token(again.token, now + REFRESH_GRACE).id == again.session_id


def test_reuse_after_the_grace_window_closes_the_family(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """The previous token presented after the grace window raises RefreshTokenReused and closes the family."""
    first = web_token(ledger, now, ctx)
    current = ledger.refresh_session(first, now, ctx).value
    later = now + REFRESH_GRACE + timedelta(seconds=1)
    with pytest.raises(RefreshTokenReused):
        ledger.refresh_session(first, later, ctx)
    assert ledger.session(current.session_id).closed_reason is CloseReason.REUSE
    with pytest.raises(SessionClosed):
        ledger.refresh_session(current.token, later, ctx)


def test_reuse_of_an_older_token_closes_the_family(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A token two rotations old raises RefreshTokenReused; the session and its current token die with it."""
    alice = registered(ledger, now, ctx)
    first = ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value.token
    second = ledger.refresh_session(first, now + MINUTE, ctx).value.token
    current = ledger.refresh_session(second, now + 2 * MINUTE, ctx).value
    with pytest.raises(RefreshTokenReused):
        ledger.refresh_session(first, now + 2 * MINUTE, ctx)
    assert ledger.session(current.session_id).closed_reason is CloseReason.REUSE
    assert ledger.account(alice).open_session_ids == []
    assert last_event(ledger, alice).reason == CloseReason.REUSE.value
    with pytest.raises(SessionClosed):
        ledger.session_for_token(current.token, now + 2 * MINUTE)


def test_absolute_lifetime(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A refresh at or after the absolute lifetime raises SessionExpired and closes the session."""
    alice = registered(ledger, now, ctx)
    opened = ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value
    with pytest.raises(SessionExpired):
        ledger.refresh_session(opened.token, opened.expires_at, ctx)
    assert ledger.session(opened.session_id).closed_reason is CloseReason.EXPIRED
    assert ledger.account(alice).open_session_ids == []
    assert last_event(ledger, alice).reason == CloseReason.EXPIRED.value


def test_an_unknown_secret_changes_nothing(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A token naming a real session with a secret it never had raises SessionClosed and leaves it open."""
    token = web_token(ledger, now, ctx)
    forged = token.split(".")[0] + ".forged"
    before = head(ledger)
    with pytest.raises(SessionClosed):
        ledger.refresh_session(forged, now, ctx)
    with pytest.raises(SessionClosed):
        ledger.session_for_token(forged, now)
    assert head(ledger) == before
    assert ledger.session_for_token(token, now)


@pytest.mark.parametrize("token", ["no-dot", "a.b.c", "zz.secret", "x" * 201])
def test_a_malformed_token_is_invalid(ledger: Ledger, now: datetime, ctx: AuditContext, token: str) -> None:
    """Something that is not a session token raises InvalidInput, on refresh and on lookup."""
    with pytest.raises(InvalidInput):
        ledger.refresh_session(token, now, ctx)
    with pytest.raises(InvalidInput):
        ledger.session_for_token(token, now)


def test_a_well_formed_token_for_no_session_is_closed(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """A well-formed token naming no session, or an aggregate that is not one, is SessionClosed."""
    alice = registered(ledger, now, ctx)
    for token in (f"{uuid4().hex}.secret", f"{alice.hex}.secret"):
        with pytest.raises(SessionClosed):
            ledger.refresh_session(token, now, ctx)
        with pytest.raises(SessionClosed):
            ledger.session_for_token(token, now)


def test_session_for_token_past_expiry(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A session past its expiry no longer answers to its token, even before anything closes it."""
    opened = ledger.open_session(registered(ledger, now, ctx), SessionKind.WEB, None, now, ctx).value
    with pytest.raises(SessionClosed):
        ledger.session_for_token(opened.token, opened.expires_at)


def test_close_session(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Closing records the reason and ends the session on the account; closing again writes nothing."""
    alice = registered(ledger, now, ctx)
    opened = ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value
    assert ledger.close_session(opened.session_id, CloseReason.LOGOUT, now, ctx).position == head(ledger)
    assert ledger.session(opened.session_id).closed_reason is CloseReason.LOGOUT
    assert ledger.account(alice).open_session_ids == []
    assert ledger.close_session(opened.session_id, CloseReason.REVOKE, now, ctx).position is None
    with pytest.raises(SessionClosed):
        ledger.refresh_session(opened.token, now, ctx)
