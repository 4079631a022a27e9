from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.context import AuditContext
from domain.ledger.service import Ledger
from tests.stores import make_ledger, pg_env, pg_schema, sqlite_env

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


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
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The ledger service on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        app = make_ledger(sqlite_env(tmp_path))
        yield app
        app.close()
        return
    with pg_schema() as schema:
        app = make_ledger(pg_env(schema))
        yield app
        app.close()
