"""The sealer on the real stores: every committed event sealed exactly once, late commits included,
proofs served from stored nodes, a checkpoint within a second, and append-only tables."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from keyledger_verifier import (
    CompactRange,
    encode_leaf,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)

from adapters.merkle_store import LEAVES, NODES
from tests.ledger_proofs.sealing import Sealed, populate


def sealed_ids(chain: Sealed) -> list[int]:
    with chain.tree.db.read() as tx:
        return [int(r[0]) for r in tx.all(f"SELECT notification_id FROM {LEAVES} ORDER BY leaf_index")]  # noqa: S608 -- table names are constants


def event_ids(chain: Sealed) -> list[int]:
    db = chain.tree.db
    with db.read() as tx:
        return [int(r[0]) for r in tx.all(f"SELECT {db.id_column} FROM {db.events_table} ORDER BY 1")]  # noqa: S608 -- table names are constants


def insert_event(chain: Sealed, notification_id: int) -> None:
    """Commits an event row with a chosen id, as a transaction that took its id early and committed late."""
    db = chain.tree.db
    columns = f"{db.id_column}, originator_id, originator_version, topic, state"
    with db.write() as tx:
        tx.execute(
            f"INSERT INTO {db.events_table} ({columns}) VALUES (?, ?, 1, ?, ?)",  # noqa: S608 -- constants
            [notification_id, db.originator(uuid.uuid4()), "domain.account:Account.Registered", b"{}"],
        )


def test_every_event_is_sealed_once_and_the_checkpoint_signs_the_root(chain: Sealed) -> None:
    """All events become leaves in order, once; the stored checkpoint is signed and its root is the
    RFC 6962 root of the leaves rebuilt from the stored events."""
    populate(chain.ledger, 4)
    count = len(event_ids(chain))
    assert chain.sealer.seal_all() == count >= 12
    assert chain.sealer.seal_all() == 0
    assert sealed_ids(chain) == event_ids(chain)
    note = chain.log.latest_checkpoint()
    assert note is not None
    checkpoint = open_checkpoint(note, chain.notary.verifier_key_text())
    rebuilt = CompactRange()
    with chain.tree.db.read() as tx:
        for _, leaf in chain.tree.sealed_leaves(tx, 0, count):
            rebuilt.append(leaf_hash(encode_leaf(leaf)))
    assert (checkpoint.size, checkpoint.root) == (count, rebuilt.root())


def test_proofs_from_the_store_verify_against_signed_roots(chain: Sealed) -> None:
    """Inclusion proofs for every leaf and consistency proofs between every pair of signed sizes,
    read from stored nodes, verify with the client's verifier."""
    roots: dict[int, bytes] = {}
    for _ in range(3):
        populate(chain.ledger, 2)
        chain.sealer.seal_all()
        note = chain.log.latest_checkpoint()
        assert note is not None
        checkpoint = open_checkpoint(note, chain.notary.verifier_key_text())
        roots[checkpoint.size] = checkpoint.root
    for size, root in roots.items():
        for index in range(size):
            leaf, proof = chain.log.inclusion(index, size)
            verify_inclusion(index, size, leaf_hash(leaf), proof, root)
        for first, first_root in roots.items():
            if first <= size:
                verify_consistency(first, size, first_root, root, chain.log.consistency(first, size))


def test_a_late_commit_below_a_sealed_id_is_sealed(chain: Sealed) -> None:
    """An event that commits after a higher id was sealed is found by the anti-join and sealed once."""
    populate(chain.ledger, 1)
    top = max(event_ids(chain))
    insert_event(chain, top + 10)
    chain.sealer.seal_all()
    insert_event(chain, top + 5)
    assert chain.sealer.seal_all() == 1
    assert sealed_ids(chain)[-2:] == [top + 10, top + 5]
    assert sorted(sealed_ids(chain)) == event_ids(chain)


def test_after_the_first_sweep_a_pass_reads_new_rows_and_holes_only(
    chain: Sealed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the start-up sweep is done, no pass runs the anti-join over the log: the new rows and the
    probed holes are enough to seal a late commit, and a hole that settled is forgotten."""
    populate(chain.ledger, 1)
    chain.sealer.seal_all()
    sweeps: list[tuple[object, ...]] = []
    anti_join = chain.tree.unsealed

    def counted(*args: Any) -> Any:
        sweeps.append(args)
        return anti_join(*args)

    monkeypatch.setattr(chain.tree, "unsealed", counted)
    top = max(event_ids(chain))
    insert_event(chain, top + 4)
    assert chain.sealer.seal_all() == 1
    assert sorted(chain.sealer._holes) == [top + 1, top + 2, top + 3]
    insert_event(chain, top + 2)
    assert chain.sealer.seal_all() == 1
    chain.sealer.settle_s = 0.0
    assert chain.sealer.seal_all() == 0
    assert chain.sealer._holes == {}
    assert sweeps == []
    assert sorted(sealed_ids(chain)) == event_ids(chain)


def test_the_periodic_sweep_seals_what_the_settled_window_misses(chain: Sealed) -> None:
    """With a zero settle time the window starts above the last sealed id; the full sweep still finds
    a commit that arrived below it."""
    chain.sealer.settle_s, chain.sealer.sweep_s = 0.0, 3600.0
    populate(chain.ledger, 1)
    top = max(event_ids(chain))
    insert_event(chain, top + 10)
    chain.sealer.seal_all()
    insert_event(chain, top + 5)
    assert chain.sealer.seal_all() == 0
    chain.sealer.sweep_s = 0.0
    assert chain.sealer.seal_all() == 1
    assert sorted(sealed_ids(chain)) == event_ids(chain)


def test_a_second_sealer_cannot_seal_twice(chain: Sealed) -> None:
    """Two sealers on one store, taking turns with stale trees: each event still sealed once, and the
    result verifies."""
    other = type(chain.sealer)(chain.tree, chain.notary, lambda: datetime.now(UTC))
    for sealer in (chain.sealer, other, chain.sealer, other):
        populate(chain.ledger, 1)
        sealer.seal_all()
    assert sealed_ids(chain) == event_ids(chain)
    with chain.tree.db.read() as tx:
        stored = tx.one(f"SELECT COUNT(*) FROM {NODES} WHERE level = 0")  # noqa: S608 -- table names are constants
    assert stored is not None
    assert int(stored[0]) == len(event_ids(chain))


def test_a_running_sealer_signs_within_a_second(chain: Sealed) -> None:
    """With the sealer thread running and woken by writes, a new checkpoint covers a commit in < 1 s."""
    chain.ledger.listeners.append(chain.sealer.wake)
    chain.sealer.start()
    populate(chain.ledger, 1)
    committed = time.monotonic()
    while (found := chain.log.checkpoint()) is None or found.size < 3:
        assert time.monotonic() - committed < 1.0
        time.sleep(0.01)


@pytest.mark.parametrize("statement", ["UPDATE {table} SET topic = 'x'", "DELETE FROM {table}"])
def test_events_and_tree_are_append_only(chain: Sealed, statement: str) -> None:
    """After the upgrade, UPDATE and DELETE on the event table and the tree tables are refused."""
    populate(chain.ledger, 1)
    chain.sealer.seal_all()
    db = chain.tree.db
    for table in (db.events_table, LEAVES):
        sql = statement.format(table=table).replace(
            "topic = 'x'", "topic = 'x'" if table != LEAVES else "leaf_index = 7"
        )
        with pytest.raises(Exception, match="append-only"), db.write() as tx:
            tx.execute(sql)
    assert sealed_ids(chain) == event_ids(chain)
