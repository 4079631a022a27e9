"""Account invariants under any sequence of commands: the device limit holds at every attachment, a banned
account never holds or opens a session, the expiry always follows the grants, and replay is exact."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.account import Account
from domain.errors import AccountBanned, Conflict, DeviceLimitReached
from domain.expiry import expiry_of
from domain.roles import Role
from tests.domain.aggregate_case import CTX, NOW, registered, replay
from tests.strategies import ban_hours, days, device_limits, minutes, small_ids, tiers

IDS = small_ids()


class AccountMachine(RuleBasedStateMachine):
    """Any sequence of account commands keeps the account's invariants."""

    def __init__(self) -> None:
        super().__init__()
        self.account = registered()
        self.now: datetime = NOW
        self.events: list[Any] = list(self.account.collect_events())

    def _new_events(self) -> list[type[Any]]:
        new = self.account.collect_events()
        self.events.extend(new)
        return [type(e) for e in new]

    @rule(gap=minutes())
    def time_passes(self, gap: int) -> None:
        self.now += timedelta(minutes=gap)

    @rule(n=IDS)
    def attach(self, n: int) -> None:
        before = list(self.account.device_ids)
        try:
            self.account.attach_device(UUID(int=100 + n), self.now, CTX)
        except AccountBanned:
            assert self.account.is_banned(self.now)
        except DeviceLimitReached:
            assert len(before) >= self.account.device_limit
        except Conflict:
            assert UUID(int=100 + n) in before
        else:
            assert len(self.account.device_ids) <= self.account.device_limit
        assert self._new_events() in ([], [Account.DeviceAttached])

    @rule(n=IDS)
    def detach(self, n: int) -> None:
        self.account.detach_device(UUID(int=100 + n), self.now, CTX)
        self._new_events()

    @rule(limit=device_limits())
    def set_limit(self, limit: int) -> None:
        bound = len(self.account.device_ids)
        try:
            self.account.set_device_limit(limit, self.now, CTX)
        except Conflict:
            assert limit < bound
        self._new_events()

    @invariant()
    def active_devices_never_exceed_the_limit(self) -> None:
        assert len(self.account.device_ids) <= self.account.device_limit

    @rule(hours=ban_hours())
    def ban(self, hours: int | None) -> None:
        until = None if hours is None else self.now + timedelta(hours=hours)
        self.account.ban(until, self.now, CTX)
        assert self._new_events() == [Account.Banned]
        assert self.account.open_session_ids == []

    @rule()
    def unban(self) -> None:
        try:
            self.account.unban(self.now, CTX)
        except Conflict:
            assert not self.account.banned
        self._new_events()

    @rule(n=IDS)
    def log_in(self, n: int) -> None:
        banned = self.account.is_banned(self.now)
        try:
            self.account.log_in(UUID(int=200 + n), "web", self.now, CTX)
        except AccountBanned:
            assert banned
            assert self._new_events() == []
        else:
            assert not banned
            assert self._new_events() == [Account.LoggedIn]

    @rule(n=IDS)
    def log_out(self, n: int) -> None:
        self.account.end_session(UUID(int=200 + n), "logout", self.now, CTX)
        self._new_events()

    @rule(n=IDS, license_days=days(), tier=tiers())
    def apply_license(self, n: int, license_days: int, tier: Role) -> None:
        role = self.account.role
        self.account.apply_license(UUID(int=n), license_days, tier, 2, self.now, CTX)
        assert self.account.license_expiry is not None
        assert self.account.license_expiry >= self.now + timedelta(days=license_days)
        assert role is not Role.ADMIN or self.account.role is Role.ADMIN
        self._new_events()

    @rule(n=IDS)
    def withdraw_license(self, n: int) -> None:
        self.account.withdraw_license(UUID(int=n), self.now, CTX)
        self._new_events()

    @invariant()
    def a_banned_account_holds_no_session(self) -> None:
        if self.account.is_banned(self.now):
            assert self.account.open_session_ids == []

    @invariant()
    def the_expiry_follows_the_grants(self) -> None:
        assert self.account.license_expiry == expiry_of(self.account.grants)

    @invariant()
    def replaying_the_events_gives_the_same_account(self) -> None:
        self._new_events()
        assert replay(Account, self.events) == self.account


TestAccountMachine = AccountMachine.TestCase
TestAccountMachine.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
