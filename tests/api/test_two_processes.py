"""Two API processes over one PostgreSQL schema and one Redis: a ban, a session revocation or a license
suspension made through one process holds on the very next request to the other, although that other
process served the same credentials from its copy of the write model a moment before."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.services import utc_now
from bootstrap import keys
from bootstrap.app import create_app
from bootstrap.schema import create_tables
from bootstrap.settings import Settings
from bootstrap.stores import build_ledger, watch_changes
from domain.context import AuditContext
from domain.roles import Role
from tests.api.harness import COMPONENTS, PASSWORD
from tests.bench.served import Served, serving
from tests.stores import PG_DSN, pg_schema

pytestmark = pytest.mark.postgres
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Config:
    data_dir: str
    schema: str


def settings(config: Config) -> Settings:
    return Settings(
        data_dir=Path(config.data_dir),
        database_url=f"{PG_DSN}?schema={config.schema}",
        redis_url=REDIS_URL,
        insecure_dev_cookies=True,
        argon2_memory_kib=8_192,
        login_limit="100000/300",
        api_limit="1000000/60",
    )


def build(config: Config) -> tuple[FastAPI, None]:
    return create_app(settings(config)), None


@dataclass
class Pair:
    one: httpx.Client
    other: httpx.Client
    admin: dict[str, str]
    license_key: str
    carol_id: str


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    """Two served processes, an admin web session on the first and one unused license key."""
    with pg_schema() as schema:
        config = Config(str(tmp_path / "data"), schema)
        keys.generate_keys(Path(config.data_dir))
        create_tables(settings(config))
        given = settings(config)
        digests = keys.digests(given)
        ledger = build_ledger(given, digests, keys.argon2(given, digests))
        watch_changes(given, ledger)
        ctx, now = AuditContext(actor="test"), utc_now()
        ledger.register("root", PASSWORD, Role.ADMIN, now, ctx)
        carol = ledger.register("carol", PASSWORD, Role.USER, now, ctx).value
        key = ledger.issue_licenses(1, 30, Role.USER, 1, "", now, ctx).value[0].key
        ledger.close()
        with (
            serving(build, config) as first,
            serving(build, config) as second,
            client(first) as one,
            client(second) as other,
        ):
            login = one.post("/auth/login", json={"username": "root", "password": PASSWORD})
            assert login.status_code == 200, login.text
            cookie = login.headers["set-cookie"].split(";", 1)[0]
            one.cookies.clear()
            admin = {"Cookie": cookie, "X-CSRF-Token": login.json()["csrf_token"]}
            yield Pair(one, other, admin, key, str(carol))


def client(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.url, timeout=30)


def carol_on_both(pair: Pair) -> dict[str, Any]:
    """Carol logs in through the first process, activates the key; the second serves her heartbeats."""
    body = {"username": "carol", "password": PASSWORD, "fingerprint": {"components": COMPONENTS}}
    login = pair.one.post("/auth/client/login", json=body)
    assert login.status_code == 200, login.text
    tokens: dict[str, Any] = login.json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    activated = pair.one.post("/client/licenses/activate", json={"key": pair.license_key}, headers=bearer)
    assert activated.status_code == 200, activated.text
    for _ in range(3):  # served from the second process's copy from the second request on
        beat = heartbeat(pair.other, tokens)
        assert beat.status_code == 200, beat.text
        assert beat.json()["valid"] is True
    return {**tokens, "license_id": activated.json()["license_id"]}


def heartbeat(http: httpx.Client, tokens: dict[str, Any]) -> httpx.Response:
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    return http.post("/client/heartbeat", json={"client_version": "1.0.0"}, headers=bearer)


def admin_post(pair: Pair, path: str) -> float:
    """An admin write through the first process; returns when its answer arrived."""
    response = pair.one.post(path, json={"reason": "two processes"}, headers=pair.admin)
    assert response.status_code == 200, response.text
    return time.monotonic()


def test_a_ban_through_one_process_holds_on_the_next_request_to_the_other(pair: Pair) -> None:
    """Banned through the first process: the second's next heartbeat is 401 account_banned (≤ 1 s)."""
    tokens = carol_on_both(pair)
    answered = admin_post(pair, f"/admin/users/{pair.carol_id}/ban")
    refused = heartbeat(pair.other, tokens)
    assert time.monotonic() - answered <= 1.0
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] in ("account_banned", "session_closed")


def test_a_session_revoked_through_one_process_is_closed_on_the_other(pair: Pair) -> None:
    """Revoked through the first process: the second's next heartbeat is 401 session_closed."""
    tokens = carol_on_both(pair)
    admin_post(pair, f"/admin/sessions/{tokens['session_id']}/revoke")
    refused = heartbeat(pair.other, tokens)
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "session_closed"


def test_a_license_suspended_through_one_process_is_reported_by_the_other(pair: Pair) -> None:
    """Suspended through the first process: the second's next heartbeat reports license_suspended."""
    tokens = carol_on_both(pair)
    admin_post(pair, f"/admin/licenses/{tokens['license_id']}/suspend")
    beat = heartbeat(pair.other, tokens)
    assert beat.status_code == 200, beat.text
    assert (beat.json()["valid"], beat.json()["code"]) == (False, "license_suspended")
