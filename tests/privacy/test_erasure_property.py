"""Erasure, for random histories on both stores: no byte of the erased account's username, addresses, user
agents or device names rests anywhere (files, tables, exports, logs), while the ledger verifies, every proof
holds, a rebuild matches the live read models, and every other account reads exactly as before."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyledger_verifier.export import verify_export
from keyledger_verifier.notes import parse_verifier_key
from keyledger_verifier.replay import replay
from keyledger_verifier.sealed_values import SEALED_MARKER
from keyledger_verifier.tree import leaf_hash, verify_consistency, verify_inclusion

from bootstrap.cli import main
from domain.context import AuditContext
from tests.privacy.world import Person, World, open_world, people, settings_for, stored_bytes

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
EXPORTER = AuditContext("test", "req", "198.51.100.9", "Exporter/1.0")


def exported(world: World, person: Person) -> Any:
    """The person's access export (recorded by an event), without the position of that event."""
    found = world.service.export(world.ids[person.username], world.tick(), EXPORTER)
    return found["erased"], found["events"]


def read_rows(world: World, username: str) -> Any:
    ident = str(world.ids[username])
    with world.store.snapshot() as tx:
        return (
            tx.all("SELECT * FROM rm_accounts WHERE id = ?", [ident]),
            tx.all("SELECT * FROM rm_devices WHERE account_id = ?", [ident]),
        )


def cli(world: World, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("KEYLEDGER_DATA_DIR", str(world.settings.data_dir))
    if world.settings.database_url:
        monkeypatch.setenv("KEYLEDGER_DATABASE_URL", world.settings.database_url)
    else:
        monkeypatch.delenv("KEYLEDGER_DATABASE_URL", raising=False)
    return main(list(argv))


def check_proofs(world: World, before_size: int, before_root: bytes) -> None:
    """Every leaf's inclusion in the latest tree, and the tree's consistency with the one before."""
    latest = world.log.checkpoint()
    assert latest is not None
    for index in range(latest.size):
        leaf_bytes, proof = world.log.inclusion(index, latest.size)
        verify_inclusion(index, latest.size, leaf_hash(leaf_bytes), proof, latest.root)
    proof = world.log.consistency(before_size, latest.size)
    verify_consistency(before_size, latest.size, before_root, latest.root, proof)


@pytest.mark.parametrize("store", STORES)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(crowd=people(), data=st.data())
def test_erasure_leaves_no_byte_and_keeps_the_seal(
    store: str,
    crowd: list[Person],
    data: st.DataObject,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After erasing a random account: none of its personal strings in the store, exports or logs; the
    ledger, proofs and a rebuild verify; the others' data is unchanged."""
    caplog.set_level(logging.DEBUG)
    with tempfile.TemporaryDirectory() as scratch, settings_for(store, Path(scratch)) as given_settings:
        world = open_world(given_settings)
        try:
            for person in crowd:
                world.live(person)
            world.settle()
            erased = data.draw(st.sampled_from(crowd))
            others = [p for p in crowd if p is not erased]
            before = {p.username: (exported(world, p), read_rows(world, p.username)) for p in others}
            checkpoint = world.log.checkpoint()
            assert checkpoint is not None
            ctx = AuditContext("test", "req", None, None, "art. 17 request")
            world.service.erase(world.ids[erased.username], world.tick(), ctx)
            world.settle()

            export = "".join(world.log.export(world.log.frame(0, None)))
            lines = [line.encode() for line in export.splitlines(keepends=True)]
            verify_export(lines, parse_verifier_key(world.log.verifier_key()))
            replayed = json.dumps(replay(lines, size=None, at=None, aggregate=None))
            assert SEALED_MARKER in replayed  # the auditor sees that a value is there, not what it is
            assert not [p.username for p in crowd if p.username in replayed]
            at_rest = stored_bytes(world.settings)
            for secret in erased.secrets():
                assert secret.encode() not in at_rest, secret
                assert secret not in export, secret
                assert secret not in caplog.text, secret
            for person in others:
                assert person.username not in export  # sealed for everyone in exports
                assert (exported(world, person), read_rows(world, person.username)) == before[person.username]
            check_proofs(world, checkpoint.size, checkpoint.root)
        finally:
            world.close()
        assert cli(world, monkeypatch, "ledger", "verify") == 0
        assert cli(world, monkeypatch, "projections", "rebuild", "--verify") == 0
