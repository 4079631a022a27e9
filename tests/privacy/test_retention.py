"""Retention: personal data of no account (addresses failing logins) is sealed under its UTC day's key,
which the sweep destroys once the retention period has passed; an event records each destroyed day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from domain.context import AuditContext
from domain.day_key import DayKey, day_key_id
from domain.personal import ERASED
from tests.privacy.world import START, open_world, settings_for, stored_bytes

ADDRESS = "192.0.2.201"
SWEEPER = AuditContext.system("retention")


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
