"""The SDK and the CLI against the real server over loopback HTTP: the contract both sides keep."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from keyledger_client import Callbacks, DeviceLimitReached, KeyledgerClient
from keyledger_client.cli import app
from keyledger_client.credentials import REFRESH_TOKEN
from typer.testing import CliRunner, Result

from tests.client.fakes import PASSWORD, READERS, FakeClock, MemoryKeyring
from tests.client.live import Admin, Live, live_server

SERVICE = "keyledger:keyledger"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "server") as served:
        yield served


def test_sdk_against_the_real_server_then_offline_grace(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """Login, activate, heartbeats with leases verified against the real JWKS key, a real refresh
    rotation, the real ledger witnessed, a second device refused; then the server stops: valid until
    the lease's end, invalid after, clock rollback detected."""
    clock = FakeClock(datetime.now(UTC), time.monotonic())
    with live_server(tmp_path / "server") as live:
        admin = Admin(live)
        live.register("carol")
        alarms: list[Exception] = []
        client = KeyledgerClient(
            live.url,
            clock=clock,
            home=tmp_path / "home",
            readers=READERS,
            callbacks=Callbacks(on_witness_alarm=alarms.append),
        )
        login = client.login("carol", PASSWORD)
        assert login.license_expiry is None
        assert client.heartbeat().reason == "no_license"
        activation = client.activate(admin.issue_key(days=30))
        assert activation.license_expiry is not None
        online = client.heartbeat()
        assert (online.valid, online.online) == (True, True)
        assert online.lease_expires_at is not None
        first_refresh = memory_keyring.secrets[(SERVICE, REFRESH_TOKEN)]
        clock.advance(900)
        assert client.license()["valid"] is True
        assert memory_keyring.secrets[(SERVICE, REFRESH_TOKEN)] != first_refresh
        client.start_heartbeats(max_interval_s=0.05)
        beat = client.state.last_heartbeat
        deadline = time.monotonic() + 10
        while client.state.last_heartbeat == beat and time.monotonic() < deadline:
            clock.advance(1)
            time.sleep(0.02)
        assert client.state.last_heartbeat != beat
        client.stop_heartbeats()
        assert client.state.checkpoint is not None  # the client witnessed the real ledger, no alarm
        assert alarms == []
        other = {**READERS, "machine_id": lambda: "another", "product_uuid": lambda: "machine"}
        laptop = KeyledgerClient(live.url, home=tmp_path / "laptop", readers=other, witness=False)
        with pytest.raises(DeviceLimitReached):
            laptop.login("carol", PASSWORD)
        laptop.close()
        admin.close()
    lease_end = client.status().lease_expires_at
    assert lease_end is not None
    offline = client.heartbeat()
    assert (offline.valid, offline.online) == (True, False)
    server_now = client.licensing.grace.trusted_now()  # the fake clock ran ahead of the server's
    clock.advance((lease_end - server_now).total_seconds() - 5)
    assert client.heartbeat().valid
    clock.advance(10)
    assert client.heartbeat().reason == "grace_expired"
    clock.wall -= timedelta(hours=2)
    assert client.status().reason == "clock_rollback"
    client.close()


def cli_run(args: list[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, args, input=stdin)


def test_cli_end_to_end_ban_stops_the_program(
    live: Live,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: ARG001 -- installs the backend
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CLI login, activate, status, then `run` with heartbeats: an admin ban is reported by the next
    heartbeat, the program is stopped and the CLI exits non-zero with the reason."""
    monkeypatch.setenv("KEYLEDGER_CLIENT_HOME", str(tmp_path / "home"))
    admin = Admin(live)
    carol = live.register("carol")
    login = cli_run(["login", "--server", live.url, "--username", "carol", "--password-stdin"], PASSWORD)
    assert login.exit_code == 0, login.output
    activated = cli_run(["activate", admin.issue_key()])
    assert activated.exit_code == 0, activated.output
    status = cli_run(["status"])
    assert status.exit_code == 0, status.output
    state_file = tmp_path / "home" / "keyledger" / "state.json"
    seen = json.loads(state_file.read_text())["last_heartbeat"]
    results: list[Result] = []
    command = ["run", "--heartbeat-every", "0.1", "--", sys.executable, "-c", "import time; time.sleep(60)"]
    runner = threading.Thread(target=lambda: results.append(cli_run(command)))
    runner.start()
    deadline = time.monotonic() + 20
    for _ in range(2):  # the first heartbeat of `run`, then one from the background thread
        while json.loads(state_file.read_text())["last_heartbeat"] == seen and time.monotonic() < deadline:
            time.sleep(0.02)
        seen = json.loads(state_file.read_text())["last_heartbeat"]
    admin.ban(carol)
    runner.join(30)
    admin.close()
    assert not runner.is_alive()
    assert results[0].exit_code == 3, results[0].output
    assert "this account is banned" in results[0].stderr
    after = cli_run(["status"])
    assert after.exit_code == 1
