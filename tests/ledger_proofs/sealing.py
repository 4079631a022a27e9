"""A sealed ledger for tests: tree storage beside the ``ledger`` fixture's events, a notary with a fresh
key, a sealer, a few commands' worth of events and exports written to files."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.ledger_db import ledger_db
from adapters.merkle_store import TreeStore
from adapters.notary import Notary
from api.ledger_log import LedgerLog
from bootstrap.schema import upgrade_tree
from domain.context import AuditContext
from domain.ledger.service import Ledger
from domain.roles import Role
from workers.sealer import Sealer

ORIGIN = "ledger.test.example/log"
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_numbers = itertools.count()


@dataclass
class Sealed:
    ledger: Ledger
    tree: TreeStore
    notary: Notary
    sealer: Sealer
    log: LedgerLog

    def export_text(self, start: int = 0, end: int | None = None) -> str:
        return "".join(self.log.export(self.log.frame(start, end)))

    def write_export(self, directory: Path, start: int = 0, end: int | None = None) -> Path:
        path = directory / f"export-{start}-{end}.txt"
        path.write_text(self.export_text(start, end), encoding="ascii")
        return path

    def close(self) -> None:
        self.tree.close()


def sealed(ledger: Ledger, *, poll_interval: float = 0.25, settle_s: float = 30.0) -> Sealed:
    """Tree tables (and the append-only triggers) beside ``ledger``'s events, and a sealer."""
    upgrade_tree(ledger)
    tree = TreeStore(ledger_db(ledger))
    notary = Notary(ORIGIN, Ed25519PrivateKey.generate())
    sealer = Sealer(tree, notary, lambda: datetime.now(UTC), poll_interval=poll_interval, settle_s=settle_s)
    return Sealed(ledger, tree, notary, sealer, LedgerLog(tree, notary.verifier_key(), ledger))


def populate(ledger: Ledger, accounts: int, start: datetime = START) -> list[str]:
    """``accounts`` registrations, a role change and a ban each, one minute apart; returns the ids."""
    ctx, ids, now = AuditContext("test", "req", "203.0.113.1", "pytest"), [], start
    for _ in range(accounts):
        account = ledger.register(f"user{next(_numbers)}", "password123", Role.USER, now, ctx).value
        ledger.change_role(account, Role.VIP, now + timedelta(seconds=20), ctx.with_reason("promote"))
        ledger.ban(account, None, now + timedelta(seconds=40), ctx.with_reason("abuse"))
        ids.append(str(account))
        now += timedelta(minutes=1)
    return ids
