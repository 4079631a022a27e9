"""``keyledger-client``: log in, check and activate the license, run a program while it is valid, and
list, run, sign vendor plugins (``plugins``), and download releases (``download``).

Exit codes: 0 done; 1 failed (one line on stderr says why); 3 the license stopped being valid or the
session ended while ``run`` was running; otherwise ``run`` passes on the program's own exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from keyledger_client import download_view, messages
from keyledger_client.console import Options, err, open_client, out, reporting
from keyledger_client.errors import NotLoggedIn
from keyledger_client.launcher import Watch, launch
from keyledger_client.logs import setup_logging
from keyledger_client.plugin_cli import plugins
from keyledger_client.state import StateFile, default_home
from keyledger_client.views import account_devices_table, device_table, status_table

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Keyledger desktop client.")
app.add_typer(plugins, name="plugins")


@app.callback()
def main_options(
    ctx: typer.Context,
    app_id: Annotated[
        str, typer.Option("--app", envvar="KEYLEDGER_APP_ID", help="application id")
    ] = "keyledger",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log to stderr too")] = False,
) -> None:
    """Keyledger desktop client."""
    setup_logging(default_home(app_id), verbose=verbose)
    given = ctx.obj.transport if isinstance(ctx.obj, Options) else None
    ctx.obj = Options(app_id, verbose, given)


@app.command()
def login(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option(envvar="KEYLEDGER_SERVER", help="server URL")] = None,
    username: Annotated[str | None, typer.Option(help="username (prompted if missing)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
    remember: Annotated[bool, typer.Option(help="keep the session in the OS keyring")] = True,
    nickname: Annotated[str | None, typer.Option(help="a name for this device")] = None,
    post_quantum: Annotated[
        bool, typer.Option("--post-quantum", help="register a hybrid MLKEM768-X25519 download key")
    ] = False,
) -> None:
    """Log in and bind this device."""
    options: Options = ctx.obj
    server = server or StateFile(default_home(options.app_id)).load().server or typer.prompt("Server URL")
    with reporting(server):
        client = open_client(ctx, server, post_quantum=post_quantum)
        name = username or typer.prompt("Username")
        password = (
            sys.stdin.readline().rstrip("\r\n")
            if password_stdin
            else typer.prompt("Password", hide_input=True)
        )
        with client:
            result = client.login(name, password, remember=remember, nickname=nickname)
        expiry = (
            f"license until {result.license_expiry:%Y-%m-%d}" if result.license_expiry else "no license yet"
        )
        kept = "" if remember else " (not remembered: this session is not kept on this machine)"
        out().print(f"[green]✓[/green] Logged in as {name} on device {result.device_id}; {expiry}{kept}.")


@app.command()
def logout(ctx: typer.Context) -> None:
    """Log out: close the session on the server and forget it here."""
    with reporting(), open_client(ctx) as client:
        client.logout()
        out().print("[green]✓[/green] Logged out.")


@app.command()
def status(ctx: typer.Context) -> None:
    """License, expiry, device, lease and last heartbeat (exit code 1 when the license is not valid)."""
    with reporting(), open_client(ctx) as client:
        if not client.resume():
            raise NotLoggedIn("not logged in")
        current = client.heartbeat()
        out().print(status_table(client, current))
        if not current.valid:
            err().print(f"[red]✗[/red] {messages.for_status(current)}")
            raise typer.Exit(1)


@app.command()
def activate(ctx: typer.Context, key: Annotated[str, typer.Argument(help="the license key")]) -> None:
    """Activate a license key on your account."""
    with reporting(), open_client(ctx) as client:
        done = client.activate(key)
        until = f"{done.license_expiry:%Y-%m-%d %H:%M} UTC" if done.license_expiry else "?"
        out().print(
            f"[green]✓[/green] License activated: valid until {until}, up to {done.device_limit} devices."
        )


@app.command(context_settings={"allow_interspersed_args": False})
def run(
    ctx: typer.Context,
    command: Annotated[list[str], typer.Argument(help="the program and its arguments, after --")],
    heartbeat_every: Annotated[
        float | None, typer.Option(min=0.05, help="at most this many seconds between heartbeats")
    ] = None,
) -> None:
    """Run a program while the license is valid, with heartbeats in the background."""
    with reporting():
        watch = Watch()
        client = open_client(ctx, callbacks=watch.callbacks())
        code = launch(client, watch, command, heartbeat_every, out(), err())
    raise typer.Exit(code)


@app.command()
def devices(ctx: typer.Context) -> None:
    """This device, and every device bound to your account (ask your administrator to release one)."""
    with reporting(), open_client(ctx) as client:
        out().print(device_table(client))
        out().print(account_devices_table(client.devices()))


@app.command()
def download(
    ctx: typer.Context,
    release: Annotated[
        str | None, typer.Argument(help="a version or release id (default: the newest)")
    ] = None,
    platform: Annotated[str | None, typer.Option(help="platform label (default: this machine's)")] = None,
    channel: Annotated[str, typer.Option(help="channel of the newest release")] = "stable",
    file: Annotated[str | None, typer.Option("--file", help="which file of the release")] = None,
    output: Annotated[Path | None, typer.Option(help="write the verified plaintext here")] = None,
) -> None:
    """Download a release file: resumable, decrypted in memory, verified against the ledger."""
    with reporting(), open_client(ctx) as client:
        if not client.resume():
            raise NotLoggedIn("not logged in")
        done = download_view.download(client, release, platform, channel, file, output, err())
        out().print(f"[green]✓[/green] {done}")


def main() -> None:
    app()
