"""``keyledger db upgrade``: the event tables, the Merkle tree tables beside them, and the triggers that
make both append-only. Run once before other processes start (they run with ``CREATE_TABLE=n``); the
embedded default runs it at start."""

from __future__ import annotations

from adapters import guard_rails
from adapters.ledger_db import ledger_db
from adapters.merkle_store import TREE_TABLES, TreeStore
from adapters.release_secrets import ReleaseSecrets
from bootstrap import keys
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger
from domain.ledger.service import Ledger


def upgrade_tree(ledger: Ledger) -> None:
    """Creates the tree tables and the release secrets beside the events, and makes events and tree
    append-only (the secrets are not: a master key rotation rewrites wrapped keys)."""
    db = ledger_db(ledger)
    try:
        TreeStore(db).create_tables()
        ReleaseSecrets(db).create_tables()
        guard_rails.install(db, [db.events_table, *TREE_TABLES])
    finally:
        db.close()


def create_tables(settings: Settings) -> None:
    digests = keys.digests(settings)
    ledger = build_ledger(settings, digests, keys.argon2(settings, digests), create_tables=True)
    try:
        upgrade_tree(ledger)
    finally:
        ledger.close()
