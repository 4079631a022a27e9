"""Copies of the write model served to bearer requests: kept while the change counter is unchanged, reloaded
when it moves, never trusted when the counters cannot be read (fail closed), and Redis counters that lost
their data never match an old tag."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from uuid import UUID

import redis

from adapters.change_counters import LocalChangeCounters, RedisChangeCounters
from api.fresh_state import FreshAggregates, ReadAhead, client_idents, client_state
from bootstrap.settings import Settings
from bootstrap.stores import watch_changes
from domain.account import Account
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from tests.ledger.scenarios import registered


class Unreadable(LocalChangeCounters):
    """Counters whose store is down."""

    def read(self, idents: Sequence[UUID]) -> list[str] | None:
        return None


def test_a_copy_is_served_until_its_counter_moves(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """The same copy while nothing changed; the new state on the first read after a bump."""
    counters = LocalChangeCounters()
    fresh = FreshAggregates(ledger, counters)
    ledger.change_listeners.append(counters.bump)
    alice = registered(ledger, now, ctx)
    [first] = fresh.get([alice])
    assert fresh.get([alice]) == [first]
    ledger.change_role(alice, Role.VIP, now, ctx)
    [after] = fresh.get([alice])
    assert isinstance(after, Account)
    assert after.role is Role.VIP


def test_without_counters_every_read_goes_to_the_write_model(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """A ban no counter heard of is still seen when the counters cannot be read."""
    counters = Unreadable()
    fresh = FreshAggregates(ledger, counters)
    alice = registered(ledger, now, ctx)
    fresh.get([alice])
    ledger.ban(alice, None, now, ctx)  # no listener: no bump
    [account] = fresh.get([alice])
    assert isinstance(account, Account)
    assert account.is_banned(now)


def test_client_state_reads_the_licenses_the_account_holds_now(
    ledger: Ledger, now: datetime, ctx: AuditContext
) -> None:
    """A license activated after the account was copied is read too, and its suspension reported."""
    counters = LocalChangeCounters()
    fresh = FreshAggregates(ledger, counters)
    ledger.change_listeners.append(counters.bump)
    alice = registered(ledger, now, ctx)
    session = uuid.uuid4()
    assert client_state(fresh, session, alice).suspended == frozenset()
    issued = ledger.issue_licenses(1, 30, Role.USER, 1, "", now, ctx).value[0]
    ledger.activate_license(alice, issued.key, now, ctx)
    ledger.suspend_license(issued.license_id, now, ctx)
    assert client_state(fresh, session, alice).suspended == {issued.license_id}


def test_redis_counters_that_were_lost_never_match_an_old_tag() -> None:
    """After Redis loses the counters (and their epoch), a tag taken before does not come back."""
    prefix = f"keyledger:test:{uuid.uuid4().hex}"
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    counters = RedisChangeCounters(client, prefix)
    ident = uuid.uuid4()
    try:
        counters.bump([ident])
        before = counters.read([ident])
        client.delete(f"{prefix}:epoch", f"{prefix}:{ident}")
        counters.bump([ident])
        assert counters.read([ident]) != before
    finally:
        client.delete(f"{prefix}:epoch", f"{prefix}:{ident}")
        client.close()


def test_counters_read_beside_the_limit_check_give_the_same_tags() -> None:
    """The values of ``shared_keys`` (read by the limit check) give the tags ``read`` gives; none are
    offered while a bump waits to be resent, nor trusted once Redis lost the epoch."""
    prefix = f"keyledger:test:{uuid.uuid4().hex}"
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    counters, ident = RedisChangeCounters(client, prefix), uuid.uuid4()
    try:
        counters.bump([ident])
        tags = counters.read([ident])
        keys = counters.shared_keys([ident])
        assert keys is not None
        assert counters.tags(values(client, keys)) == tags
        client.delete(f"{prefix}:epoch")
        assert counters.tags(values(client, keys)) is None
        counters._keep([ident])  # a bump that failed, still to be resent
        assert counters.shared_keys([ident]) is None
    finally:
        client.delete(f"{prefix}:epoch", f"{prefix}:{ident}")
        client.close()


def values(client: redis.Redis, keys: list[str]) -> list[bytes | None]:
    return [v if isinstance(v, bytes) or v is None else v.encode() for v in client.mget(keys)]


def test_client_state_uses_the_tags_read_ahead(ledger: Ledger, now: datetime, ctx: AuditContext) -> None:
    """Tags read ahead for the very aggregates it decides on spare ``client_state`` its own read; tags
    read for other aggregates (the account's licenses as another copy had them) are not used."""
    counters = Counting()
    fresh = FreshAggregates(ledger, counters)
    ledger.change_listeners.append(counters.bump)
    alice, session = registered(ledger, now, ctx), uuid.uuid4()
    client_state(fresh, session, alice)
    idents = client_idents(fresh, session, alice)
    ahead = ReadAhead(idents, tuple(counters.read(idents) or ()))
    counters.reads = 0
    assert client_state(fresh, session, alice, ahead).account.id == alice
    assert counters.reads == 0
    other = ReadAhead((session, alice, uuid.uuid4()), (*ahead.tags, "0"))
    assert client_state(fresh, session, alice, other).account.id == alice
    assert counters.reads == 1


class Counting(LocalChangeCounters):
    """This process's counters, counting reads."""

    reads = 0

    def read(self, idents: Sequence[UUID]) -> list[str] | None:
        self.reads += 1
        return super().read(idents)


def test_postgresql_without_redis_trusts_no_copy(ledger: Ledger, tmp_path: Path) -> None:
    """Several processes and nothing shared to count in: the counters can never be read, so every bearer
    request reads the write model; the embedded default (one process) counts in the process."""
    shared = Settings(data_dir=tmp_path, database_url="postgresql://127.0.0.1:5432/test")
    assert watch_changes(shared, ledger).read([uuid.uuid4()]) is None
    assert watch_changes(Settings(data_dir=tmp_path), ledger).read([uuid.uuid4()]) == ["0"]
