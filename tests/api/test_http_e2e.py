"""The whole story over real HTTP: uvicorn on a loopback port in a background thread (SQLite and
PostgreSQL), and ``keyledger serve`` as a subprocess on a fresh data dir."""

from __future__ import annotations

import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import jwt
import pytest
import uvicorn
from fastapi import FastAPI

from adapters.checkpoint_key import CHECKPOINT_KEY_FILE
from adapters.keyfiles import INDEX_KEY_FILE
from adapters.signing_key import SIGNING_KEY_FILE, load_signing_key
from api.tokens import LEASE_AUDIENCE, SigningKey
from bootstrap.app import build_services, create_app
from bootstrap.serve import server_config
from bootstrap.settings import Settings
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from tests.api.harness import COMPONENTS, PASSWORD

START_TIMEOUT_S = 30.0


def wait_until(check: Any, what: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serves ``app`` with uvicorn on a free loopback port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP: uvicorn sets NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), "uvicorn to start")
        assert server.started, "uvicorn stopped before it started serving"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not shut down"


@pytest.fixture
def base_url(ledger: Ledger, tmp_path: Path) -> Iterator[str]:
    """The real app over the parametrised ledger, on plain HTTP (dev cookies) at 127.0.0.1."""
    settings = Settings(data_dir=tmp_path / "data", insecure_dev_cookies=True)
    with serving(create_app(services=build_services(settings, ledger=ledger))) as url:
        yield url


def desktop_login(client: httpx.Client, username: str, components: dict[str, str]) -> httpx.Response:
    return client.post(
        "/auth/client/login",
        json={"username": username, "password": PASSWORD, "fingerprint": {"components": components}},
    )


def test_full_story_over_http(base_url: str, ledger: Ledger) -> None:
    """Over a real socket: admin logs in, creates a user and issues a key; the client logs in, activates,
    heartbeats with a lease that verifies offline; a second device is refused; a ban cuts the client off."""
    ledger.register("root", PASSWORD, Role.ADMIN, datetime.now(UTC), AuditContext("test"))
    with (
        httpx.Client(base_url=base_url, timeout=10) as admin,
        httpx.Client(base_url=base_url, timeout=10) as app,
    ):
        login = admin.post("/auth/login", json={"username": "root", "password": PASSWORD})
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"].lower()
        assert cookie.startswith("keyledger_session=")
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "secure" not in cookie
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        created = admin.post("/admin/users", json={"username": "carol", "password": PASSWORD}, headers=csrf)
        assert created.status_code == 201, created.text
        issued = admin.post("/admin/licenses", json={"days": 30, "device_limit": 1}, headers=csrf)
        assert issued.status_code == 201, issued.text

        tokens = desktop_login(app, "carol", COMPONENTS)
        assert tokens.status_code == 200, tokens.text
        app.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"
        activated = app.post("/client/licenses/activate", json={"key": issued.json()["keys"][0]["key"]})
        assert activated.status_code == 200, activated.text
        beat = app.post("/client/heartbeat", json={"client_version": "1.0.0"})
        assert beat.status_code == 200, beat.text
        assert beat.json()["valid"] is True
        jwk = admin.get("/.well-known/jwks.json").json()["keys"][0]
        lease = jwt.decode(
            beat.json()["lease"], jwt.PyJWK(jwk).key, algorithms=["EdDSA"], audience=LEASE_AUDIENCE
        )
        assert lease["valid"] is True
        assert lease["did"] == tokens.json()["device_id"]

        with httpx.Client(base_url=base_url, timeout=10) as laptop:
            refused = desktop_login(laptop, "carol", dict.fromkeys(COMPONENTS, "ff" * 16))
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "device_limit_reached"

        banned = admin.post(
            f"/admin/users/{created.json()['id']}/ban", json={"reason": "chargeback"}, headers=csrf
        )
        assert banned.status_code == 200, banned.text
        after = app.post("/client/heartbeat", json={})
        assert after.status_code == 401
        assert after.headers["content-type"] == "application/problem+json"
        assert after.headers["x-request-id"]
        assert after.json()["code"] in {"session_closed", "account_banned"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def first_line(stream: IO[str], timeout: float) -> str:
    """The first line a process prints, or an AssertionError after ``timeout`` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError("the process printed nothing") from None


@dataclass
class Served:
    process: subprocess.Popen[str]
    stderr: str = ""


@contextmanager
def keyledger_serve(data_dir: Path, port: int, **settings: str) -> Iterator[Served]:
    """``keyledger serve`` in a subprocess on the embedded default (``settings`` as KEYLEDGER_ variables),
    terminated (bounded) afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYLEDGER_")}
    env["KEYLEDGER_DATA_DIR"] = str(data_dir)
    env.update({f"KEYLEDGER_{name.upper()}": value for name, value in settings.items()})
    command = [str(Path(sys.executable).with_name("keyledger")), "serve", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 -- our own console script with fixed arguments
        command, env=env, cwd=data_dir.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    served = Served(process)
    try:
        yield served
    finally:
        process.terminate()
        try:
            served.stderr = process.communicate(timeout=START_TIMEOUT_S)[1]
        except subprocess.TimeoutExpired:
            process.kill()
            served.stderr = process.communicate(timeout=START_TIMEOUT_S)[1]


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_keyledger_serve_subprocess(tmp_path: Path) -> None:
    """`keyledger serve` on a fresh data dir prints where it listens, answers /healthz and /readyz, publishes
    the key it generated, writes its keys with mode 0600, and shuts down cleanly on SIGTERM."""
    data_dir, port = tmp_path / "data", free_port()
    with keyledger_serve(data_dir, port) as served:
        process = served.process
        assert process.stdout is not None
        line = first_line(process.stdout, START_TIMEOUT_S)
        assert f"listening on http://127.0.0.1:{port}" in line, line
        assert "SQLite" in line
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{base}/healthz") or process.poll() is not None, "/healthz")
        assert process.poll() is None, "keyledger serve exited early"
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["ready"] is True
        jwk = httpx.get(f"{base}/.well-known/jwks.json").json()["keys"][0]
        assert jwk["kid"] == SigningKey.from_private(load_signing_key(data_dir)).kid
        for name in (INDEX_KEY_FILE, SIGNING_KEY_FILE, CHECKPOINT_KEY_FILE):
            assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name
    assert served.process.returncode in {0, -signal.SIGTERM}, served.stderr
    assert "Traceback" not in served.stderr, served.stderr


@pytest.mark.parametrize("forged", ["198.51.100.{i}", "not-an-address-{i}", "2001:db8::{i}, 10.0.0.{i}"])
def test_keyledger_serve_believes_no_forwarded_header_from_loopback(tmp_path: Path, forged: str) -> None:
    """`keyledger serve` (the production uvicorn settings) takes the address from the socket: a loopback
    peer sending a new X-Forwarded-For each time (an address, garbage, a chain) still fills its own login
    window, so the third failed login of a 2-per-window limit is 429."""
    data_dir, port = tmp_path / "data", free_port()
    with keyledger_serve(data_dir, port, login_limit="2/300") as served:
        assert served.process.stdout is not None
        first_line(served.process.stdout, START_TIMEOUT_S)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{base}/healthz") or served.process.poll() is not None, "/healthz")
        statuses = [
            httpx.post(
                f"{base}/auth/login",
                json={"username": f"nobody{i}", "password": "wrong password"},
                headers={"X-Forwarded-For": forged.format(i=i), "X-Forwarded-Proto": "https"},
            ).status_code
            for i in range(3)
        ]
    assert statuses == [401, 401, 429]
