"""Random command sequences for the read-model tests: a Hypothesis strategy of operations, and an
interpreter that applies them to a ledger (a refused command is part of the story, not a failure)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from domain.context import AuditContext
from domain.crash_report import KINDS, CrashDetails, Reporter
from domain.errors import DomainError
from domain.ledger.service import Ledger
from domain.roles import Role
from domain.session import CloseReason, SessionKind

Op = tuple[str, int, int]
OPS = (
    "register",
    "issue_activate",
    "bind",
    "open",
    "refresh",
    "reuse",
    "close",
    "ban",
    "unban",
    "fail_login",
    "suspend",
    "revoke",
    "release",
    "block",
    "crash",
    "advance",
)
operations = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 3), st.integers(0, 3)), max_size=40)


@dataclass
class Interpreter:
    ledger: Ledger
    now: datetime
    accounts: list[UUID] = field(default_factory=list)
    devices: dict[UUID, list[UUID]] = field(default_factory=dict)
    tokens: list[tuple[UUID, str, str]] = field(default_factory=list)  # session, current, previous
    licenses: list[UUID] = field(default_factory=list)

    def ctx(self, i: int) -> AuditContext:
        return AuditContext(
            actor=f"actor{i}",
            request_id=f"r{i}",
            client_ip=f"198.51.100.{i + 1}",
            user_agent="test",
            reason="because",
        )

    def run(self, ops: list[Op]) -> None:
        for name, a, b in ops:
            with contextlib.suppress(DomainError):
                getattr(self, name)(a, b)

    def _account(self, a: int) -> UUID:
        if not self.accounts:
            self.register(a, 0)
        return self.accounts[a % len(self.accounts)]

    def register(self, a: int, _: int) -> None:
        account = self.ledger.register(
            f"user{len(self.accounts)}", "correct horse", Role.USER, self.now, self.ctx(a)
        )
        self.accounts.append(account.value)

    def issue_activate(self, a: int, b: int) -> None:
        key = self.ledger.issue_licenses(
            1, 1 + 10 * b, Role.VIP if b % 2 else Role.USER, 1 + b, "", self.now, self.ctx(a)
        ).value[0]
        self.licenses.append(key.license_id)
        self.ledger.activate_license(self._account(a), key.key, self.now, self.ctx(a))

    def bind(self, a: int, b: int) -> None:
        account = self._account(a)
        components = {f"c{i}": f"{b:04x}{i:04x}" * 2 for i in range(4)}
        device = self.ledger.bind_device(account, components, None, f"pc{b}", "1.0", self.now, self.ctx(a))
        self.devices.setdefault(account, []).append(device.value.device_id)

    def open(self, a: int, b: int) -> None:
        account = self._account(a)
        devices = self.devices.get(account, [])
        kind = SessionKind.DESKTOP if devices and b % 2 else SessionKind.WEB
        device = devices[b % len(devices)] if kind is SessionKind.DESKTOP else None
        opened = self.ledger.open_session(account, kind, device, self.now, self.ctx(a)).value
        self.tokens.append((opened.session_id, opened.token, ""))

    def refresh(self, a: int, _: int) -> None:
        if self.tokens:
            session, token, _previous = self.tokens[a % len(self.tokens)]
            rotated = self.ledger.refresh_session(token, self.now, self.ctx(a)).value
            self.tokens[a % len(self.tokens)] = (session, rotated.token, token)

    def reuse(self, a: int, _: int) -> None:
        if self.tokens and self.tokens[a % len(self.tokens)][2]:
            self.ledger.refresh_session(
                self.tokens[a % len(self.tokens)][2], self.now + timedelta(minutes=5), self.ctx(a)
            )

    def close(self, a: int, _: int) -> None:
        if self.tokens:
            self.ledger.close_session(
                self.tokens[a % len(self.tokens)][0], CloseReason.LOGOUT, self.now, self.ctx(a)
            )

    def ban(self, a: int, b: int) -> None:
        until = self.now + timedelta(hours=b + 1) if b % 2 else None
        self.ledger.ban(self._account(a), until, self.now, self.ctx(a))

    def unban(self, a: int, _: int) -> None:
        self.ledger.unban(self._account(a), self.now, self.ctx(a))

    def fail_login(self, a: int, _: int) -> None:
        self.ledger.record_login_failure(self._account(a) if a % 2 else None, self.now, self.ctx(a))

    def suspend(self, a: int, _: int) -> None:
        if self.licenses:
            self.ledger.suspend_license(self.licenses[a % len(self.licenses)], self.now, self.ctx(a))

    def revoke(self, a: int, _: int) -> None:
        if self.licenses:
            self.ledger.revoke_license(self.licenses[a % len(self.licenses)], self.now, self.ctx(a))

    def release(self, a: int, b: int) -> None:
        devices = self.devices.get(self._account(a), [])
        if devices:
            self.ledger.release_device(devices[b % len(devices)], self.now, self.ctx(a))

    def block(self, a: int, b: int) -> None:
        self.ledger.block_ip(
            f"203.0.113.{a}", self.now + timedelta(hours=1) if b else None, self.now, self.ctx(a)
        )

    def crash(self, a: int, b: int) -> None:
        """A crash report from one of the account's devices (a NUL in the text now and then)."""
        account = self._account(a)
        devices = self.devices.get(account, [])
        if devices:
            details = CrashDetails(
                report_id=UUID(int=a * 10 + b),
                occurred_at=self.now,
                client_version="0.1.0",
                app_version=f"2.{b}.0" if b else None,
                platform="Linux",
                python="CPython 3.11.7",
                kind=KINDS[b % 2],
                summary=f"Error {a}",
                traceback="line\x00" * a,
                log_tail="",
            )
            reporter = Reporter(account, devices[b % len(devices)], UUID(int=a))
            self.ledger.report_crash(reporter, details, self.now, self.ctx(a))

    def advance(self, a: int, b: int) -> None:
        self.now += timedelta(hours=a * 7 + b)


def snapshot(tx: Any, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    return {table: sorted(tuple(row) for row in tx.all(f"SELECT * FROM {table}")) for table in tables}  # noqa: S608
