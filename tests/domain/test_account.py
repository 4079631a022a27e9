"""The Account aggregate: registration, password, role, device limit, devices and sessions."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.account import Account
from domain.errors import Conflict, DeviceLimitReached, InvalidInput
from domain.roles import Role
from tests.domain.aggregate_case import (
    ACCOUNT_ID,
    CTX,
    NOW,
    given,
    registered,
    then,
    then_one,
)

DEVICES = [UUID(int=100 + i) for i in range(4)]
SESSIONS = [UUID(int=200 + i) for i in range(3)]


@pytest.mark.parametrize(("role", "limit"), [(Role.USER, 1), (Role.VIP, 3), (Role.ADMIN, 10)])
def test_register_starts_with_the_roles_device_limit(role: Role, limit: int) -> None:
    """A new account has its role's default device limit, no devices, no license and no ban."""
    account = registered(role)
    event = then_one(account, Account.Registered)
    assert (event.originator_id, event.username, event.role, event.device_limit) == (
        ACCOUNT_ID,
        "Alice_1",
        role.value,
        limit,
    )
    assert event.context == CTX.as_event_data()
    assert event.timestamp == NOW
    assert (account.device_ids, account.open_session_ids, account.license_expiry) == ([], [], None)
    assert not account.is_banned(NOW)


def test_change_password_records_the_new_hash() -> None:
    """A password change is an event carrying only the new hash."""
    account = given(registered())
    account.change_password("fake$2", NOW, CTX)
    assert then_one(account, Account.PasswordChanged).password_hash == "fake$2"
    assert account.password_hash == "fake$2"


def test_change_role_to_another_role() -> None:
    """A role change is an event."""
    account = given(registered())
    account.change_role(Role.ADMIN, NOW, CTX)
    assert then_one(account, Account.RoleChanged).role == "admin"
    assert account.role is Role.ADMIN


def test_change_role_to_the_same_role_changes_nothing() -> None:
    """Setting the role an account already has appends nothing."""
    account = given(registered(Role.VIP))
    account.change_role(Role.VIP, NOW, CTX)
    assert then(account) == []


def test_set_device_limit() -> None:
    """An admin may set the device limit explicitly."""
    account = given(registered())
    account.set_device_limit(5, NOW, CTX)
    assert then_one(account, Account.DeviceLimitSet).device_limit == 5
    assert account.free_device_slots() == 5


@pytest.mark.parametrize("limit", [0, 101])
def test_set_device_limit_out_of_range_is_refused(limit: int) -> None:
    """A device limit outside 1-100 is refused."""
    account = given(registered())
    with pytest.raises(InvalidInput):
        account.set_device_limit(limit, NOW, CTX)
    assert then(account) == []


def test_attach_device_within_the_limit() -> None:
    """A device takes a free slot."""
    account = given(registered())
    account.attach_device(DEVICES[0], NOW, CTX)
    assert then_one(account, Account.DeviceAttached).device_id == DEVICES[0]
    assert (account.device_ids, account.free_device_slots()) == ([DEVICES[0]], 0)


def test_attach_device_beyond_the_limit_is_refused() -> None:
    """With every slot taken, another device is DeviceLimitReached and appends nothing."""
    account = registered(Role.VIP)
    for device in DEVICES[:3]:
        account.attach_device(device, NOW, CTX)
    account = given(account)
    with pytest.raises(DeviceLimitReached):
        account.attach_device(DEVICES[3], NOW, CTX)
    assert then(account) == []
    assert account.device_ids == DEVICES[:3]


def test_the_limit_cannot_go_below_the_bound_devices() -> None:
    """Lowering the limit below the devices bound now is refused (release first); down to them is fine."""
    account = given(registered(Role.VIP))
    account.attach_device(DEVICES[0], NOW, CTX)
    account.attach_device(DEVICES[1], NOW, CTX)
    with pytest.raises(Conflict):
        account.set_device_limit(1, NOW, CTX)
    account.set_device_limit(2, NOW, CTX)
    assert account.device_ids == DEVICES[:2]
    with pytest.raises(DeviceLimitReached):
        account.attach_device(DEVICES[2], NOW, CTX)


def test_detach_device_frees_its_slot() -> None:
    """Detaching a bound device frees its slot for another."""
    account = registered()
    account.attach_device(DEVICES[0], NOW, CTX)
    account = given(account)
    account.detach_device(DEVICES[0], NOW, CTX)
    assert then_one(account, Account.DeviceDetached).device_id == DEVICES[0]
    account.attach_device(DEVICES[1], NOW, CTX)
    assert then(account) == [Account.DeviceAttached]


def test_detach_unknown_device_changes_nothing() -> None:
    """Detaching a device the account does not hold appends nothing."""
    account = given(registered())
    account.detach_device(DEVICES[0], NOW, CTX)
    assert then(account) == []


def test_log_in_opens_a_session() -> None:
    """A login records the session and its kind."""
    account = given(registered())
    account.log_in(SESSIONS[0], "desktop", NOW, CTX)
    event = then_one(account, Account.LoggedIn)
    assert (event.session_id, event.kind) == (SESSIONS[0], "desktop")
    assert account.open_session_ids == [SESSIONS[0]]


def test_end_session_closes_an_open_session() -> None:
    """Ending an open session records why."""
    account = registered()
    account.log_in(SESSIONS[0], "web", NOW, CTX)
    account.log_in(SESSIONS[1], "web", NOW, CTX)
    account = given(account)
    account.end_session(SESSIONS[0], "logout", NOW, CTX)
    event = then_one(account, Account.SessionEnded)
    assert (event.session_id, event.reason) == (SESSIONS[0], "logout")
    assert account.open_session_ids == [SESSIONS[1]]


def test_end_session_of_an_unknown_session_changes_nothing() -> None:
    """Ending a session that is not open appends nothing."""
    account = given(registered())
    account.end_session(SESSIONS[0], "logout", NOW, CTX)
    assert then(account) == []


def test_fail_login_is_recorded() -> None:
    """A failed login against the account is an event (rate limits are rebuilt from them)."""
    account = given(registered())
    account.fail_login(NOW, CTX)
    assert then(account) == [Account.LoginFailed]


def test_attaching_a_bound_device_twice_is_refused() -> None:
    """A device id already bound to the account cannot take a second slot."""
    account = given(registered())
    account.set_device_limit(5, NOW, CTX)
    account.attach_device(DEVICES[0], NOW, CTX)
    with pytest.raises(Conflict):
        account.attach_device(DEVICES[0], NOW, CTX)
