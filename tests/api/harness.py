"""The real app from ``create_app`` over a real store, with a fast hasher and a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.services import Services
from bootstrap.app import build_services, create_app
from bootstrap.settings import Settings
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from projections.store import ReadStore

PASSWORD = "correct horse battery"
COMPONENTS = {"machine_id": "a1" * 16, "board": "b2" * 16, "cpu": "c3" * 16, "disk": "d4" * 16}


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Api:
    client: TestClient
    ledger: Ledger
    clock: Clock
    csrf: dict[str, str] = field(default_factory=dict)

    def create_account(self, username: str, role: Role = Role.USER) -> str:
        written = self.ledger.register(username, PASSWORD, role, self.clock(), AuditContext(actor="test"))
        return str(written.value)

    def web_login(self, username: str, client: TestClient | None = None) -> dict[str, str]:
        """Logs in through /auth/login; returns the headers a cookie-authenticated write needs."""
        response = (client or self.client).post(
            "/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"X-CSRF-Token": response.json()["csrf_token"]}

    def client_login(
        self, username: str, components: dict[str, str] | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {
            "username": username,
            "password": PASSWORD,
            "fingerprint": {"components": components or COMPONENTS},
            "client_version": "1.0.0",
            **extra,
        }
        response = self.client.post("/auth/client/login", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    @staticmethod
    def bearer(tokens: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens['access_token']}"}


def make_api(
    data_dir: Path, ledger: Ledger, now: datetime, read_store: ReadStore | None = None, **settings: Any
) -> Api:
    """The app with an in-process projection worker, over ``ledger`` (and ``read_store`` if given)."""
    clock = Clock(now)
    config = Settings(data_dir=data_dir, inprocess_workers=True, **settings)
    app = create_app(services=build_services(config, ledger=ledger, clock=clock, read_store=read_store))
    return Api(TestClient(app, base_url="https://testserver", client=("203.0.113.7", 50000)), ledger, clock)


def services_of(api: Api) -> Services:
    """The services the app under test runs on (its signing key, presence, settings)."""
    app = api.client.app
    assert isinstance(app, FastAPI)
    found: Services = app.state.services
    return found


def settled(api: Api) -> None:
    """Waits until the read models hold everything the ledger has written (reads are eventually
    consistent: a page drawn for one principal right after another's write may not show it yet)."""
    reads = services_of(api).reads
    reads.wait_for(reads.head())


def issue_key(api: Api, *, days: int = 30, device_limit: int = 1, tier: Role = Role.USER) -> tuple[str, str]:
    """Issues one license key straight through the ledger; returns its license id and the key."""
    written = api.ledger.issue_licenses(1, days, tier, device_limit, "", api.clock(), AuditContext("test"))
    return str(written.value[0].license_id), written.value[0].key


def licensed_client(api: Api, username: str, *, days: int = 30, device_limit: int = 1) -> dict[str, Any]:
    """A new account whose desktop client logged in and activated a fresh key: the login answer plus
    ``license_id``."""
    api.create_account(username)
    tokens = api.client_login(username)
    license_id, key = issue_key(api, days=days, device_limit=device_limit)
    activated = api.client.post("/client/licenses/activate", json={"key": key}, headers=api.bearer(tokens))
    assert activated.status_code == 200, activated.text
    return {**tokens, "license_id": license_id}


def web_session(api: Api, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Logs in through /auth/login; returns the headers of that web session (``Cookie`` and
    ``X-CSRF-Token``) and empties the client's cookie jar, so several sessions can be used side by side."""
    response = api.client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    api.client.cookies.clear()
    cookie = response.headers["set-cookie"].split(";", 1)[0]
    return {"Cookie": cookie, "X-CSRF-Token": response.json()["csrf_token"]}


def license_status(api: Api, tokens: dict[str, Any]) -> httpx2.Response:
    """GET /client/license with the access token of a login answer."""
    return api.client.get("/client/license", headers=api.bearer(tokens))
