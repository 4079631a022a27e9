"""Retention: personal data of no account (addresses failing logins) is sealed under its UTC day's key,
which the sweep destroys once the retention period has passed; an event records each destroyed day."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.read_store import SqliteReadStore
from domain.context import AuditContext
from domain.day_key import DayKey, day_key_id
from domain.personal import ERASED
from projections import deliveries
from tests.privacy.world import START, open_world, settings_for, stored_bytes

ADDRESS = "192.0.2.201"
SWEEPER = AuditContext.system("retention")
INSERT = (
    "INSERT INTO wh_deliveries (endpoint_id, position, message_id, event_type, payload, state, attempts, "
    "created_at, next_attempt_at) VALUES (?, ?, 'm', 'Alert.Raised', ?, 'done', 1, ?, ?)"
)


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_after_the_window_anonymous_addresses_are_unreadable(store: str, tmp_path: Path) -> None:
    """Day keys live for the retention period, then the sweep destroys them: the address reads
    ``[erased]`` in the read models, is gone from the store, and ``DayKey.Destroyed`` says when."""
    with settings_for(store, tmp_path) as settings:
        world = open_world(settings)
        try:
            world.ledger.record_login_failure(None, START, AuditContext("anonymous", "r", ADDRESS, "curl/8"))
            world.settle()
            with world.store.snapshot() as tx:
                assert tx.all("SELECT network FROM rm_ip_addresses") == [(ADDRESS,)]
            assert world.service.sweep(START + timedelta(days=89), 90, SWEEPER) == 0
            assert world.ledger.find(DayKey, day_key_id(START.date())) is None
            assert world.service.sweep(START + timedelta(days=91), 90, SWEEPER) == 1
            world.settle()
            recorded = world.ledger.find(DayKey, day_key_id(START.date()))
            assert recorded is not None
            assert recorded.retention_days == 90
            with world.store.snapshot() as tx:
                assert tx.all("SELECT network FROM rm_ip_addresses") == [(ERASED,)]
            assert ADDRESS.encode() not in stored_bytes(settings)
            assert world.service.sweep(START + timedelta(days=92), 90, SWEEPER) == 0
        finally:
            world.close()


def test_swept_alert_deliveries_lose_their_address(tmp_path: Path) -> None:
    """A webhook delivery of an alert about an address made before the cutoff keeps no address; one
    about an account keeps the account id; later ones are untouched."""
    store = SqliteReadStore(tmp_path / "rm.sqlite3")
    account = "3f2b0c1e-6a8d-4f57-9a0e-6c1d2b7e4a90"
    rows = [("e", 1, ADDRESS, "2026-11-01"), ("e", 2, account, "2026-11-01"), ("e", 3, ADDRESS, "2027-03-01")]
    with store.transaction() as tx:
        deliveries.create_tables(tx)
        for endpoint, position, subject, day in rows:
            payload = json.dumps({"type": "Alert.Raised", "data": {"subject": subject}})
            at = f"{day}T00:00:00.000000Z"
            tx.execute(INSERT, [endpoint, position, payload, at, at])
        assert deliveries.redact_alert_subjects(tx, "2027-01-30T00:00:00.000000Z") == 1
        payloads = [
            json.loads(p)["data"]["subject"]
            for (p,) in tx.all("SELECT payload FROM wh_deliveries ORDER BY position")
        ]
    store.close()
    assert payloads == [ERASED, account, ADDRESS]
