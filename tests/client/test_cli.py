"""The ``keyledger-client`` CLI on the fake server: one clear line and a non-zero exit for every failure."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
from keyledger_client.cli import app
from keyledger_client.console import Options
from keyring.backend import KeyringBackend
from keyring.backends import fail
from typer.testing import CliRunner, Result

from tests.client.fakes import PASSWORD, SERVER, FakeServer, MemoryKeyring, problem

Cli = Callable[..., Result]
NO_KEYRING: KeyringBackend = fail.Keyring()  # type: ignore[no-untyped-call]


@pytest.fixture
def cli(
    server: FakeServer,
    memory_keyring: MemoryKeyring,  # noqa: ARG001 -- installs the backend
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    """Runs the CLI in-process against the fake server, with its state under ``tmp_path``."""
    monkeypatch.setenv("KEYLEDGER_CLIENT_HOME", str(tmp_path / "home"))

    def invoke(*args: str, stdin: str | None = None) -> Result:
        options = Options("keyledger", transport=server.transport())
        return CliRunner().invoke(app, list(args), input=stdin, obj=options)

    return invoke


def login(cli: Cli, password: str = PASSWORD) -> Result:
    return cli("login", "--server", SERVER, "--username", "carol", "--password-stdin", stdin=password + "\n")


def test_login_status_activate_devices_logout(cli: Cli) -> None:
    """The happy path: each command succeeds and says what it did."""
    logged_in = login(cli)
    assert logged_in.exit_code == 0, logged_in.output
    assert "Logged in as carol" in logged_in.stdout
    status = cli("status")
    assert status.exit_code == 0, status.output
    assert "valid" in status.stdout
    assert "Lease valid until" in status.stdout
    activated = cli("activate", "KEY-GOOD")
    assert activated.exit_code == 0, activated.output
    assert "License activated" in activated.stdout
    devices = cli("devices")
    assert devices.exit_code == 0, devices.output
    assert "de71ce00-0000-4000-8000-000000000001" in devices.stdout
    assert "X25519" in devices.stdout
    assert "1 of 2 slots" in devices.stdout
    assert cli("logout").exit_code == 0
    assert "Not logged in" in cli("status").stderr


def test_login_prompts_for_what_is_missing(cli: Cli) -> None:
    """Without options, login asks for the username and the password (hidden)."""
    result = cli("login", "--server", SERVER, stdin=f"carol\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output


def test_wrong_password(cli: Cli) -> None:
    """A wrong password: exit 1 and one clear line."""
    result = login(cli, "wrong")
    assert result.exit_code == 1
    assert result.stderr.strip() == "✗ Wrong username or password."


def test_device_limit_reached(cli: Cli, server: FakeServer) -> None:
    """No free device slot: the message says so and how to get one."""
    server.extra_routes["POST /auth/client/login"] = lambda *_: problem(409, "device_limit_reached")
    result = login(cli)
    assert result.exit_code == 1
    assert "Device limit reached" in result.stderr


def test_banned(cli: Cli, server: FakeServer) -> None:
    """A banned account: login and status both refuse with the reason."""
    assert login(cli).exit_code == 0
    server.banned = True
    result = cli("status")
    assert result.exit_code == 1
    assert "this account is banned" in result.stderr


def test_server_unreachable(cli: Cli, server: FakeServer) -> None:
    """No server: the message names the address."""
    server.offline = True
    result = login(cli)
    assert result.exit_code == 1
    assert f"Cannot reach the Keyledger server at {SERVER}" in result.stderr


def test_license_expired(cli: Cli, server: FakeServer) -> None:
    """An expired license: status exits 1 and says how to renew."""
    assert login(cli).exit_code == 0
    server.license_code = "license_expired"
    result = cli("status")
    assert result.exit_code == 1
    assert "Your license expired on" in result.stderr
    assert "keyledger-client activate KEY" in result.stderr


def test_unknown_license_key(cli: Cli) -> None:
    """An unknown key is reported as such."""
    assert login(cli).exit_code == 0
    result = cli("activate", "KEY-BAD")
    assert result.exit_code == 1
    assert "Unknown license key" in result.stderr


def test_no_keyring_gives_the_clear_error(cli: Cli) -> None:
    """Without a secure keyring the CLI says how to get one; it never stores the token in plaintext."""
    keyring.set_keyring(NO_KEYRING)
    result = login(cli)
    assert result.exit_code == 1
    assert "never keeps secrets in plaintext" in result.stderr


def test_run_passes_on_the_program_exit_code(cli: Cli) -> None:
    """While the license is valid the program runs and its own exit code is the CLI's."""
    assert login(cli).exit_code == 0
    result = cli("run", "--", sys.executable, "-c", "raise SystemExit(7)")
    assert result.exit_code == 7, result.output


def test_run_refuses_without_a_valid_license(cli: Cli, server: FakeServer) -> None:
    """No license: the program is not started."""
    assert login(cli).exit_code == 0
    server.license_code = "no_license"
    result = cli("run", "--", sys.executable, "-c", "raise SystemExit(0)")
    assert result.exit_code == 1
    assert "No license on this account" in result.stderr


def test_run_stops_the_program_when_the_account_is_banned(cli: Cli, server: FakeServer) -> None:
    """A ban while running: the next heartbeat reports it, the program is stopped, exit code 3."""
    assert login(cli).exit_code == 0
    beats = server.count("POST /client/heartbeat")
    original = server.heartbeat

    def heartbeat(request: httpx.Request, body: Any) -> httpx.Response:
        if server.count("POST /client/heartbeat") >= beats + 3:
            server.banned = True
        return original(request, body)

    server.extra_routes["POST /client/heartbeat"] = heartbeat
    timer = threading.Timer(20, lambda: setattr(server, "banned", True))  # a safety net only
    timer.start()
    try:
        result = cli(
            "run", "--heartbeat-every", "0.05", "--", sys.executable, "-c", "import time; time.sleep(30)"
        )
    finally:
        timer.cancel()
    assert result.exit_code == 3, result.output
    assert "this account is banned" in result.stderr
