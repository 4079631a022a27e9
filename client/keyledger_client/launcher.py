"""``keyledger-client run``: starts a program once the license is valid, keeps heartbeats going in the
background, and stops the program (exit code 3) when the license stops being valid or the session ends.
Ctrl-C and SIGTERM stop the program and the heartbeats cleanly."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
from types import FrameType

from rich.console import Console

from keyledger_client import messages
from keyledger_client.client import KeyledgerClient
from keyledger_client.errors import NotLoggedIn
from keyledger_client.types import Callbacks, LicenseStatus

log = logging.getLogger("keyledger_client.launcher")

LICENSE_LOST = 3
INTERRUPTED = 130
POLL_S = 0.1
TERMINATE_TIMEOUT_S = 5.0


class Watch:
    """Collects the first reason to stop, from the heartbeat thread's callbacks."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.reason = ""

    def callbacks(self) -> Callbacks:
        return Callbacks(on_invalid=self.invalid, on_signed_out=self.signed_out)

    def invalid(self, status: LicenseStatus) -> None:
        self._set(messages.for_status(status))

    def signed_out(self, code: str) -> None:
        self._set(messages.BY_CODE.get(code, f"The session ended ({code})."))

    def _set(self, reason: str) -> None:
        if not self.stop.is_set():
            self.reason = reason
            self.stop.set()


def end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(TERMINATE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch(
    client: KeyledgerClient, watch: Watch, command: list[str], every: float | None, out: Console, err: Console
) -> int:
    """Runs ``command`` under the license (``client`` built with ``watch.callbacks()``); returns the
    exit code for the CLI."""
    if not command:
        err.print("[red]✗[/red] Nothing to run: give the program after `--`.")
        return 1
    with client:
        if not client.resume():
            raise NotLoggedIn("not logged in")
        status = client.heartbeat()
        if watch.stop.is_set():
            err.print(f"[red]✗[/red] {watch.reason}")
            return 1
        if not status.valid:
            err.print(f"[red]✗[/red] {messages.for_status(status)}")
            return 1
        if not status.online:
            out.print(
                f"[yellow]Offline: running on the lease until {status.lease_expires_at:%H:%M} UTC.[/yellow]"
            )
        client.start_heartbeats(max_interval_s=every, after=status)
        return supervise(command, watch, err)


def supervise(command: list[str], watch: Watch, err: Console) -> int:
    try:
        process = subprocess.Popen(command)  # noqa: S603 -- the user's own command line, by design
    except OSError as error:
        err.print(f"[red]✗[/red] Cannot start {command[0]}: {error.strerror or error}.")
        return 1
    previous = (
        signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    )
    if previous is not None:
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while process.poll() is None:
            if watch.stop.wait(POLL_S):
                log.warning("stopping %s: %s", command[0], watch.reason)
                end(process)
                err.print(f"[red]✗[/red] {watch.reason}")
                return LICENSE_LOST
        return process.returncode
    except KeyboardInterrupt:
        end(process)
        return INTERRUPTED
    finally:
        end(process)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
