"""A key table that is missing, or that the master key does not open, stops a process at start with one
clear line; it never shows personal data as ``[erased]``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from adapters.personal_keys import MASTER_KEY_FILE, PersonalKeyError
from bootstrap import keys
from bootstrap.cli import main
from bootstrap.schema import create_tables
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger
from domain.context import AuditContext
from domain.roles import Role
from tests.stores import PG_DSN, environment_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    with environment_store(request.param, tmp_path / "data", monkeypatch):
        yield Settings()


def start(settings: Settings) -> None:
    digests = keys.digests(settings)
    build_ledger(settings, digests, keys.argon2(settings, digests)).close()


def drop_key_tables(settings: Settings) -> None:
    if not settings.database_url:
        with sqlite3.connect(settings.data_dir / "ledger.sqlite3") as conn:
            conn.execute("DROP TABLE personal_key_check")
        return
    schema = settings.database_url.split("schema=")[1]
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {schema}.personal_key_check")


def test_a_wrong_master_key_stops_every_process(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another master key than the table's: PersonalKeyError at start, one line from the CLI."""
    create_tables(settings)
    start(settings)
    (settings.data_dir / MASTER_KEY_FILE).write_text("ab" * 32 + "\n")
    with pytest.raises(PersonalKeyError, match="does not open this database's key table"):
        start(settings)
    assert main(["admin", "export-subject", "00000000-0000-4000-8000-000000000000"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("keyledger: the personal-data master key")


def test_a_missing_key_table_stops_every_process(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """No key table (a database restored without it): a clear error naming `db upgrade`."""
    create_tables(settings)
    drop_key_tables(settings)
    with pytest.raises(PersonalKeyError, match="keyledger db upgrade"):
        start(settings)
    assert main(["ledger", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "personal-data key" in err


def test_a_missing_key_row_is_an_error_not_an_erasure(tmp_path: Path) -> None:
    """A sealed value whose key row is absent (a key table from another backup) raises; only a key
    destroyed on purpose reads ``[erased]``."""
    settings = Settings(data_dir=tmp_path)
    create_tables(settings)
    digests = keys.digests(settings)
    ledger = build_ledger(settings, digests, keys.argon2(settings, digests))
    account = ledger.register(
        "restored", "password123", Role.USER, datetime.now(UTC), AuditContext("t")
    ).value
    ledger.close()
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as conn:
        conn.execute("DELETE FROM personal_keys")
    ledger = build_ledger(settings, digests, keys.argon2(settings, digests))
    try:
        with pytest.raises(PersonalKeyError, match="another backup"):
            ledger.account(account)
    finally:
        ledger.close()
