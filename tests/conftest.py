from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.read_store import PostgresReadStore, SqliteReadStore
from domain.context import AuditContext
from domain.ledger.service import Ledger
from projections.store import ReadStore
from tests.stores import PG_DSN, pg_env, pg_schema, sealing_ledger, sqlite_env

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

# Most tests log in many times from one address at one moment; the rate-limit tests set real limits.
os.environ.setdefault("KEYLEDGER_LOGIN_LIMIT", "100000/300")
os.environ.setdefault("KEYLEDGER_API_LIMIT", "1000000/60")


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def ctx() -> AuditContext:
    return AuditContext(
        actor="admin:test",
        request_id="req-1",
        client_ip="203.0.113.9",
        user_agent="pytest",
        reason="testing",
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store a test runs on: the embedded SQLite default or PostgreSQL."""
    return str(request.param)


@pytest.fixture
def pg_schema_name(store_kind: str) -> Iterator[str | None]:
    """A fresh PostgreSQL schema when the store is PostgreSQL."""
    if store_kind == "sqlite":
        yield None
        return
    with pg_schema() as schema:
        yield schema


@pytest.fixture
def ledger(pg_schema_name: str | None, tmp_path: Path) -> Iterator[Ledger]:
    """The ledger service on SQLite and on PostgreSQL, its personal fields sealed as in production."""
    env = sqlite_env(tmp_path) if pg_schema_name is None else pg_env(pg_schema_name)
    app = sealing_ledger(env, tmp_path / "personal-keys")
    yield app
    app.close()


@pytest.fixture
def read_store(pg_schema_name: str | None, tmp_path: Path) -> Iterator[ReadStore]:
    """The read-model store beside the ``ledger`` fixture's store."""
    store: ReadStore = (
        SqliteReadStore(tmp_path / "readmodels.sqlite3")
        if pg_schema_name is None
        else PostgresReadStore(PG_DSN, pg_schema_name)
    )
    yield store
    store.close()
