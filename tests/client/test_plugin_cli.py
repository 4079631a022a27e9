"""``keyledger-client plugins``: a vendor makes a key and signs; the user lists and runs; every refusal is
one line on stderr and exit code 1."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from keyledger_client.cli import app
from keyledger_client.console import Options
from typer.testing import CliRunner, Result

from tests.client.fakes import PASSWORD, SERVER, FakeServer, MemoryKeyring
from tests.client.vendor import Vendor

MANIFEST = {
    "name": "hello",
    "version": "1.2.0",
    "entry_points": ["main", "greet"],
    "min_tier": "user",
    "api": 1,
}
SCRIPT = (
    'function main() notify("Hello", "from Lua") return 42 end\nfunction greet() error("no greeting") end\n'
)


class Cli:
    def __init__(self, server: FakeServer, folder: Path) -> None:
        self.server, self.folder = server, folder
        self.plugins = folder / "home" / "keyledger" / "plugins"

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        options = Options("keyledger", transport=self.server.transport())
        return CliRunner().invoke(app, list(args), input=stdin, obj=options)

    def vendor_key(self) -> str:
        """Makes a signing key; the public key is the last line printed."""
        made = self("plugins", "keygen", str(self.folder / "vendor.pem"))
        assert made.exit_code == 0, made.output
        return made.stdout.strip().splitlines()[-1]

    def sign(self, **changes: object) -> Result:
        (self.folder / "manifest.json").write_text(json.dumps({**MANIFEST, **changes}))
        (self.folder / "hello.lua").write_text(SCRIPT)
        self.plugins.mkdir(parents=True, exist_ok=True)
        out = str(self.plugins / "hello.klplugin")
        files = (str(self.folder / "manifest.json"), str(self.folder / "hello.lua"))
        return self("plugins", "sign", *files, "--key", str(self.folder / "vendor.pem"), "-o", out)


@pytest.fixture
def cli(
    server: FakeServer,
    memory_keyring: MemoryKeyring,  # noqa: ARG001 -- installs the backend
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    monkeypatch.setenv("KEYLEDGER_CLIENT_HOME", str(tmp_path / "home"))
    return Cli(server, tmp_path)


def test_keygen_sign_list_run(cli: Cli) -> None:
    """The vendor's path and the user's: the key is private, the bundle verifies, the plugin runs."""
    public = cli.vendor_key()
    assert stat.S_IMODE((cli.folder / "vendor.pem").stat().st_mode) == 0o600
    signed = cli.sign()
    assert signed.exit_code == 0, signed.output
    listed = cli("plugins", "list", "--public-key", public)
    assert listed.exit_code == 0, listed.output
    assert "hello" in listed.stdout
    assert "1.2.0" in listed.stdout
    assert "valid" in listed.stdout
    cli("login", "--server", SERVER, "--username", "carol", "--password-stdin", stdin=PASSWORD + "\n")
    ran = cli("plugins", "run", "hello", "--public-key", public)
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.splitlines() == ["Hello (hello): from Lua", "42"]


def test_refusals_and_failures_are_one_line(cli: Cli) -> None:
    """An untrusted key, an altered bundle, a failing entry point: one line on stderr, exit 1."""
    public = cli.vendor_key()
    cli.sign()
    cli("login", "--server", SERVER, "--username", "carol", "--password-stdin", stdin=PASSWORD + "\n")
    untrusted = cli("plugins", "run", "hello", "--public-key", Vendor().public_hex)
    assert (untrusted.exit_code, untrusted.stderr.count("\n")) == (1, 1)
    assert "Plugin refused: the plugin is signed by a key this application does not trust" in untrusted.stderr
    failed = cli("plugins", "run", "hello", "greet", "--public-key", public)
    assert failed.exit_code == 1
    assert "Plugin stopped: plugin hello.greet: hello:2: no greeting" in failed.stderr
    bundle = cli.plugins / "hello.klplugin"
    bundle.write_bytes(bundle.read_bytes().replace(b'"key_id": "', b'"key_id": "0'))
    listed = cli("plugins", "list", "--public-key", public)
    assert listed.exit_code == 0
    assert "refused" in listed.stdout
    bad_key = cli("plugins", "list", "--public-key", "not-a-key")
    assert bad_key.exit_code == 1
    assert "--public-key" in bad_key.stderr


def test_the_vendor_tools_refuse_mistakes(cli: Cli) -> None:
    """keygen never overwrites a key; sign refuses a broken manifest and a bundle named unlike the plugin."""
    cli.vendor_key()
    again = cli("plugins", "keygen", str(cli.folder / "vendor.pem"))
    assert again.exit_code == 1
    assert "never overwritten" in again.stderr
    broken = cli.sign(min_tier="gold")
    assert broken.exit_code == 1
    assert "Plugin refused: min_tier must be one of user, vip" in broken.stderr
    cli.sign()
    renamed = cli(
        "plugins", "sign", str(cli.folder / "manifest.json"), str(cli.folder / "hello.lua"),
        "--key", str(cli.folder / "vendor.pem"), "-o", str(cli.folder / "other.klplugin"),
    )  # fmt: skip
    assert renamed.exit_code == 1
    assert "must be named hello.klplugin" in renamed.stderr


def test_no_plugins(cli: Cli) -> None:
    """An empty plugins folder says so."""
    listed = cli("plugins", "list")
    assert listed.exit_code == 0
    assert "No plugins in" in listed.stdout
