"""Account bans: a reason, an end in the future, no open session, no login and no new device."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pytest

from domain.account import Account
from domain.errors import AccountBanned, Conflict, InvalidInput
from tests.domain.aggregate_case import CTX, NO_REASON, NOW, given, later, registered, then, then_one

SESSIONS = [UUID(int=200 + i) for i in range(2)]
DEVICE = UUID(int=100)


def test_ban_closes_every_open_session() -> None:
    """A ban returns the open sessions for closing and leaves the account with none."""
    account = registered()
    for session in SESSIONS:
        account.log_in(session, "web", NOW, CTX)
    account = given(account)
    closed = account.ban(None, NOW, CTX)
    event = then_one(account, Account.Banned)
    assert event.until is None
    assert event.context["reason"] == "testing"
    assert closed == SESSIONS
    assert account.open_session_ids == []


def test_ban_needs_a_reason() -> None:
    """A ban without a reason is refused."""
    account = given(registered())
    with pytest.raises(InvalidInput, match="reason"):
        account.ban(None, NOW, NO_REASON)
    assert then(account) == []


@pytest.mark.parametrize("seconds", [0, -1, -86400])
def test_ban_must_end_in_the_future(seconds: int) -> None:
    """A ban that would end now or earlier is refused."""
    account = given(registered())
    with pytest.raises(InvalidInput, match="until"):
        account.ban(later(seconds=seconds), NOW, CTX)
    assert then(account) == []


def test_banned_account_cannot_log_in() -> None:
    """Login on a banned account is AccountBanned and opens nothing."""
    account = registered()
    account.ban(None, NOW, CTX)
    account = given(account)
    with pytest.raises(AccountBanned):
        account.log_in(SESSIONS[0], "web", later(minutes=1), CTX)
    assert then(account) == []
    assert account.open_session_ids == []


def test_banned_account_cannot_attach_devices() -> None:
    """A banned account takes no new device."""
    account = registered()
    account.ban(None, NOW, CTX)
    account = given(account)
    with pytest.raises(AccountBanned):
        account.attach_device(DEVICE, later(minutes=1), CTX)
    assert then(account) == []


def test_check_not_banned() -> None:
    """check_not_banned passes on a free account and raises on a banned one."""
    account = registered()
    account.check_not_banned(NOW)
    account.ban(None, NOW, CTX)
    with pytest.raises(AccountBanned):
        account.check_not_banned(NOW)


def test_ban_with_an_end_expires_by_time() -> None:
    """A ban with ``until`` holds before it and lapses at it, without any event."""
    account = registered()
    account.ban(later(days=1), NOW, CTX)
    account = given(account)
    assert account.is_banned(later(hours=23))
    assert not account.is_banned(later(days=1))
    account.log_in(SESSIONS[0], "web", later(days=1), CTX)
    assert then(account) == [Account.LoggedIn]


def test_unban_lifts_the_ban() -> None:
    """After an unban the account logs in again."""
    account = registered()
    account.ban(None, NOW, CTX)
    account = given(account)
    account.unban(later(hours=1), CTX)
    assert then(account) == [Account.Unbanned]
    assert not account.is_banned(later(hours=1))
    account.log_in(SESSIONS[0], "web", later(hours=1), CTX)
    assert account.open_session_ids == [SESSIONS[0]]


def test_unban_refuses_an_account_that_is_not_banned() -> None:
    """Nothing to unban."""
    account = given(registered())
    with pytest.raises(Conflict):
        account.unban(NOW, CTX)
    assert then(account) == []


def test_rebanning_replaces_the_end() -> None:
    """A second ban sets a new end (here: none, so permanent)."""
    account = registered()
    account.ban(later(days=1), NOW, CTX)
    account = given(account)
    account.ban(None, later(hours=1), CTX)
    assert then(account) == [Account.Banned]
    assert account.is_banned(later(days=365))


def test_a_ban_end_without_a_timezone_is_refused() -> None:
    """A ban's end must carry its UTC offset; a naive time is invalid input, not a crash."""
    account = given(registered())
    with pytest.raises(InvalidInput):
        account.ban(datetime(2030, 1, 1), NOW, CTX)
