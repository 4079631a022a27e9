"""Ledgers on the real stores: a fresh SQLite file, or a fresh PostgreSQL schema on loopback."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from adapters.personal_keys import load_master_key
from adapters.personal_seal import SealingMapper
from bootstrap.stores import CACHE, GROUP_COMMIT, attach_personal_keys
from domain.credentials import PasswordHasher
from domain.digests import Digests
from domain.ledger.service import Ledger
from tests.fakes import FastHasher, SeededEntropy

PG_DSN = os.environ.get("KEYLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
TEST_KEY = b"k" * 32


def sqlite_env(directory: Path) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(directory / "ledger.sqlite3"),
        "CREATE_TABLE": "y",
        **CACHE,
    }


@contextmanager
def environment_store(kind: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A store configured through the environment as the CLI reads it: ``data_dir``, and for ``kind``
    "postgres" a fresh schema (dropped afterwards)."""
    monkeypatch.setenv("KEYLEDGER_DATA_DIR", str(data_dir))
    if kind == "sqlite":
        monkeypatch.delenv("KEYLEDGER_DATABASE_URL", raising=False)
        yield
        return
    with pg_schema() as schema:
        monkeypatch.setenv("KEYLEDGER_DATABASE_URL", f"{PG_DSN}?schema={schema}")
        yield


@contextmanager
def pg_schema() -> Iterator[str]:
    """A new, empty schema, dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def pg_env(
    schema: str, *, create_table: bool = True, pool_size: int = 5, group_commit: bool = True
) -> dict[str, str]:
    """The environment ``bootstrap.stores.ledger_env`` builds for PostgreSQL (group commit on unless
    ``group_commit`` is false: the library's own recorder, for comparison)."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "test",
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": str(pool_size),
        "CREATE_TABLE": "y" if create_table else "n",
        **CACHE,
        **(GROUP_COMMIT if group_commit else {}),
    }


def make_ledger(env: dict[str, str], hasher: FastHasher | None = None, seed: int | None = None) -> Ledger:
    """A ledger with the fast hasher; randomness is real unless a seed is given (two ledgers on one store
    must never draw the same ids)."""
    entropy = SeededEntropy(seed) if seed is not None else secrets.token_bytes
    return Ledger(env, digests=Digests(TEST_KEY), hasher=hasher or FastHasher(), entropy=entropy)


def sealing_ledger(
    env: dict[str, str], data_dir: Path, hasher: PasswordHasher | None = None, seed: int | None = None
) -> Ledger:
    """A ledger whose personal fields are sealed, as ``bootstrap.stores.build_ledger`` makes them: its key
    table created beside the events, its master key in ``data_dir``."""
    entropy = SeededEntropy(seed) if seed is not None else secrets.token_bytes
    ledger = Ledger(
        env,
        digests=Digests(TEST_KEY),
        hasher=hasher or FastHasher(),
        entropy=entropy,
        mapper_class=SealingMapper,
    )
    attach_personal_keys(ledger, load_master_key(data_dir), create_tables=True)
    return ledger
