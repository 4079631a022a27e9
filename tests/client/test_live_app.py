"""The SDK against the real app in this process (``tests.api.harness`` over SQLite, reached through the
SDK's injectable transport): a real crash in a child process becomes one event and a count on the admin
page; a vip account's lease lets the client run a vip plugin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from keyledger_client import KeyledgerClient, PluginNotEntitled
from keyledger_client.state import LocalState, StateFile

from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import PASSWORD, Api, issue_key
from tests.client.fakes import READERS, FakeClock, MemoryKeyring
from tests.client.live import AppTransport
from tests.client.test_crash_processes import CRASHES, crash
from tests.client.vendor import MemorySource, Vendor
from tests.ledger.scenarios import appended, head

SERVER = "https://testserver"
HTML = {"accept": "text/html"}


@pytest.fixture
def app_api(tmp_path: Path, now: datetime) -> Iterator[Api]:
    (tmp_path / "server").mkdir()
    with sqlite_api(tmp_path / "server", now) as api:
        yield api


def sdk(api: Api, home: Path, **options: object) -> KeyledgerClient:
    """A client of the app under test (the keyring is the test's memory keyring)."""
    app = api.client.app
    assert isinstance(app, FastAPI)
    return KeyledgerClient(
        SERVER,
        transport=AppTransport(app, SERVER),
        clock=FakeClock(api.clock()),
        home=home,
        readers=READERS,
        witness=False,
        **options,  # type: ignore[arg-type]
    )


def crashes_on_the_page(api: Api, version: str) -> int:
    """The count the admin's crashes page shows for ``version``."""
    page = api.client.get("/ui/crashes", headers=HTML)
    found = re.search(rf">{re.escape(version)}</a></td>\s*<td class=\"num\">(\d+)</td>", page.text)
    assert found is not None, page.text
    return int(found.group(1))


@pytest.mark.parametrize("case", ["thread", "fault"])
def test_a_real_crash_is_sent_once_and_counted_for_its_version(
    app_api: Api,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: ARG001 -- installs the backend
    case: str,
) -> None:
    """A child dies (an exception in a thread, or a segmentation fault); the next start offers one
    redacted report; sending it appends one CrashReport.Reported; sending it again is a replay with the
    same position; the admin's page counts 1 crash for version 3.0.0."""
    home = tmp_path / "home"
    StateFile(home).save(LocalState(server=SERVER, username="carol"))
    body, exit_code, _, _ = CRASHES[case]
    assert crash(home, tmp_path, body).returncode == exit_code
    app_api.create_account("carol")
    client = sdk(app_api, home)
    client.login("carol", PASSWORD)
    [report] = client.pending_crash_reports()
    before = head(app_api.ledger)
    position = client.send_crash_report(report)
    assert appended(app_api.ledger, before) == ["CrashReport.Reported"]
    assert client.send_crash_report(report) == position  # the answer was lost: sent again, a replay
    assert head(app_api.ledger) == position
    assert client.pending_crash_reports() == []
    client.close()
    app_api.create_account("root", Role.ADMIN)
    admin = app_api.web_login("root")
    counts = app_api.client.get("/admin/crash-reports/counts", params={"position": position}, headers=admin)
    assert [(v["app_version"], v["reports"]) for v in counts.json()["versions"]] == [("3.0.0", 1)]
    assert crashes_on_the_page(app_api, "3.0.0") == 1


def test_a_vip_accounts_lease_runs_a_vip_plugin(
    app_api: Api,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: ARG001 -- installs the backend
) -> None:
    """The server signs the account's tier into the lease; the client reads it and runs a plugin whose
    lowest tier is vip (a user account's client is refused the same plugin)."""
    vendor, source = Vendor(), MemorySource()
    source.bundles["pro"] = vendor.bundle("function main() return license().tier end", "pro", min_tier="vip")
    clients = {}
    for name, role in (("victor", Role.VIP), ("ursula", Role.USER)):
        app_api.create_account(name, role)
        client = sdk(app_api, tmp_path / name, plugin_keys=[vendor.public_hex], plugin_source=source)
        client.login(name, PASSWORD)
        client.activate(issue_key(app_api)[1])
        assert client.heartbeat().valid
        clients[name] = client
    assert (clients["victor"].status().tier, clients["ursula"].status().tier) == ("vip", "user")
    assert clients["victor"].plugins.run("pro") == "vip"
    with pytest.raises(PluginNotEntitled):
        clients["ursula"].plugins.run("pro")
    for client in clients.values():
        client.close()


def test_a_client_pinning_the_servers_key_accepts_its_key_set(
    app_api: Api,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: ARG001 -- installs the backend
) -> None:
    """The application pins the key the real server publishes: its leases verify and its signed key set
    (fetched after the first heartbeat) is accepted and kept."""
    jwk = app_api.client.get("/.well-known/jwks.json").json()["keys"][0]
    app_api.create_account("carol")
    client = sdk(app_api, tmp_path / "carol", lease_keys=[jwk["x"]])
    client.login("carol", PASSWORD)
    client.activate(issue_key(app_api)[1])
    assert client.heartbeat().valid
    assert len(client.state.lease_key_sets) == 1
    assert client.licensing.lease_keys.trusted().keys() == {jwk["kid"]}
    client.close()
