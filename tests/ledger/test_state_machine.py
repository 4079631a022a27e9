"""The ledger service driven by random sequences of use cases against an independent model: on SQLite, and on
PostgreSQL with each command run by one of two ledgers sharing the store (two API processes, each deciding
on aggregates cached from before the other's writes).

Invariants after every step: active devices never exceed the limit and match the model; a banned account has
no open session and cannot open one; a reused refresh token leaves its family closed; every account's license
expiry equals the model's; replaying each saved aggregate from the store reproduces its in-memory state."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from datetime import timedelta
from functools import partial
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from domain.context import AuditContext
from domain.digests import Digests
from domain.errors import (
    AccountBanned,
    Conflict,
    DeviceLimitReached,
    DomainError,
    RefreshTokenReused,
    SessionClosed,
    SessionExpired,
    UsernameTaken,
)
from domain.ledger.service import Ledger
from domain.roles import DEFAULT_DEVICE_LIMIT, Role
from domain.session import ABSOLUTE_LIFETIME, CloseReason, SessionKind
from tests.conftest import NOW
from tests.fakes import FastHasher, SeededEntropy
from tests.ledger.model import AccountModel, Grant, LicenseModel, RecordingLedger, SessionModel, state_of
from tests.ledger.scenarios import PASSWORD, drifted, fingerprint
from tests.stores import TEST_KEY, make_ledger, pg_env, pg_schema, sqlite_env

CTX = AuditContext(actor="admin:machine", request_id="m", client_ip="203.0.113.9", reason="machine")
WEB_LIFETIME = timedelta(hours=12)
SECOND, DAY = timedelta(seconds=1), timedelta(days=1)
REFUSALS: dict[str, type[DomainError]] = {
    "banned": AccountBanned,
    "closed": SessionClosed,
    "expired": SessionExpired,
    "reused": RefreshTokenReused,
}
STEPS = [
    10 * SECOND,
    31 * SECOND,
    300 * SECOND,
    3600 * SECOND,
    6 * 3600 * SECOND,
    13 * 3600 * SECOND,
    8 * DAY,
]


class LedgerMachine(RuleBasedStateMachine):
    accounts = Bundle("accounts")
    devices = Bundle("devices")
    sessions = Bundle("sessions")
    licenses = Bundle("licenses")

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.processes, self.reader = self.open_store()
        self.ledger = self.processes[0]  # the one that runs the next command
        self.now = NOW
        self.model: dict[UUID, AccountModel] = {}
        self.device_owner: dict[UUID, UUID] = {}
        self.exact: dict[tuple[UUID, frozenset[tuple[str, str]]], UUID] = {}
        self.session_model: dict[UUID, SessionModel] = {}
        self.license_model: dict[UUID, LicenseModel] = {}
        self.states: dict[UUID, dict[str, object]] = {}

    def open_store(self) -> tuple[list[RecordingLedger], Ledger]:
        """The ledger the rules drive, on a fresh SQLite file, and a second ledger that reads it back."""
        env = sqlite_env(Path(self.stack.enter_context(tempfile.TemporaryDirectory())))
        ledger = RecordingLedger(env, digests=Digests(TEST_KEY), hasher=FastHasher(), entropy=SeededEntropy())
        self.stack.callback(ledger.close)
        reader = make_ledger(env)
        self.stack.callback(reader.close)
        return [ledger], reader

    def teardown(self) -> None:
        try:
            self.check_the_whole_store_replays()
        finally:
            self.stack.close()

    # --- rules ---------------------------------------------------------------------------------
    @initialize(target=accounts)
    def first_accounts(self) -> object:
        return multiple(*self.alice_and_bob())

    @initialize(target=sessions)
    def first_session(self) -> object:
        return self.open_session(self.alice_and_bob()[0], device=None)

    def alice_and_bob(self) -> list[UUID]:
        """Two accounts to start with (initializers run in any order, so whichever comes first makes them)."""
        if not self.model:
            self.register("alice", vip=False)
            self.register("bob", vip=True)
        return list(self.model)[:2]

    @rule(target=accounts, name=st.sampled_from(["Alice", "bob", "carol"]), vip=st.booleans())
    def register(self, name: str, vip: bool) -> object:
        role = Role.VIP if vip else Role.USER
        if any(m.username == name.lower() for m in self.model.values()):
            with pytest.raises(UsernameTaken):
                self.ledger.register(name, PASSWORD, role, self.now, CTX)
            return multiple()
        account = self.ledger.register(name, PASSWORD, role, self.now, CTX).value
        self.model[account] = AccountModel(name.lower(), DEFAULT_DEVICE_LIMIT[role])
        return account

    @rule(target=licenses, account=accounts, days=st.integers(1, 60), limit=st.integers(1, 4))
    def issue_and_activate(self, account: UUID, days: int, limit: int) -> object:
        issued = self.ledger.issue_licenses(1, days, Role.USER, limit, "", self.now, CTX).value[0]
        model = self.model[account]
        if model.is_banned(self.now):
            with pytest.raises(AccountBanned):
                self.ledger.activate_license(account, issued.key, self.now, CTX)
            return multiple()
        activation = self.ledger.activate_license(account, issued.key, self.now, CTX).value
        model.grants.append(Grant(issued.license_id, self.now, days))
        model.limit = max(model.limit, limit)
        self.license_model[issued.license_id] = LicenseModel(account)
        assert activation.expires_at == model.expiry()
        return issued.license_id

    @rule(license_id=licenses, days=st.integers(1, 30), revoke=st.booleans())
    def extend_or_revoke(self, license_id: UUID, days: int, revoke: bool) -> None:
        lic, now = self.license_model[license_id], self.now
        change = (
            partial(self.ledger.revoke_license, license_id, now, CTX)
            if revoke
            else partial(self.ledger.extend_license, license_id, days, now, CTX)
        )
        if lic.revoked:
            with pytest.raises(Conflict):
                change()
            return
        change()
        model = self.model[lic.account]
        if revoke:
            lic.revoked = True
            model.grants = [g for g in model.grants if g.license_id != license_id]
        else:
            model.grants.append(Grant(license_id, now, days))

    @rule(target=devices, account=accounts, machine=st.integers(0, 4), drift=st.integers(0, 4))
    def bind(self, account: UUID, machine: int, drift: int) -> object:
        model, components = self.model[account], drifted(fingerprint(machine), drift)
        exact_key = (account, frozenset(components.items()))
        expected = model.device_for(components, self.exact.get(exact_key))
        if model.is_banned(self.now) or (expected is None and len(model.devices) >= model.limit):
            error = AccountBanned if model.is_banned(self.now) else DeviceLimitReached
            with pytest.raises(error):
                self.ledger.bind_device(account, components, None, "pc", "1.0", self.now, CTX)
            return multiple()
        binding = self.ledger.bind_device(account, components, None, "pc", "1.0", self.now, CTX).value
        assert binding.new == (expected is None)
        assert expected is None or binding.device_id == expected
        model.devices[binding.device_id] = components
        self.exact[exact_key] = binding.device_id
        self.device_owner[binding.device_id] = account
        return binding.device_id if binding.new else multiple()

    @rule(device=devices)
    def release(self, device: UUID) -> None:
        model = self.model[self.device_owner[device]]
        if device not in model.devices:
            with pytest.raises(Conflict):
                self.ledger.release_device(device, self.now, CTX)
            return
        self.ledger.release_device(device, self.now, CTX)
        del model.devices[device]
        for session in self.session_model.values():
            session.open = session.open and session.device != device

    @rule(target=sessions, account=accounts, data=st.data())
    def open_a_session(self, account: UUID, data: st.DataObject) -> object:
        """A web session, or a desktop session on one of the account's active devices."""
        return self.open_session(account, data.draw(st.sampled_from([None, *self.model[account].devices])))

    def open_session(self, account: UUID, device: UUID | None) -> object:
        model = self.model[account]
        kind = SessionKind.WEB if device is None else SessionKind.DESKTOP
        if model.is_banned(self.now):
            with pytest.raises(AccountBanned):
                self.ledger.open_session(account, kind, device, self.now, CTX)
            return multiple()
        opened = self.ledger.open_session(account, kind, device, self.now, CTX).value
        lifetime = WEB_LIFETIME if device is None else ABSOLUTE_LIFETIME
        assert opened.expires_at == self.now + lifetime
        self.session_model[opened.session_id] = SessionModel(
            account, device, opened.expires_at, [opened.token]
        )
        return opened.session_id

    @rule(
        session=sessions,
        times=st.integers(0, 3),
        age=st.sampled_from([0, 1, 1, 2, 3]),
        delay=st.sampled_from([0, 10, 31, 600]),
    )
    def refresh(self, session: UUID, times: int, age: int, delay: int) -> None:
        """The client refreshes ``times`` times with its latest token; then, ``delay`` seconds later, a token
        ``age`` rotations old comes back (a retry after a lost response within the grace window, else a
        thief's replay)."""
        model = self.session_model[session]
        for _ in range(times):
            self.present(session, model.tokens[-1])
        self.now += delay * SECOND
        if age and len(model.tokens) > 1:
            self.present(session, model.tokens[-1 - min(age, len(model.tokens) - 1)])

    @rule(session=consumes(sessions))
    def close(self, session: UUID) -> None:
        self.ledger.close_session(session, CloseReason.LOGOUT, self.now, CTX)
        self.session_model[session].open = False

    @rule(account=accounts, hours=st.sampled_from([None, 1, 3, 6]), lift=st.booleans())
    def ban_or_unban(self, account: UUID, hours: int | None, lift: bool) -> None:
        model = self.model[account]
        if lift and not model.banned:
            with pytest.raises(Conflict):
                self.ledger.unban(account, self.now, CTX)
        elif lift:
            self.ledger.unban(account, self.now, CTX)
            model.banned, model.banned_until = False, None
        else:
            until = None if hours is None else self.now + timedelta(hours=hours)
            self.ledger.ban(account, until, self.now, CTX)
            model.banned, model.banned_until = True, until
            for session in self.session_model.values():
                session.open = session.open and session.account != account

    @rule(step=st.sampled_from(STEPS))
    def advance_the_clock(self, step: timedelta) -> None:
        self.now += step

    def present(self, session: UUID, token: str) -> None:
        """Refreshes with ``token`` and checks the outcome the model predicts."""
        model = self.session_model[session]
        outcome = model.expect(token, self.now, banned=self.model[model.account].is_banned(self.now))
        if outcome == "rotated" and token != model.tokens[-1]:  # within grace: the successor dies
            model.tokens[-1] = self.ledger.refresh_session(token, self.now, CTX).value.token
            return
        if outcome == "rotated":
            model.tokens.append(self.ledger.refresh_session(token, self.now, CTX).value.token)
            model.rotated_at = self.now
            return
        with pytest.raises(REFUSALS[outcome]):
            self.ledger.refresh_session(token, self.now, CTX)
        model.open, model.reused = False, model.reused or outcome == "reused"

    # --- invariants ----------------------------------------------------------------------------
    @invariant()
    def devices_within_the_limit(self) -> None:
        for account_id, model in self.model.items():
            account = self.ledger.account(account_id)
            assert len(account.device_ids) <= account.device_limit == model.limit
            assert account.device_ids == list(model.devices)

    @invariant()
    def banned_accounts_have_no_session(self) -> None:
        for account_id, model in self.model.items():
            if model.is_banned(self.now):
                assert self.ledger.account(account_id).open_session_ids == []
                with pytest.raises(AccountBanned):
                    self.ledger.open_session(account_id, SessionKind.WEB, None, self.now, CTX)

    @invariant()
    def sessions_match_the_model(self) -> None:
        for session_id, model in self.session_model.items():
            session = self.ledger.session(session_id)
            assert session.is_open == model.open
            if model.reused:
                assert session.closed_reason is CloseReason.REUSE
            if model.open and self.now < model.expires_at:
                assert self.ledger.session_for_token(model.tokens[-1], self.now).id == session_id
        for account_id in self.model:
            open_ids = [s for s, m in self.session_model.items() if m.account == account_id and m.open]
            assert sorted(self.ledger.account(account_id).open_session_ids) == sorted(open_ids)

    @invariant()
    def expiry_matches_the_model(self) -> None:
        for account_id, model in self.model.items():
            assert self.ledger.account(account_id).license_expiry == model.expiry()

    @invariant()
    def replay_reproduces_what_was_saved(self) -> None:
        for process in self.processes:
            for ident, state in process.saved.items():
                assert state_of(self.reader.repository.get(ident)) == state
            self.states.update(process.saved)
            process.saved.clear()

    def check_the_whole_store_replays(self) -> None:
        """Every aggregate in the store, replayed by a fresh ledger, is the state last saved."""
        self.replay_reproduces_what_was_saved()
        notifications = self.reader.recorder.select_notifications(start=1, limit=1_000_000)
        assert {n.originator_id for n in notifications} == set(self.states)
        for ident, state in self.states.items():
            assert state_of(self.reader.repository.get(ident)) == state


class TwoProcessMachine(LedgerMachine):
    """The same rules and invariants on PostgreSQL, each command run by whichever of two ledgers (two
    processes with their own caches) the last ``switch`` chose."""

    def open_store(self) -> tuple[list[RecordingLedger], Ledger]:
        schema = self.stack.enter_context(pg_schema())
        processes = []
        for seed, create in ((1, True), (2, False)):
            env = pg_env(schema, create_table=create)
            process = RecordingLedger(
                env, digests=Digests(TEST_KEY), hasher=FastHasher(), entropy=SeededEntropy(seed)
            )
            self.stack.callback(process.close)
            assert process.checks_reads, "commands here decide on cached aggregates"
            processes.append(process)
        reader = make_ledger(pg_env(schema, create_table=False), seed=3)
        self.stack.callback(reader.close)
        return processes, reader

    @rule(which=st.integers(0, 1))
    def switch(self, which: int) -> None:
        self.ledger = self.processes[which]


LedgerMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=40, deadline=None)
TestLedgerMachine = LedgerMachine.TestCase
TwoProcessMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=40, deadline=None)
TestTwoProcessMachine = pytest.mark.postgres(TwoProcessMachine.TestCase)
