"""The Session aggregate: a refresh-token family with rotation, a grace window, reuse detection and an
absolute lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import InvalidInput
from domain.session import CloseReason, RefreshOutcome, Session, SessionKind, parse_kind
from tests.domain.aggregate_case import (
    ACCOUNT_ID,
    CTX,
    NOW,
    SESSION_ID,
    given,
    later,
    opened,
    then,
    then_one,
)


def rotated_once() -> Session:
    """A session whose first token t0 was rotated to t1 at NOW."""
    session = opened("t0")
    session.refresh("t0", "t1", NOW, CTX)
    return session


def test_open_records_the_family() -> None:
    """Opening a session records its account, device, first token digest and absolute expiry."""
    session = opened("t0")
    event = then_one(session, Session.Opened)
    assert (event.originator_id, event.account_id, event.kind, event.token_digest) == (
        SESSION_ID,
        ACCOUNT_ID,
        "desktop",
        "t0",
    )
    assert event.expires_at == later(days=7)
    assert session.is_valid(NOW)


def test_lifetime_is_capped_at_seven_days() -> None:
    """No session outlives the 7-day absolute lifetime, whatever lifetime is asked for."""
    assert opened(lifetime=timedelta(days=30)).expires_at == later(days=7)
    assert opened(lifetime=timedelta(hours=12)).expires_at == later(hours=12)


def test_a_desktop_session_needs_a_device() -> None:
    """A desktop session belongs to a device."""
    with pytest.raises(InvalidInput, match="device_id"):
        Session.open(
            session_id=SESSION_ID,
            account_id=ACCOUNT_ID,
            kind=SessionKind.DESKTOP,
            device_id=None,
            token_digest="t0",
            lifetime=timedelta(days=7),
            now=NOW,
            ctx=CTX,
        )


def test_refresh_with_the_current_token_rotates() -> None:
    """The current token is exchanged for a new one."""
    session = given(opened("t0"))
    assert session.refresh("t0", "t1", later(minutes=10), CTX) is RefreshOutcome.ROTATED
    assert then_one(session, Session.Rotated).token_digest == "t1"
    assert session.holds("t1")
    assert not session.holds("t0")


@pytest.mark.parametrize("seconds", [0, 1, 29, 30])
def test_previous_token_is_accepted_within_the_grace_window(seconds: int) -> None:
    """A client that lost the response may present the previous token for 30 s after the rotation; the
    successor it lost is superseded, so only the new chain stays alive."""
    session = given(rotated_once())
    assert session.refresh("t0", "t2", later(seconds=seconds), CTX) is RefreshOutcome.ROTATED
    assert then(session) == [Session.GraceRotated]
    assert session.holds("t2")
    assert session.refresh("t1", "t3", later(seconds=seconds), CTX) is RefreshOutcome.REUSED


@pytest.mark.parametrize("seconds", [31, 3600])
def test_previous_token_after_the_grace_window_is_reuse(seconds: int) -> None:
    """Past the grace window the previous token is a superseded token: the family is closed."""
    session = given(rotated_once())
    assert session.refresh("t0", "t2", later(seconds=seconds), CTX) is RefreshOutcome.REUSED
    assert then_one(session, Session.Closed).reason == "reuse"
    assert session.closed_reason is CloseReason.REUSE


def test_superseded_token_closes_the_family() -> None:
    """An older token, presented again, closes the session with reason "reuse"."""
    session = rotated_once()
    session.refresh("t1", "t2", later(minutes=5), CTX)
    session = given(session)
    assert session.refresh("t0", "t3", later(minutes=6), CTX) is RefreshOutcome.REUSED
    assert then_one(session, Session.Closed).reason == "reuse"
    assert not session.is_open


def test_reuse_inside_the_grace_window_of_a_later_rotation_is_still_reuse() -> None:
    """Only the token just replaced has a grace window, not every older one."""
    session = rotated_once()
    session.refresh("t1", "t2", later(minutes=5), CTX)
    session = given(session)
    assert session.refresh("t0", "t3", later(minutes=5, seconds=1), CTX) is RefreshOutcome.REUSED


def test_after_reuse_no_token_works() -> None:
    """Once the family is closed, even the current token is refused, with no further event."""
    session = rotated_once()
    session.refresh("t0", "t2", later(hours=1), CTX)
    session = given(session)
    for token in ("t0", "t1", "t2"):
        assert session.refresh(token, "t9", later(hours=2), CTX) is RefreshOutcome.CLOSED
    assert then(session) == []


@pytest.mark.parametrize("age", [timedelta(days=7), timedelta(days=8)])
def test_absolute_lifetime_expires_the_session(age: timedelta) -> None:
    """At 7 days the session is expired and closed, even with the current token."""
    session = given(opened("t0"))
    assert session.refresh("t0", "t1", NOW + age, CTX) is RefreshOutcome.EXPIRED
    assert then_one(session, Session.Closed).reason == "expired"
    assert not session.is_valid(NOW + age)


def test_rotation_does_not_extend_the_absolute_lifetime() -> None:
    """A session refreshed just before its end still ends at its 7 days."""
    session = given(opened("t0"))
    session.refresh("t0", "t1", later(days=7) - timedelta(seconds=1), CTX)
    assert session.expires_at == later(days=7)
    assert session.refresh("t1", "t2", later(days=7), CTX) is RefreshOutcome.EXPIRED


def test_unknown_token_is_unknown_and_changes_nothing() -> None:
    """A token this family never issued is UNKNOWN, and no event is appended."""
    session = given(rotated_once())
    assert session.refresh("forged", "t2", later(minutes=1), CTX) is RefreshOutcome.UNKNOWN
    assert then(session) == []
    assert session.is_open
    assert session.holds("t1")


def test_close_records_the_reason_once() -> None:
    """Closing an open session is an event; closing it again is not."""
    session = given(opened())
    assert session.close(CloseReason.LOGOUT, NOW, CTX) is True
    assert then_one(session, Session.Closed).reason == "logout"
    assert session.close(CloseReason.BAN, NOW, CTX) is False
    assert then(session) == []
    assert session.closed_reason is CloseReason.LOGOUT


def test_a_closed_session_is_not_valid() -> None:
    """A closed session is invalid even within its lifetime."""
    session = opened()
    session.close(CloseReason.REVOKE, NOW, CTX)
    assert not given(session).is_valid(NOW)


def test_parse_kind() -> None:
    """Sessions are web or desktop."""
    assert parse_kind("web") is SessionKind.WEB
    assert parse_kind("desktop") is SessionKind.DESKTOP
    with pytest.raises(InvalidInput):
        parse_kind("mobile")
