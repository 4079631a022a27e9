"""The approved API (log, notify, config, license) and who may run a plugin: a valid license of at least
the plugin's tier, as the latest signed lease says."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from keyledger_client import Callbacks, PluginNotEntitled, PluginNotice, PluginRuntimeError
from keyledger_client.plugin_bundle import SUFFIX
from keyledger_client.plugin_sources import PLUGINS_FOLDER

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, FakeServer
from tests.client.vendor import VALID, Harness, Vendor


def test_log_writes_to_the_client_log_under_the_plugin_name(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """log(level, msg) lands in the client log, prefixed by the plugin, one line even with newlines."""
    with caplog.at_level(logging.DEBUG, logger="keyledger_client.plugins"):
        harness.run('function main() log("warning", "disk almost full\\nFORGED 12:00 ERROR admin") end')
    lines = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert lines == ["[plugin hello] disk almost full\\x0aFORGED 12:00 ERROR admin"]


def test_log_and_notify_are_bounded_per_call(harness: Harness) -> None:
    """A plugin cannot flood the log or the user: past the limits, the calls fail."""
    with pytest.raises(PluginRuntimeError, match="all the lines"):
        harness.run('function main() for i = 1, 4 do log("info", "x") end end', log_lines=3)
    with pytest.raises(PluginRuntimeError, match="all the notifications"):
        harness.run('function main() for i = 1, 3 do notify("t", "b") end end', notifications=2)
    assert len(harness.notices) == 2


def test_notify_calls_the_application(harness: Harness) -> None:
    """notify(title, body) reaches the application's callback with the plugin's name."""
    harness.run('function main() notify("Backup", "done in 3 s") end')
    assert harness.notices == [PluginNotice("hello", "Backup", "done in 3 s")]


def test_api_arguments_must_be_strings(harness: Harness) -> None:
    """Tables, functions or nothing in place of text are refused on the Lua side."""
    for call in ('log("info", {})', "notify(print)", "config(1)", 'log("info")'):
        with pytest.raises(PluginRuntimeError, match="must be a string"):
            harness.run(f"function main() {call} end")


def test_config_is_a_read_only_copy(harness: Harness) -> None:
    """config(key) hands a fresh copy: a plugin that changes it changes nothing of the application's."""
    harness.config["servers"] = {"primary": "a.example", "ports": [80, 443]}
    source = """
    function main()
      local servers = config("servers")
      servers.primary = "evil"; servers.ports[1] = 1
      return config("servers").primary .. " " .. config("servers").ports[1] .. " " .. tostring(config("none"))
    end
    """
    assert harness.run(source) == "a.example 80 nil"
    assert harness.config["servers"] == {"primary": "a.example", "ports": [80, 443]}


def test_config_that_is_not_plain_data_is_refused(harness: Harness) -> None:
    """An application value Lua cannot hold as plain data (an object, a huge integer) is an error."""
    harness.config.update({"object": object(), "huge": 2**70})  # type: ignore[dict-item]
    for key in ("object", "huge"):
        with pytest.raises(PluginRuntimeError, match="not plain data"):
            harness.run(f'function main() return config("{key}") end')


def test_license_reads_the_lease_judged_status(harness: Harness) -> None:
    """license() gives valid, reason, expiry and tier as plain values."""
    source = (
        "function main() local l = license() return ('%s %s %s'):format(l.valid, l.expires_at, l.tier) end"
    )
    assert harness.run(source) == "true 2027-01-01T00:00:00+00:00 user"


@pytest.mark.parametrize(
    ("tier", "min_tier", "allowed"),
    [
        ("user", "user", True),
        ("vip", "user", True),
        ("vip", "vip", True),
        ("user", "vip", False),
        (None, "user", True),
        (None, "vip", False),
    ],
)
def test_the_tier_decides(harness: Harness, tier: str | None, min_tier: str, allowed: bool) -> None:
    """A plugin runs only for a license of at least its lowest tier (no tier in the lease: the lowest)."""
    harness.status = replace(VALID, tier=tier)
    harness.source.bundles["hello"] = harness.vendor.bundle("function main() return 1 end", min_tier=min_tier)
    if allowed:
        assert harness.plugins().run("hello") == 1
    else:
        with pytest.raises(PluginNotEntitled, match=f"needs a {min_tier} license"):
            harness.plugins().run("hello")


def test_no_valid_license_no_plugin(harness: Harness) -> None:
    """An invalid license (expired, grace over, no lease) refuses every plugin before it runs."""
    harness.status = replace(VALID, valid=False, reason="grace_expired")
    with pytest.raises(PluginNotEntitled, match="grace_expired"):
        harness.run('notify("ran", "") function main() end')
    assert harness.notices == []


def ship(home: Path, vendor: Vendor, source: str, **changes: str) -> None:
    folder = home / PLUGINS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"hello{SUFFIX}").write_bytes(vendor.bundle(source, **changes))


def test_the_client_runs_plugins_from_its_home_with_the_lease_tier(
    make_client: MakeClient, server: FakeServer, tmp_path: Path
) -> None:
    """End to end: a VIP plugin in the home's plugins folder runs once a heartbeat brings a VIP lease."""
    vendor, notices = Vendor(), list[PluginNotice]()
    ship(
        tmp_path / "home", vendor, 'function main() notify("hi", license().tier) return 7 end', min_tier="vip"
    )
    client = make_client(
        plugin_keys=[vendor.public_hex], callbacks=Callbacks(on_plugin_notice=notices.append)
    )
    with pytest.raises(PluginNotEntitled, match="no_lease"):
        client.plugins.run("hello")
    client.login("carol", PASSWORD)
    client.heartbeat()
    with pytest.raises(PluginNotEntitled, match="needs a vip license"):
        client.plugins.run("hello")
    server.tier = "vip"
    client.heartbeat()
    assert client.plugins.run("hello") == 7
    assert notices == [PluginNotice("hello", "hi", "vip")]
    assert [info.plugin is not None for info in client.plugins.list()] == [True]
