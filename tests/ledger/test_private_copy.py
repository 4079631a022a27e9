"""Commands change private copies of cached aggregates (``domain.ledger.base.private_copy``): what makes
a one-level copy safe must hold for every aggregate the ledger writes, and a failed command must leave
the cached aggregate as it was."""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from domain.context import AuditContext
from domain.ledger.base import private_copy
from domain.ledger.service import Ledger
from domain.release import ReleaseFile
from domain.roles import Role
from tests.stores import make_ledger, sqlite_env
from tests.ui.seed import seed

IMMUTABLE = (str, bytes, int, float, bool, UUID, datetime, date, timedelta, enum.Enum, type(None))


def immutable(value: Any) -> bool:
    if isinstance(value, IMMUTABLE):
        return True
    if isinstance(value, tuple | frozenset):
        return all(immutable(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        frozen = type(value).__dataclass_params__.frozen  # type: ignore[attr-defined]
        return bool(frozen) and all(immutable(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = make_ledger(sqlite_env(tmp_path))
    seed(ledger)
    now, ctx = datetime.now(UTC), AuditContext(actor="test")
    files = [ReleaseFile(uuid4(), "app.tar.gz", 10, "ab" * 32, "release-app", 100)]
    ledger.publish_release("app", "stable", "linux-x64", "1.0.0", "notes", Role.USER, files, now, ctx)
    ledger.register_webhook("https://example.com/hook", ["Account.*"], "crm", "sealed", now, ctx)
    return ledger


def aggregates(ledger: Ledger) -> list[Aggregate]:
    ids = dict.fromkeys(
        UUID(str(n.originator_id)) for n in ledger.recorder.select_notifications(start=1, limit=10_000)
    )
    return [ledger.repository.get(ident) for ident in ids]


def test_every_value_inside_an_aggregates_containers_is_immutable(ledger: Ledger) -> None:
    """Lists, dicts and sets of every aggregate hold only immutable values, so copying them one level
    deep gives a command a copy it cannot share anything changeable through."""
    found = aggregates(ledger)
    assert len({type(a) for a in found}) >= 10
    for aggregate in found:
        for name, value in vars(aggregate).items():
            if name == "_pending_events":
                continue
            if isinstance(value, list | set):
                assert all(immutable(item) for item in value), (type(aggregate).__name__, name)
            elif isinstance(value, dict):
                assert all(immutable(k) and immutable(v) for k, v in value.items()), (type(aggregate), name)
            else:
                assert immutable(value), (type(aggregate).__name__, name, type(value))


def test_a_private_copy_equals_its_original_and_shares_no_container(ledger: Ledger) -> None:
    """The copy has the same state, and none of its lists, dicts or sets is the original's."""
    for aggregate in aggregates(ledger):
        clone = private_copy(aggregate)
        assert type(clone) is type(aggregate)
        assert vars(clone) == vars(aggregate)
        for name, value in vars(aggregate).items():
            if isinstance(value, list | dict | set):
                assert vars(clone)[name] is not value, name


def test_a_copy_changed_and_never_saved_leaves_the_cache_unchanged(ledger: Ledger) -> None:
    """An aggregate a command changed and did not save (it raised, or lost a race) is not the cached one:
    the next command sees the stored state."""
    now = datetime.now(UTC)
    account_id = ledger.account_id_for("mina")
    assert account_id is not None
    before = ledger.account(account_id)
    account = ledger.load(type(before), account_id, "account")
    account.ban(now + timedelta(days=1), now, AuditContext(actor="test").with_reason("x"))  # never saved
    assert account.banned
    assert account.pending_events
    after = ledger.account(account_id)
    assert not after.banned
    assert not after.pending_events
    assert vars(after) == vars(before)
