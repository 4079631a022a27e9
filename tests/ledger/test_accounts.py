"""Account use cases: register, change password, role and device limit, ban and unban."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.context import AuditContext
from domain.errors import Conflict, InvalidCredentials, InvalidInput, UsernameTaken
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import CloseReason, SessionKind
from tests.ledger.scenarios import PASSWORD, appended, head, last_event, registered


def test_register_creates_an_account(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Registration creates an account with its role's default device limit and no license."""
    written = ledger.register("Alice", PASSWORD, Role.VIP, now, ctx)
    account = ledger.account(written.value)
    assert (account.username, account.role, account.device_limit) == ("Alice", Role.VIP, 3)
    assert (account.banned, account.device_ids, account.license_expiry) == (False, [], None)
    assert written.position == head(ledger)
    assert ledger.account_id_for("aLiCe") == written.value


@pytest.mark.parametrize("taken", ["alice", "ALICE", "Alice"])
def test_usernames_are_unique_case_insensitively(
    ledger: Ledger, now: datetime, ctx: AuditContext, taken: str
) -> None:
    """A username already taken in any letter case raises UsernameTaken and writes nothing."""
    registered(ledger, now, ctx, "alice")
    before = head(ledger)
    with pytest.raises(UsernameTaken):
        ledger.register(taken, "another password", Role.USER, now, ctx)
    assert head(ledger) == before


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("al", PASSWORD),
        ("a" * 51, PASSWORD),
        ("al ice", PASSWORD),
        ("alice!", PASSWORD),
        ("", PASSWORD),
        ("alice", "short"),
        ("alice", "x" * 129),
    ],
)
def test_malformed_registration_writes_nothing(
    ledger: Ledger, now: datetime, ctx: AuditContext, username: str, password: str
) -> None:
    """A malformed username or password raises InvalidInput and writes nothing."""
    with pytest.raises(InvalidInput):
        ledger.register(username, password, Role.USER, now, ctx)
    assert ledger.recorder.max_notification_id() is None


def test_change_password_closes_every_open_session(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A new password replaces the old one and closes every open session with reason password_changed."""
    alice = registered(ledger, now, ctx)
    sessions = [ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value for _ in range(2)]
    ledger.change_password(alice, "a new password", now, ctx)
    assert ledger.account(alice).open_session_ids == []
    for opened in sessions:
        assert ledger.session(opened.session_id).closed_reason is CloseReason.PASSWORD_CHANGED
    assert ledger.authenticate("alice", "a new password", now, ctx).id == alice
    with pytest.raises(InvalidCredentials):
        ledger.authenticate("alice", PASSWORD, now, ctx)


def test_change_password_refuses_a_malformed_password(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """A too-short new password raises InvalidInput and writes nothing."""
    alice = registered(ledger, now, ctx)
    before = head(ledger)
    with pytest.raises(InvalidInput):
        ledger.change_password(alice, "short", now, ctx)
    assert head(ledger) == before


def test_change_role(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """An admin changes an account's role; setting the role it already has writes nothing."""
    alice = registered(ledger, now, ctx)
    assert ledger.change_role(alice, Role.ADMIN, now, ctx).position == head(ledger)
    assert ledger.account(alice).role is Role.ADMIN
    assert ledger.change_role(alice, Role.ADMIN, now, ctx).position is None


def test_set_device_limit(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """An admin sets an account's device limit explicitly, as an event."""
    alice = registered(ledger, now, ctx)
    ledger.set_device_limit(alice, 5, now, ctx)
    assert ledger.account(alice).device_limit == 5
    assert type(last_event(ledger, alice)).__qualname__ == "Account.DeviceLimitSet"


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_set_device_limit_out_of_range(ledger: Ledger, now: datetime, ctx: AuditContext, limit: int) -> None:
    """A device limit outside 1-100 raises InvalidInput and writes nothing."""
    alice = registered(ledger, now, ctx)
    before = head(ledger)
    with pytest.raises(InvalidInput):
        ledger.set_device_limit(alice, limit, now, ctx)
    assert head(ledger) == before


def test_ban_closes_every_open_session_in_one_transaction(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """A ban closes every open session with reason ban, in the same commit, and records the admin's reason."""
    alice = registered(ledger, now, ctx)
    sessions = [ledger.open_session(alice, SessionKind.WEB, None, now, ctx).value for _ in range(2)]
    before = head(ledger)
    written = ledger.ban(alice, None, now, ctx.with_reason("chargeback"))
    assert sorted(appended(ledger, before)) == ["Account.Banned", "Session.Closed", "Session.Closed"]
    assert written.position == head(ledger)
    assert ledger.account(alice).open_session_ids == []
    for opened in sessions:
        closed = last_event(ledger, opened.session_id)
        assert (closed.reason, closed.context["reason"]) == ("ban", "chargeback")
    assert last_event(ledger, alice).context["reason"] == "chargeback"


def test_ban_needs_a_reason(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A ban without a reason raises InvalidInput and writes nothing."""
    alice = registered(ledger, now, ctx)
    before = head(ledger)
    with pytest.raises(InvalidInput):
        ledger.ban(alice, None, now, ctx.with_reason(None))
    assert head(ledger) == before


def test_ban_must_end_in_the_future(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A ban whose end is not after now raises InvalidInput."""
    alice = registered(ledger, now, ctx)
    with pytest.raises(InvalidInput):
        ledger.ban(alice, now, now, ctx)


def test_a_ban_with_an_end_lapses(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A ban with an end stops applying at that moment, with no further event."""
    alice = registered(ledger, now, ctx)
    ledger.ban(alice, now + timedelta(hours=1), now, ctx)
    assert ledger.account(alice).is_banned(now + timedelta(minutes=59))
    later = now + timedelta(hours=1)
    assert ledger.authenticate("alice", PASSWORD, later, ctx).id == alice


def test_unban_lets_the_account_back_in(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """After unban the account can authenticate and open sessions again."""
    alice = registered(ledger, now, ctx)
    ledger.ban(alice, None, now, ctx)
    ledger.unban(alice, now, ctx)
    assert not ledger.account(alice).is_banned(now)
    assert ledger.authenticate("alice", PASSWORD, now, ctx).id == alice
    assert ledger.open_session(alice, SessionKind.WEB, None, now, ctx).position


def test_unban_of_an_account_not_banned(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Unbanning an account that is not banned raises Conflict."""
    alice = registered(ledger, now, ctx)
    with pytest.raises(Conflict):
        ledger.unban(alice, now, ctx)
