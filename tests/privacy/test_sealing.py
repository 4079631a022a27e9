"""Personal fields at rest: sealed under their subject's key, bound to their event and field, opened on
the way back, ``[erased]`` once the key is gone, ``[sealed]`` to an auditor."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from keyledger_verifier.sealed_values import SEALED_MARKER, is_sealed_value
from keyledger_verifier.state import plain

from adapters.ledger_db import SqliteLedgerDb
from adapters.personal_keys import CACHE_S, PersonalKeys
from adapters.personal_seal import SealedValueDamaged, SealingMapper
from bootstrap.stores import personal_seal
from domain import personal
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import SessionKind
from tests.stores import pg_env, pg_schema, sealing_ledger, sqlite_env

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CTX = AuditContext("test", "req", "203.0.113.50", "SealTest/1.0")


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    made = sealing_ledger(sqlite_env(tmp_path), tmp_path / "data")
    yield made
    made.close()


def forget(ledger: Ledger, ident: UUID) -> None:
    """Drops the cached aggregate, so the next load reads the store."""
    with contextlib.suppress(KeyError):
        ledger.repository.cache.get(ident, evict=True)  # type: ignore[union-attr]


def stored_states(ledger: Ledger, ident: UUID) -> list[dict[str, Any]]:
    return [json.loads(e.state) for e in ledger.recorder.select_events(ident)]


def test_personal_fields_are_stored_sealed_and_read_opened(ledger: Ledger) -> None:
    """The username, address and user agent are ciphertext in the store and clear to the ledger."""
    account = ledger.register("sealed_alice", "password123", Role.USER, NOW, CTX).value
    [state] = stored_states(ledger, account)
    raw = json.dumps(state)
    assert "sealed_alice" not in raw
    assert "203.0.113.50" not in raw
    assert "SealTest" not in raw
    assert is_sealed_value(state["username"])
    assert str(state["username"]).startswith(f"kl-sealed/v1:account:{account}:")
    forget(ledger, account)
    assert ledger.account(account).username == "sealed_alice"


def test_a_sealed_value_moved_to_another_event_does_not_open(ledger: Ledger) -> None:
    """The associated data binds a value to its event: a copy onto another version is refused."""
    account = ledger.register("bound_bob", "password123", Role.USER, NOW, CTX).value
    ledger.change_role(account, Role.VIP, NOW, CTX)
    first, second = stored_states(ledger, account)
    context = dict(second["context"])
    context["user_agent"] = first["context"]["user_agent"]
    mapper = personal_seal(ledger)
    with pytest.raises(SealedValueDamaged):
        mapper.open_fields("domain.account:Account.RoleChanged", account, 2, {"context": context})


def test_open_fields_opens_a_decoded_state_in_place(ledger: Ledger) -> None:
    """``open_fields`` (what a reader that decodes stored events itself calls) opens every sealed field."""
    account = ledger.register("in_place", "password123", Role.USER, NOW, CTX).value
    [state] = stored_states(ledger, account)
    personal_seal(ledger).open_fields("domain.account:Account.Registered", account, 1, state)
    assert state["username"] == "in_place"
    assert state["context"] == {**state["context"], "client_ip": "203.0.113.50"}


def test_destroyed_key_reads_erased_and_later_events_store_the_marker(ledger: Ledger) -> None:
    """After the key is destroyed old values read ``[erased]`` and new ones are never stored."""
    account = ledger.register("gone_carol", "password123", Role.USER, NOW, CTX).value
    mapper = personal_seal(ledger)
    mapper.keys.destroy(personal.Subject(account=account).key_id, NOW)
    forget(ledger, account)
    assert ledger.account(account).username == personal.ERASED
    ledger.change_role(account, Role.VIP, NOW, CTX)
    assert stored_states(ledger, account)[-1]["context"]["client_ip"] == personal.ERASED


def test_anonymous_addresses_are_sealed_under_the_day_key(ledger: Ledger) -> None:
    """A failed login of nobody's account seals its address under the day's key."""
    ledger.record_login_failure(None, NOW, replace(CTX, actor="anonymous"))
    address = ledger.ip_address("203.0.113.50")
    assert address is not None
    [tracked, *_] = stored_states(ledger, address.id)
    assert str(tracked["address"]).startswith("kl-sealed/v1:day:2026-11-01:")


def test_the_auditor_sees_sealed_values_as_sealed() -> None:
    """keyledger-audit's state rendering shows ``[sealed]`` for a value of the sealed shape only."""
    value = "kl-sealed/v1:day:2026-11-01:" + "A" * 40
    assert plain({"username": value, "role": "user"}) == {"username": SEALED_MARKER, "role": "user"}
    assert plain("kl-sealed/v1:") == "kl-sealed/v1:"


