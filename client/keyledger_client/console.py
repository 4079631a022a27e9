"""What every ``keyledger-client`` command shares: the options of the main callback, the two consoles,
the client they open, and the rule that a failure is one line on stderr and exit code 1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import typer
from rich.console import Console

from keyledger_client import messages
from keyledger_client.client import KeyledgerClient
from keyledger_client.errors import KeyledgerError
from keyledger_client.types import Callbacks

log = logging.getLogger("keyledger_client.cli")


@dataclass
class Options:
    app_id: str
    verbose: bool = False
    transport: httpx.BaseTransport | None = None  # tests pass a mock through ``CliRunner.invoke(obj=...)``


def out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)  # a message stays on one line


@contextmanager
def reporting(server: str | None = None) -> Iterator[None]:
    """SDK errors become one clear line and exit code 1; anything unexpected is logged in full."""
    try:
        yield
    except KeyledgerError as error:
        log.info("command failed: %s: %s", type(error).__name__, error)
        err().print(f"[red]✗[/red] {messages.for_error(error, server)}")
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:
        log.exception("unexpected error")
        err().print(f"[red]✗[/red] unexpected error ({type(error).__name__}); details in the client log")
        raise typer.Exit(1) from None


def open_client(
    ctx: typer.Context, server: str | None = None, callbacks: Callbacks | None = None, **settings: Any
) -> KeyledgerClient:
    options: Options = ctx.obj
    return KeyledgerClient(
        server, app_id=options.app_id, transport=options.transport, callbacks=callbacks, **settings
    )
