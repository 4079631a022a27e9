"""The real Keyledger app (``create_app`` over a fresh SQLite ledger, fast password hashing) served by
uvicorn on a loopback port, and an admin that drives it over HTTP; or, in process, the SDK's transport
into an app under test (``tests.api.harness``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bootstrap.app import build_services, create_app
from bootstrap.settings import Settings
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from tests.client.fakes import PASSWORD
from tests.stores import make_ledger, sqlite_env

START_TIMEOUT_S = 30.0


@dataclass
class Live:
    url: str
    ledger: Ledger

    def register(self, username: str, role: Role = Role.USER) -> str:
        written = self.ledger.register(username, PASSWORD, role, datetime.now(UTC), AuditContext("test"))
        return str(written.value)


@contextmanager
def live_server(directory: Path, **options: Any) -> Iterator[Live]:
    """Serves the real app on 127.0.0.1 until the block ends (then the port refuses connections);
    ``options`` are more settings."""
    directory.mkdir(parents=True, exist_ok=True)
    ledger = make_ledger(sqlite_env(directory))
    settings = Settings(data_dir=directory / "data", insecure_dev_cookies=True, **options)
    app = create_app(services=build_services(settings, ledger=ledger))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "uvicorn did not start"
        yield Live(f"http://127.0.0.1:{sock.getsockname()[1]}", ledger)
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
        sock.close()
        ledger.close()


class Admin:
    """An admin's browser session: cookie plus CSRF token."""

    def __init__(self, live: Live) -> None:
        live.register("root", Role.ADMIN)
        self.http = httpx.Client(base_url=live.url, timeout=10)
        answer = self.http.post("/auth/login", json={"username": "root", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]

    def issue_key(self, days: int = 30, device_limit: int = 1) -> str:
        answer = self.http.post("/admin/licenses", json={"days": days, "device_limit": device_limit})
        assert answer.status_code == 201, answer.text
        key: str = answer.json()["keys"][0]["key"]
        return key

    def publish(self, files: dict[str, bytes], **fields: str) -> dict[str, Any]:
        """Publishes a release through POST /admin/releases (a streamed multipart form)."""
        data = {"channel": "stable", "platform": "linux-x86_64", "version": "1.0.0", **fields}
        parts = [("file", (name, content)) for name, content in files.items()]
        answer = self.http.post("/admin/releases", data=data, files=parts)
        assert answer.status_code == 201, answer.text
        release: dict[str, Any] = answer.json()["release"]
        return release

    def ban(self, account_id: str) -> None:
        answer = self.http.post(f"/admin/users/{account_id}/ban", json={"reason": "chargeback"})
        assert answer.status_code == 200, answer.text

    def close(self) -> None:
        self.http.close()


class AppTransport(httpx.BaseTransport):
    """The SDK's injectable transport into an app in this process: each request goes through a test
    client of its own (so no cookie of the test's admin rides along)."""

    HOP_HEADERS = frozenset({"host", "content-length", "content-encoding", "transfer-encoding"})

    def __init__(self, app: FastAPI, base_url: str) -> None:
        self.client = TestClient(app, base_url=base_url, client=("203.0.113.8", 50001))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in self.HOP_HEADERS}
        answer = self.client.request(
            request.method, request.url.raw_path.decode(), headers=headers, content=request.read()
        )
        kept = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in self.HOP_HEADERS]
        return httpx.Response(answer.status_code, headers=kept, content=answer.content)

    def close(self) -> None:
        self.client.close()
