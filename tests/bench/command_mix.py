"""W3's command mix: the first hours of a desktop user's life, 20 ledger commands per account.

Per account: register 1, issue a license 1 (admin, one key), activate it 1, bind a device 2, open a
desktop session 4, refresh a session 8, a login with a wrong password 3 — that is 5 / 5 / 5 / 10 / 20 /
40 / 15 % of commands, and 35 events per account (1.75 events per command). Each writer thread works on
its own accounts, with its own client address per account, as separate users do: writers race for the
log, not for the same aggregates.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.context import AuditContext
from domain.errors import InvalidCredentials
from domain.ledger.licenses import IssuedKey
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import SessionKind
from tests.bench.harness import Sample, run_threads, timed

MIX = {
    "register": 1,
    "issue license": 1,
    "activate license": 1,
    "bind device": 2,
    "open session": 4,
    "refresh session": 8,
    "login failure": 3,
}
COMMANDS_PER_ACCOUNT = sum(MIX.values())
EVENTS_PER_ACCOUNT = 35
PASSWORD = "correct horse battery"
_accounts = itertools.count()


def components() -> dict[str, str]:
    """A fresh machine's fingerprint: four random component digests."""
    return {name: secrets.token_hex(16) for name in ("machine_id", "board", "cpu", "disk")}


class Journey:
    """One account's 20 commands, each timed on its own."""

    def __init__(self, ledger: Ledger, writer: int, latencies: list[float]) -> None:
        number = next(_accounts)
        self.ledger, self.latencies = ledger, latencies
        self.username = f"bench_{writer}_{number}_{secrets.token_hex(4)}"
        ip = f"10.{writer % 256}.{number // 256 % 256}.{number % 256}"
        self.ctx = AuditContext(f"bench:{number}", "", ip, "keyledger-bench/1")
        self.admin = AuditContext("admin:bench", "", "192.0.2.1", "keyledger-bench/1", "bench")
        self.clock = datetime.now(UTC)
        self.account_id = UUID(int=0)
        self.devices: list[UUID] = []
        self.token = ""

    def now(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def step(self, command: Callable[[], object]) -> None:
        timed(self.latencies, command)

    def run(self) -> None:
        for command in (self.register, self.fail, self.issue_and_activate, self.bind, self.open):
            command()
        for command in (self.refresh, self.refresh, self.fail, self.bind, self.open):
            command()
        for device in (0, 1):
            self.refresh()
            self.open(device)
            self.refresh()
            self.refresh()
        self.fail()

    def register(self) -> None:
        def command() -> None:
            self.account_id = self.ledger.register(
                self.username, PASSWORD, Role.USER, self.now(), self.ctx
            ).value

        self.step(command)

    def fail(self) -> None:
        def command() -> None:
            try:
                self.ledger.authenticate(self.username, "wrong password", self.now(), self.ctx)
            except InvalidCredentials:
                return
            raise AssertionError("a wrong password was accepted")

        self.step(command)

    def issue_and_activate(self) -> None:
        keys: list[IssuedKey] = []

        def issue() -> None:
            keys.extend(self.ledger.issue_licenses(1, 30, Role.VIP, 3, "", self.now(), self.admin).value)

        self.step(issue)
        self.step(lambda: self.ledger.activate_license(self.account_id, keys[0].key, self.now(), self.ctx))

    def bind(self) -> None:
        def command() -> None:
            written = self.ledger.bind_device(
                self.account_id, components(), None, "bench", "1.0", self.now(), self.ctx
            )
            self.devices.append(written.value.device_id)

        self.step(command)

    def open(self, device: int = -1) -> None:
        def command() -> None:
            written = self.ledger.open_session(
                self.account_id, SessionKind.DESKTOP, self.devices[device], self.now(), self.ctx
            )
            self.token = written.value.token

        self.step(command)

    def refresh(self) -> None:
        def command() -> None:
            self.token = self.ledger.refresh_session(self.token, self.now(), self.ctx).value.token

        self.step(command)


def run_mix(ledger: Ledger, writers: int, accounts_per_writer: int) -> Sample:
    """``writers`` threads, each running ``accounts_per_writer`` journeys one after another."""

    def work(writer: int, latencies: list[float]) -> None:
        for _ in range(accounts_per_writer):
            Journey(ledger, writer, latencies).run()

    return run_threads(writers, work)
