"""kill -9 of an API process while sixteen clients write through group commit loses no acknowledged write:
every command answered 2xx before the kill is in the event store afterwards (a save is answered only after
its batch's COMMIT returned)."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from api.services import utc_now
from bootstrap import keys
from bootstrap.app import build_services, create_app
from bootstrap.schema import create_tables
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger
from domain.context import AuditContext
from domain.license import License
from domain.roles import Role
from tests.api.harness import PASSWORD
from tests.bench.served import serving
from tests.fakes import FastHasher
from tests.stores import PG_DSN, pg_schema

pytestmark = pytest.mark.postgres
WRITERS = 16
ACKNOWLEDGED_BEFORE_KILL = 300


@dataclass(frozen=True)
class Config:
    data_dir: str
    schema: str


def settings(config: Config) -> Settings:
    return Settings(
        data_dir=Path(config.data_dir),
        database_url=f"{PG_DSN}?schema={config.schema}",
        insecure_dev_cookies=True,
        login_limit="100000/300",
        api_limit="1000000/60",
        db_pool_size=WRITERS,
    )


def build(config: Config) -> tuple[FastAPI, None]:
    """The API as ``bootstrap`` builds it on PostgreSQL (group commit on), with the fast hasher."""
    given = settings(config)
    ledger = build_ledger(given, keys.digests(given), FastHasher())
    return create_app(services=build_services(given, ledger=ledger)), None


def write_until_refused(url: str, admin: dict[str, str], acknowledged: list[str]) -> int:
    """Issues one license per request until the server stops answering; returns the requests sent."""
    sent = 0
    body = {"count": 1, "days": 30}
    with httpx.Client(base_url=url, timeout=10) as client:
        while True:
            sent += 1
            try:
                response = client.post("/admin/licenses", json=body, headers=admin)
            except httpx.TransportError:
                return sent
            if response.status_code == 201:
                acknowledged.extend(k["license_id"] for k in response.json()["keys"])


def test_no_acknowledged_write_is_lost_when_the_api_is_killed(tmp_path: Path) -> None:
    """SIGKILL while sixteen writers share batches: each license acknowledged is stored afterwards."""
    with pg_schema() as schema:
        config = Config(str(tmp_path / "data"), schema)
        keys.generate_keys(Path(config.data_dir))
        create_tables(settings(config))
        given = settings(config)
        ledger = build_ledger(given, keys.digests(given), FastHasher())
        ledger.register("root", PASSWORD, Role.ADMIN, utc_now(), AuditContext(actor="test"))
        acknowledged: list[str] = []
        with serving(build, config) as served:
            login = httpx.post(f"{served.url}/auth/login", json={"username": "root", "password": PASSWORD})
            assert login.status_code == 200, login.text
            admin = {
                "Cookie": login.headers["set-cookie"].split(";", 1)[0],
                "X-CSRF-Token": login.json()["csrf_token"],
            }
            with ThreadPoolExecutor(WRITERS) as pool:
                runs = [
                    pool.submit(write_until_refused, served.url, admin, acknowledged) for _ in range(WRITERS)
                ]
                deadline = time.monotonic() + 120
                while len(acknowledged) < ACKNOWLEDGED_BEFORE_KILL and time.monotonic() < deadline:
                    time.sleep(0.01)
                os.kill(served.pid, signal.SIGKILL)
                sent = sum(run.result(60) for run in runs)
            answered = list(acknowledged)
        assert len(answered) >= ACKNOWLEDGED_BEFORE_KILL
        assert sent > len(answered), "no request was in flight when the process died"
        missing = [ident for ident in answered if ledger.find(License, UUID(ident)) is None]
        ledger.close()
        assert missing == []
