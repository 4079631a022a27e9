"""The real app from ``create_app`` over a real store, with a fast hasher and a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import build_services, create_app
from api.settings import Settings
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role

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


def make_api(data_dir: Path, ledger: Ledger, now: datetime, **settings: Any) -> Api:
    clock = Clock(now)
    config = Settings(data_dir=data_dir, **settings)
    app = create_app(services=build_services(config, ledger=ledger, clock=clock))
    return Api(TestClient(app, base_url="https://testserver", client=("203.0.113.7", 50000)), ledger, clock)
