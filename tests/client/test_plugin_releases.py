"""Plugins shipped as releases: the client lists the bundles of the plugin releases its license may
download, fetches one into the encrypted cache, decrypts it in memory and verifies it before a line runs;
its plaintext never reaches the disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyledger_client import Callbacks, KeyledgerClient, PluginNotFound, PluginNotice, PluginSignatureRejected
from keyledger_client.cli import app
from keyledger_client.plugin_sources import PLUGIN_PLATFORM
from typer.testing import CliRunner

from tests.client.fakes import PASSWORD, READERS
from tests.client.live import Admin, Live
from tests.client.vendor import Vendor

MARKER = "a-line-only-the-plugin-source-holds"


def script(answer: str) -> str:
    return f'-- {MARKER}\nfunction main() return "{answer}" end'


def ship(admin: Admin, version: str, bundles: dict[str, bytes], **fields: str) -> None:
    files = {f"{name}.klplugin": bundle for name, bundle in bundles.items()}
    admin.publish(files, platform=PLUGIN_PLATFORM, version=version, **fields)


def client_of(
    live: Live, admin: Admin, home: Path, vendor: Vendor, callbacks: Callbacks | None = None
) -> KeyledgerClient:
    live.register("carol")
    client = KeyledgerClient(
        live.url,
        home=home,
        readers=READERS,
        witness=False,
        callbacks=callbacks,
        plugin_keys=[vendor.public_hex],
        plugin_channel="stable",
    )
    client.login("carol", PASSWORD)
    client.activate(admin.issue_key())
    assert client.heartbeat().valid
    return client


def no_plaintext_under(home: Path, bundle: bytes) -> bool:
    """No file under ``home`` holds the plugin's source or a 48-byte run of its bundle."""
    runs = [MARKER.encode(), *(bundle[i : i + 48] for i in range(0, len(bundle) - 48, 48))]
    files = [path.read_bytes() for path in home.rglob("*") if path.is_file()]
    return bool(files) and not any(run in content for run in runs for content in files)


@pytest.mark.usefixtures("memory_keyring")
def test_a_plugin_release_runs_from_memory_and_the_newest_version_wins(
    served_with_admin: tuple[Live, Admin], tmp_path: Path
) -> None:
    """Two plugin releases hold ``hello``: the client runs the newer one; a bundle of another channel or
    platform is not offered; the client home holds no byte of the plugin's source afterwards."""
    server, admin = served_with_admin
    vendor = Vendor()
    ship(admin, "1.0.0", {"hello": vendor.bundle(script("old"))})
    newest = vendor.bundle(script("new"))
    ship(admin, "1.1.0", {"hello": newest, "extra": vendor.bundle(script("x"), "extra")})
    ship(admin, "2.0.0", {"beta": vendor.bundle(script("b"), "beta")}, channel="beta")
    admin.publish({"lonely.klplugin": vendor.bundle(script("l"), "lonely")}, version="3.0.0")  # app platform
    home = tmp_path / "home"
    with client_of(server, admin, home, vendor) as client:
        assert [info.name for info in client.plugins.list()] == ["extra", "hello"]
        assert client.plugins.run("hello") == "new"
        with pytest.raises(PluginNotFound):
            client.plugins.run("beta")
    assert no_plaintext_under(home, newest)


@pytest.mark.usefixtures("memory_keyring")
def test_a_plugin_release_signed_by_another_key_never_runs(
    served_with_admin: tuple[Live, Admin], tmp_path: Path
) -> None:
    """A bundle published as a release but signed by a key the application does not pin is refused
    before its first line (which would notify) runs."""
    server, admin = served_with_admin
    ship(admin, "1.0.0", {"hello": Vendor().bundle('notify("ran", "first line")\nfunction main() end')})
    notices: list[PluginNotice] = []
    client = client_of(server, admin, tmp_path / "home", Vendor(), Callbacks(on_plugin_notice=notices.append))
    with client, pytest.raises(PluginSignatureRejected):
        client.plugins.run("hello")
    assert notices == []


@pytest.mark.usefixtures("memory_keyring")
def test_the_cli_lists_and_runs_plugins_from_releases(
    served_with_admin: tuple[Live, Admin], tmp_path: Path
) -> None:
    """``keyledger-client plugins list|run --channel stable`` reads the plugin releases of the logged-in
    account."""
    server, admin = served_with_admin
    vendor = Vendor()
    ship(admin, "1.0.0", {"hello": vendor.bundle(script("from a release"))})
    home = tmp_path / "cli"
    client_of(server, admin, home / "keyledger", vendor).close()
    runner, env = CliRunner(), {"KEYLEDGER_CLIENT_HOME": str(home)}
    keys = ["--public-key", vendor.public_hex, "--channel", "stable"]
    listed = runner.invoke(app, ["plugins", "list", *keys], env=env)
    assert listed.exit_code == 0, listed.output
    assert "hello" in listed.output
    assert "valid" in listed.output
    ran = runner.invoke(app, ["plugins", "run", "hello", *keys], env=env)
    assert ran.exit_code == 0, ran.output
    assert "from a release" in ran.output
