"""``keyledger db upgrade``: the event tables, the Merkle tree tables beside them, the triggers that make
both append-only, and the read-model tables. Run once before other processes start: on PostgreSQL no
other process creates a table (concurrent ``CREATE TABLE`` races), they check and refuse to start without
them. Two upgrades at once are serialised by an advisory lock. The embedded default runs it at start."""

from __future__ import annotations

import threading

from adapters import guard_rails
from adapters.event_source import LedgerEvents
from adapters.ledger_db import ledger_db
from adapters.merkle_store import TREE_TABLES, TreeStore
from adapters.release_secrets import ReleaseSecrets
from api import api_key_usage, idempotency_store
from bootstrap import keys
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger, build_read_store, leader
from domain.ledger.service import Ledger
from projections import catalogue, deliveries
from projections.runner import Catchup
from projections.store import ReadStore


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
    with leader(settings, "db-upgrade")(threading.Event()):
        digests = keys.digests(settings)
        ledger = build_ledger(settings, digests, keys.argon2(settings, digests), create_tables=True)
        store = build_read_store(settings)
        try:
            upgrade_tree(ledger)
            Catchup(store, catalogue.ALL, LedgerEvents(ledger)).create_tables()
            create_service_tables(store)
        finally:
            store.close()
            ledger.close()


SERVICE_TABLES = ("api_key_usage", "idempotent_responses", deliveries.ENDPOINTS, deliveries.DELIVERIES)


def create_service_tables(store: ReadStore) -> None:
    """The API's own tables beside the read models: API-key last use, idempotent responses, and the
    webhook worker's delivery log (the API reads it)."""
    with store.transaction() as tx:
        for statement in (api_key_usage.DDL, *idempotency_store.DDL):
            tx.execute(statement)
        deliveries.create_tables(tx)


class NotUpgraded(RuntimeError):
    """The database lacks tables this process must not create itself."""


def read_models(settings: Settings, ledger: Ledger, store: ReadStore) -> Catchup:
    """The read models' catch-up over ``store``: tables created on the embedded default, checked (never
    created) on PostgreSQL."""
    catchup = Catchup(store, catalogue.ALL, LedgerEvents(ledger))
    if not settings.database_url:
        catchup.create_tables()
        create_service_tables(store)
        return catchup
    missing = catchup.missing_tables(SERVICE_TABLES)
    if missing:
        raise NotUpgraded(
            f"the database is not upgraded ({', '.join(missing)} missing): run `keyledger db upgrade`"
        )
    return catchup
