"""Authentication, and what a banned account can no longer do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import pytest

from domain.context import AuditContext
from domain.errors import AccountBanned, InvalidCredentials
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import SessionKind
from tests.fakes import FastHasher
from tests.ledger.scenarios import PASSWORD, events, fingerprint, issued_key, registered


def hasher_of(ledger: Ledger) -> FastHasher:
    assert isinstance(ledger.hasher, FastHasher)
    return ledger.hasher


def test_right_credentials_open_the_account(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """The right username (in any letter case) and password return the account and record no failure."""
    alice = registered(ledger, now, ctx, "Alice")
    assert ledger.authenticate("ALICE", PASSWORD, now, ctx).id == alice
    assert ledger.ip_address(str(ctx.client_ip)) is None


def test_unknown_user_and_wrong_password_look_the_same(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """An unknown username and a wrong password raise InvalidCredentials with the same message."""
    registered(ledger, now, ctx)
    with pytest.raises(InvalidCredentials) as unknown:
        ledger.authenticate("mallory", PASSWORD, now, ctx)
    with pytest.raises(InvalidCredentials) as wrong:
        ledger.authenticate("alice", "not the password", now, ctx)
    assert str(unknown.value) == str(wrong.value)
    assert unknown.value.code == wrong.value.code == "invalid_credentials"


@pytest.mark.parametrize(("username", "password"), [("mallory", PASSWORD), ("x", PASSWORD), ("a!", "")])
def test_unknown_user_spends_a_dummy_verification(
    ledger: Ledger, now: datetime, ctx: AuditContext, username: str, password: str
) -> None:
    """A login for a username that does not exist (or cannot) runs the hasher's dummy verify."""
    with pytest.raises(InvalidCredentials):
        ledger.authenticate(username, password, now, ctx)
    assert hasher_of(ledger).dummy_calls == 1


def test_wrong_password_does_not_need_a_dummy(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A wrong password for a real account is a real verification, not a dummy one."""
    registered(ledger, now, ctx)
    with pytest.raises(InvalidCredentials):
        ledger.authenticate("alice", "not the password", now, ctx)
    assert hasher_of(ledger).dummy_calls == 0


def test_too_long_password_fails_like_a_wrong_one(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A password over 128 characters fails as InvalidCredentials, without hashing it."""
    registered(ledger, now, ctx)
    with pytest.raises(InvalidCredentials):
        ledger.authenticate("alice", "x" * 10_000, now, ctx)
    assert hasher_of(ledger).dummy_calls == 1


def test_failures_are_events_on_the_account_and_the_address(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """Each failure is a LoginFailed event on the client address; a wrong password also on the account."""
    alice = registered(ledger, now, ctx)
    for username in ("alice", "mallory", "alice"):
        with pytest.raises(InvalidCredentials):
            ledger.authenticate(username, "not the password", now, ctx)
    failed = [e for e in events(ledger, alice) if type(e).__qualname__ == "Account.LoginFailed"]
    assert len(failed) == 2
    address = ledger.ip_address(str(ctx.client_ip))
    assert address is not None
    assert address.failures == 3
    assert [e.account_id for e in events(ledger, address.id)[1:]] == [alice, None, alice]


def test_failure_without_a_client_address(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """A failure with no known client address is recorded on the account only."""
    alice = registered(ledger, now, ctx)
    anonymous = AuditContext(actor="anonymous")
    with pytest.raises(InvalidCredentials):
        ledger.authenticate("alice", "not the password", now, anonymous)
    assert type(events(ledger, alice)[-1]).__qualname__ == "Account.LoginFailed"


@dataclass(frozen=True)
class Shut:
    """A banned account, its bound device and the refresh token of its (closed) desktop session."""

    ledger: Ledger
    account: UUID
    device: UUID
    token: str
    now: datetime
    ctx: AuditContext


ACTIONS: dict[str, Callable[[Shut], object]] = {
    "open": lambda s: s.ledger.open_session(s.account, SessionKind.DESKTOP, s.device, s.now, s.ctx),
    "bind": lambda s: s.ledger.bind_device(s.account, fingerprint(2), None, "pc", "1.0", s.now, s.ctx),
    "refresh": lambda s: s.ledger.refresh_session(s.token, s.now, s.ctx),
    "authenticate": lambda s: s.ledger.authenticate("alice", PASSWORD, s.now, s.ctx),
    "activate": lambda s: s.ledger.activate_license(
        s.account, issued_key(s.ledger, s.now, s.ctx).key, s.now, s.ctx
    ),
}


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
def test_a_banned_account_is_shut_out(
    ledger: Ledger, now: datetime, ctx: AuditContext, action: Callable[[Shut], object]
) -> None:
    """A banned account cannot open a session, bind a device, refresh, authenticate or activate a key."""
    alice = registered(ledger, now, ctx)
    ledger.set_device_limit(alice, 5, now, ctx)
    device = ledger.bind_device(alice, fingerprint(1), None, "first", "1.0", now, ctx).value.device_id
    token = ledger.open_session(alice, SessionKind.DESKTOP, device, now, ctx).value.token
    ledger.ban(alice, None, now, ctx)
    with pytest.raises(AccountBanned):
        action(Shut(ledger, alice, device, token, now, ctx))
    assert ledger.account(alice).open_session_ids == []
    assert ledger.account(alice).role is Role.USER
