"""Concurrent commands racing for one device slot, one key or one username on PostgreSQL, sixteen writers
at once with group commit on (``adapters.group_commit``): one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, Recording

from adapters.group_commit import GroupCommitRecorder
from domain.context import AuditContext
from domain.digests import Digests
from domain.errors import DeviceLimitReached, DomainError, LicenseAlreadyActivated, UsernameTaken
from domain.ledger.service import Ledger
from domain.roles import Role
from tests.fakes import FastHasher, SeededEntropy
from tests.ledger.scenarios import PASSWORD, fingerprint
from tests.stores import TEST_KEY, pg_env, pg_schema

T = TypeVar("T")
THREADS = 16
ROUNDS = 200
SMALL_ROUNDS = 40


class CountingLedger(Ledger):
    """The ledger, counting the saves that lost a race (an IntegrityError the use case then retries)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conflicts = 0
        self._lock = threading.Lock()

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            with self._lock:
                self.conflicts += 1
            raise


@pytest.fixture
def racing_ledger() -> Iterator[CountingLedger]:
    """One ledger on a fresh PostgreSQL schema, its pool sized for every racing thread."""
    with pg_schema() as schema:
        env = pg_env(schema, pool_size=THREADS)
        app = CountingLedger(env, digests=Digests(TEST_KEY), hasher=FastHasher(), entropy=SeededEntropy())
        yield app
        recorder = app.recorder
        assert isinstance(recorder, GroupCommitRecorder)
        assert max(recorder.batches) > 1, "the racers never shared a group commit"
        app.close()


def race(pool: ThreadPoolExecutor, calls: Sequence[Callable[[], T]]) -> list[T | DomainError]:
    """Starts every call at the same moment, one per thread: each one's result, or the error it raised."""
    barrier = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[], T]) -> T | DomainError:
        barrier.wait()
        try:
            return call()
        except DomainError as error:
            return error

    return [future.result() for future in [pool.submit(run, call) for call in calls]]


def split(outcomes: list[T | DomainError], loss: type[DomainError]) -> tuple[list[T], list[DomainError]]:
    """The winners, and the losers (asserted to have failed with ``loss``)."""
    winners = [o for o in outcomes if not isinstance(o, DomainError)]
    losers = [o for o in outcomes if isinstance(o, DomainError)]
    assert all(type(o) is loss for o in losers), losers
    return winners, losers


@pytest.mark.postgres
def test_one_free_slot_has_exactly_one_winner(
    racing_ledger: CountingLedger, now: datetime, ctx: AuditContext
) -> None:
    """Sixteen devices racing for an account's one free slot: one binds, fifteen get
    DeviceLimitReached."""
    with ThreadPoolExecutor(THREADS) as pool:
        for round_ in range(ROUNDS):
            account = racing_ledger.register(f"racer{round_}", PASSWORD, Role.USER, now, ctx).value
            machines = range(round_ * THREADS, (round_ + 1) * THREADS)
            binds = [
                partial(racing_ledger.bind_device, account, fingerprint(m), None, "pc", "1.0", now, ctx)
                for m in machines
            ]
            winners, losers = split(race(pool, binds), DeviceLimitReached)
            assert (len(winners), len(losers)) == (1, THREADS - 1), f"round {round_}"
            device = winners[0].value.device_id
            assert racing_ledger.account(account).device_ids == [device]
            assert racing_ledger.device(device).account_id == account
    assert racing_ledger.conflicts >= ROUNDS, "the racers never actually collided"


@pytest.mark.postgres
def test_one_key_has_exactly_one_activation(
    racing_ledger: CountingLedger, now: datetime, ctx: AuditContext
) -> None:
    """Sixteen accounts racing to activate one key: one gets its time, fifteen get
    LicenseAlreadyActivated."""
    accounts = [
        racing_ledger.register(f"racer{i}", PASSWORD, Role.USER, now, ctx).value for i in range(THREADS)
    ]
    with ThreadPoolExecutor(THREADS) as pool:
        for round_ in range(SMALL_ROUNDS):
            issued = racing_ledger.issue_licenses(1, 30, Role.USER, 1, "", now, ctx).value[0]
            activations = [partial(racing_ledger.activate_license, a, issued.key, now, ctx) for a in accounts]
            winners, losers = split(race(pool, activations), LicenseAlreadyActivated)
            assert (len(winners), len(losers)) == (1, THREADS - 1), f"round {round_}"
            owner = racing_ledger.license(issued.license_id).account_id
            granted = [
                a
                for a in accounts
                if any(g.license_id == issued.license_id for g in racing_ledger.account(a).grants)
            ]
            assert granted == [owner]


@pytest.mark.postgres
def test_one_username_has_exactly_one_account(
    racing_ledger: CountingLedger, now: datetime, ctx: AuditContext
) -> None:
    """Sixteen registrations of one username in different letter cases: one account, fifteen
    UsernameTaken."""
    with ThreadPoolExecutor(THREADS) as pool:
        for round_ in range(SMALL_ROUNDS):
            names = [f"racer{round_}".upper() if i % 2 else f"Racer{round_}" for i in range(THREADS)]
            registrations = [
                partial(racing_ledger.register, name, PASSWORD, Role.USER, now, ctx) for name in names
            ]
            winners, losers = split(race(pool, registrations), UsernameTaken)
            assert (len(winners), len(losers)) == (1, THREADS - 1), f"round {round_}"
            account = winners[0].value
            assert racing_ledger.account_id_for(f"racer{round_}") == account
