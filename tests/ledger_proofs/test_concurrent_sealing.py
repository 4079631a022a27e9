"""Concurrent writers on PostgreSQL with the sealer running (and a rogue second sealer racing it):
every committed event is sealed exactly once and the result verifies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from keyledger_verifier.export import verify_export

from adapters.merkle_store import LEAVES
from bootstrap.ledger_verify import lines_of
from tests.ledger_proofs.sealing import Sealed, populate, sealed
from tests.stores import make_ledger, pg_env, pg_schema
from workers.sealer import Sealer

WRITERS, ACCOUNTS = 6, 5


@pytest.mark.postgres
def test_concurrent_writers_are_sealed_exactly_once() -> None:
    """Six writer threads commit while the sealer thread runs and a second sealer races it in a loop:
    leaves and events match one to one, leaf indexes are dense, and the export verifies."""
    with pg_schema() as schema:
        ledger = make_ledger(pg_env(schema, pool_size=WRITERS + 2))
        chain: Sealed = sealed(ledger, poll_interval=0.02)
        rogue = Sealer(chain.tree, chain.notary, lambda: datetime.now(UTC), poll_interval=0.01)
        done, rogue_errors = threading.Event(), []

        def race() -> None:
            while not done.is_set():
                try:
                    rogue.seal_once(limit=7)
                except Exception as error:  # the constraints refuse the loser of a race
                    rogue_errors.append(error)

        chain.ledger.listeners.append(chain.sealer.wake)
        chain.sealer.start()
        racer = threading.Thread(target=race)
        racer.start()
        writers = [threading.Thread(target=populate, args=(ledger, ACCOUNTS)) for _ in range(WRITERS)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        racer.join()
        chain.sealer.stop()
        chain.sealer.seal_all()
        db = chain.tree.db
        with db.read() as tx:
            leaves = tx.all(f"SELECT leaf_index, notification_id FROM {LEAVES} ORDER BY leaf_index")  # noqa: S608 -- table names are constants
            events = tx.all(f"SELECT notification_id FROM {db.events_table}")  # noqa: S608 -- table names are constants
        assert [int(index) for index, _ in leaves] == list(range(len(events)))
        assert sorted(int(nid) for _, nid in leaves) == sorted(int(nid) for (nid,) in events)
        assert len(events) >= WRITERS * ACCOUNTS * 4
        verified = verify_export(
            lines_of(chain.log.export(chain.log.frame(0, None))), chain.notary.verifier_key()
        )
        assert verified.end == len(events)
        chain.close()
        ledger.close()
