"""``keyledger-client plugins``: list and run the application's plugins; for vendors, make a signing key
and sign a plugin. A refusal or a failure is one line on stderr and exit code 1, as everywhere."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from rich.markup import escape
from rich.table import Table

from keyledger_client.console import Options, err, open_client, out, reporting
from keyledger_client.plugin_bundle import SUFFIX, key_id, parse_public_key, raw_public, sign_bundle
from keyledger_client.plugin_manifest import parse_manifest
from keyledger_client.plugin_sources import PLUGINS_FOLDER, FolderSource
from keyledger_client.plugins import PluginInfo, list_plugins
from keyledger_client.state import default_home
from keyledger_client.types import Callbacks, PluginNotice

plugins = typer.Typer(no_args_is_help=True, help="Vendor plugins: list, run, sign, make a signing key.")
PublicKeys = Annotated[
    list[str] | None,
    typer.Option(
        "--public-key",
        envvar="KEYLEDGER_PLUGIN_KEYS",
        help="a vendor public key (hex) the application pins; repeat for several",
    ),
]
Channel = Annotated[
    str | None,
    typer.Option(
        "--channel",
        help="take plugins from the server's plugin releases of this channel (logged in), not the folder",
    ),
]


def fail(message: str) -> NoReturn:
    err().print(f"[red]✗[/red] {escape(message)}")
    raise typer.Exit(1)


def pinned(keys: list[str] | None) -> list[Ed25519PublicKey]:
    try:
        return [parse_public_key(key) for key in keys or []]
    except ValueError as error:
        fail(f"--public-key: {error}")


@plugins.command("list")
def list_command(ctx: typer.Context, public_key: PublicKeys = None, channel: Channel = None) -> None:
    """The plugins in this application's plugins folder (or plugin releases) and whether each verifies
    (none of them runs)."""
    options: Options = ctx.obj
    with reporting():
        if channel is None:
            folder = default_home(options.app_id) / PLUGINS_FOLDER
            found, where = list_plugins(FolderSource(folder), pinned(public_key)), str(folder)
        else:
            keys = [raw_public(key).hex() for key in pinned(public_key)]
            with open_client(ctx, plugin_keys=keys, plugin_channel=channel) as client:
                found, where = client.plugins.list(), f"the {channel} plugin releases"
        if not found:
            out().print(f"No plugins in {escape(where)}.")
            return
        out().print(plugins_table(found))


def plugins_table(found: list[PluginInfo]) -> Table:
    table = Table("name", "version", "lowest tier", "entry points", "signature", title_justify="left")
    for info in found:
        if info.plugin is None:
            table.add_row(info.name, "—", "—", "—", f"[red]refused[/red]: {escape(info.refused or '')}")
            continue
        manifest = info.plugin.manifest
        signed = f"[green]valid[/green] (key {info.plugin.key_id})"
        table.add_row(
            manifest.name, manifest.version, manifest.min_tier, ", ".join(manifest.entry_points), signed
        )
    return table


@plugins.command("run")
def run_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the plugin's name")],
    entry: Annotated[str | None, typer.Argument(help="the entry point (default: the first)")] = None,
    public_key: PublicKeys = None,
    channel: Channel = None,
) -> None:
    """Run a plugin's entry point in the sandbox, if its signature verifies and the license allows it."""
    keys = [raw_public(key).hex() for key in pinned(public_key)]
    with reporting():
        notices = Callbacks(on_plugin_notice=show_notice)
        client = open_client(ctx, callbacks=notices, plugin_keys=keys, plugin_channel=channel)
        with client:
            if client.resume():
                client.heartbeat()
            result = client.plugins.run(name, entry)
        if result is not None:
            out().print(escape(str(result)))


def show_notice(notice: PluginNotice) -> None:
    out().print(f"[bold]{escape(notice.title)}[/bold] ({escape(notice.plugin)}): {escape(notice.body)}")


@plugins.command("keygen")
def keygen_command(
    key_file: Annotated[Path, typer.Argument(help="where to write the private key (PEM, mode 0600)")],
) -> None:
    """For vendors: make an Ed25519 signing key; print the public key the application pins."""
    if key_file.exists():
        fail(f"{key_file} exists: a signing key is never overwritten")
    with reporting():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        public = key.public_key()
        out().print(f"Signing key written to {escape(str(key_file))} (keep it offline).")
        out().print(
            f"Public key to pin in the application (key {key_id(public)}):\n{raw_public(public).hex()}"
        )


@plugins.command("sign")
def sign_command(
    manifest: Annotated[Path, typer.Argument(help="the manifest (JSON)", exists=True, dir_okay=False)],
    script: Annotated[Path, typer.Argument(help="the Lua source", exists=True, dir_okay=False)],
    key: Annotated[
        Path, typer.Option("--key", help="the vendor's private key (PEM)", exists=True, dir_okay=False)
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="default: NAME.klplugin")] = None,
) -> None:
    """For vendors: sign a manifest and a Lua script into a bundle."""
    with reporting():
        manifest_bytes, source = manifest.read_bytes(), script.read_bytes()
        name = parse_manifest(manifest_bytes).name
        output = output or Path(f"{name}{SUFFIX}")
        if output.name != f"{name}{SUFFIX}":
            fail(f"the bundle of {name} must be named {name}{SUFFIX} (clients find it by that name)")
        private = load_pem_private_key(key.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            fail(f"{key} is not an Ed25519 private key")
        output.write_bytes(sign_bundle(manifest_bytes, source, private))
        out().print(
            f"[green]✓[/green] Signed {name} with key {key_id(private.public_key())}: {escape(str(output))}"
        )
