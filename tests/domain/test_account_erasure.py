"""Account erasure: a reason, no personal data in the event, every session closed, banned for good."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.account import Account
from domain.errors import Conflict, InvalidInput
from domain.personal import ERASED
from tests.domain.aggregate_case import CTX, NO_REASON, NOW, given, registered, then, then_one

SESSIONS = [UUID(int=300 + i) for i in range(2)]


def test_erase_closes_every_session_and_bans_for_good() -> None:
    """An erasure returns the open sessions for closing, bans without end and clears the username."""
    account = registered()
    for session in SESSIONS:
        account.log_in(session, "desktop", NOW, CTX)
    account = given(account)
    closed = account.erase(NOW, CTX)
    event = then_one(account, Account.Erased)
    assert closed == SESSIONS
    assert (account.erased, account.banned, account.banned_until) == (True, True, None)
    assert account.username == ERASED
    assert event.context["client_ip"] is None
    assert event.context["user_agent"] is None
    assert event.context["reason"] == CTX.reason


def test_erase_needs_a_reason_and_happens_once() -> None:
    """No reason: refused; a second erasure: a conflict; an erased account is never unbanned."""
    account = given(registered())
    with pytest.raises(InvalidInput, match="reason"):
        account.erase(NOW, NO_REASON)
    assert then(account) == []
    account = registered()
    account.erase(NOW, CTX)
    account = given(account)
    with pytest.raises(Conflict):
        account.erase(NOW, CTX)
    with pytest.raises(Conflict):
        account.unban(NOW, CTX)
    assert then(account) == []