def test_every_sealed_field_is_marked_personal_in_the_catalogue() -> None:
    """Each field the registry seals is marked personal (yes or free text) in docs/events.md."""
    catalogue = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
    for topic, paths in personal.OWN_FIELDS.items():
        section = catalogue.split(f"### `{topic}`", 1)[1].split("\n### ", 1)[0]
        for path in paths:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{path[-1]}` |"))
            assert "**yes**" in row or "free text" in row, (topic, path)


def test_the_mapper_is_the_eventsourcing_mapper_hook(ledger: Ledger) -> None:
    """The sealing mapper is what the application's event store and notification log use."""
    assert isinstance(ledger.mapper, SealingMapper)
    assert ledger.events.mapper is ledger.mapper


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_key_created_by_two_processes_at_once_is_one_key(kind: str, tmp_path: Path) -> None:
    """Two processes creating the same subject's key both end with the one the table kept; a destroyed
    key is never created again."""
    with contextlib.ExitStack() as stack:
        env = sqlite_env(tmp_path)
        if kind == "postgres":
            env = pg_env(stack.enter_context(pg_schema()))
        one = sealing_ledger(env, tmp_path / "data")
        stack.callback(one.close)
        other = sealing_ledger({**env, "CREATE_TABLE": "n"}, tmp_path / "data")
        stack.callback(other.close)
        first, second = personal_seal(one).keys, personal_seal(other).keys
        created = first._create("account:race")  # the other process won the insert
        assert second.data_key("account:race", create=True) == first.data_key("account:race", create=True)
        assert created[0] is not None
        assert second._create("account:race") == created  # lost the insert: answers with the kept key
        first.destroy("day:2026-01-01", NOW)
        assert second.data_key("day:2026-01-01", create=True) is None


def test_a_session_sealed_after_its_link_was_dropped_still_seals_under_its_account(tmp_path: Path) -> None:
    """The links held in memory are bounded; a session whose link was dropped (or that another process
    opened) seals its later events under its account's key, the link read back from its first event."""
    ledger = sealing_ledger(sqlite_env(tmp_path), tmp_path / "data")
    try:
        links = personal_seal(ledger).links
        links.kept = 2
        names = ("linked_a", "linked_b", "linked_c")
        accounts = [ledger.register(name, "password123", Role.USER, NOW, CTX).value for name in names]
        opened = [ledger.open_session(a, SessionKind.WEB, None, NOW, CTX).value for a in accounts]
        assert len(links) == 2
        assert opened[0].session_id not in list(links)
        ledger.refresh_session(opened[0].token, NOW, replace(CTX, actor="anonymous"))
        last = stored_states(ledger, opened[0].session_id)[-1]
        assert str(last["context"]["client_ip"]).startswith(f"kl-sealed/v1:account:{accounts[0]}:")
        assert links[opened[0].session_id] == accounts[0]
    finally:
        ledger.close()


def test_the_key_cache_holds_only_the_last_seconds(tmp_path: Path) -> None:
    """Keys unwrapped more than ``CACHE_S`` ago leave the cache (it does not grow with every subject a
    process ever sealed for), and a key that left it is read back the same."""
    clock = [1000.0]
    db = SqliteLedgerDb(tmp_path / "keys.sqlite3")
    keys = PersonalKeys(db, os.urandom(32), clock=lambda: clock[0])
    keys.create_tables()
    first = keys.data_key("subject-a", create=True)
    for n in range(50):
        clock[0] += 0.01
        keys.data_key(f"subject-{n}", create=True)
    assert len(keys._cache) == 51
    clock[0] += CACHE_S
    keys.data_key("subject-b", create=True)
    assert list(keys._cache) == ["subject-b"]
    assert keys.data_key("subject-a", create=False) == first
    db.close()
