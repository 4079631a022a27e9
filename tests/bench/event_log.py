"""Event logs for the read-side benchmarks (W4, W10), written by real ledger commands.

Two writers of commands run at once on one ledger: ``writers`` threads each running W3's journeys (20
commands, 35 events per account: register, issue + activate a license, bind devices, open and refresh
sessions, failed logins; ``tests/bench/command_mix.py``), and one more thread running the read-model tests'
random operations (``tests/projections/commands.py``: the same kinds plus bans, unbans, logouts, token
reuse, suspensions, revocations, device releases, IP blocks and clock jumps), so every read model has work.
A bounded top-up of journeys makes sure the log reaches the stated minimum.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.ledger.service import Ledger
from domain.roles import Role
from tests.bench.command_mix import COMMANDS_PER_ACCOUNT, Journey
from tests.bench.harness import run_threads
from tests.projections.commands import OPS, Interpreter, Op

SEED = 4
TOPICS_SQL = "SELECT topic, count(*) FROM stored_events GROUP BY topic"
TOP_UP_JOURNEYS = 200  # at most this many extra accounts if the log falls short of the minimum


@dataclass
class RandomOps(Interpreter):
    """The read-model tests' interpreter with usernames of its own, so it can share a ledger."""

    prefix: str = ""

    def register(self, a: int, _: int) -> None:
        account = self.ledger.register(
            f"{self.prefix}{len(self.accounts)}", "correct horse", Role.USER, self.now, self.ctx(a)
        )
        self.accounts.append(account.value)


@dataclass(frozen=True)
class Plan:
    """How a log is written: journey threads, accounts per thread, random operations on one more thread,
    and the fewest events the log must hold."""

    writers: int
    accounts_per_writer: int
    random_ops: int
    minimum_events: int

    def describe(self) -> str:
        journeys = self.writers * self.accounts_per_writer
        return (
            f"{journeys:,} W3 journeys ({journeys * COMMANDS_PER_ACCOUNT:,} commands) on {self.writers} "
            f"thread{'s' if self.writers > 1 else ''} + {self.random_ops:,} random read-model-test "
            "operations on 1 thread; "
            f"at least {self.minimum_events:,} events"
        )


def random_ops(count: int, seed: int = SEED) -> list[Op]:
    """``count`` operations drawn uniformly from the interpreter's kinds, reproducibly."""
    rng = random.Random(seed)
    return [(rng.choice(OPS), rng.randrange(4), rng.randrange(4)) for _ in range(count)]


def head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def populate(ledger: Ledger, plan: Plan) -> dict[str, Any]:
    """Writes the log; returns what was written and how long it took."""
    ops = random_ops(plan.random_ops)
    prefix = f"ops_{secrets.token_hex(4)}_"
    threads = plan.writers + (1 if ops else 0)

    def work(index: int, latencies: list[float]) -> None:
        if index < plan.writers:
            for _ in range(plan.accounts_per_writer):
                Journey(ledger, index, latencies).run()
        else:
            RandomOps(ledger, datetime.now(UTC), prefix=prefix).run(ops)

    began = time.perf_counter()
    sample = run_threads(threads, work)
    top_up = 0
    while head(ledger) < plan.minimum_events and top_up < TOP_UP_JOURNEYS:
        Journey(ledger, 0, []).run()
        top_up += 1
    events = head(ledger)
    if events < plan.minimum_events:
        raise RuntimeError(f"the log holds {events:,} events, fewer than {plan.minimum_events:,}")
    return {
        "plan": plan.describe(),
        "journey_commands": sample.operations + top_up * COMMANDS_PER_ACCOUNT,
        "random_operations": len(ops),
        "top_up_journeys": top_up,
        "events": events,
        "seconds": round(time.perf_counter() - began, 1),
    }


def event_mix(topics: Iterable[tuple[str, int]]) -> dict[str, Any]:
    """Counts per event type and per aggregate from ``(topic, count)`` rows of the events table."""
    by_type: Counter[str] = Counter()
    for topic, count in topics:
        by_type[topic.rsplit(":", 1)[-1]] += int(count)
    by_aggregate: Counter[str] = Counter()
    for kind, count in by_type.items():
        by_aggregate[kind.split(".", 1)[0]] += count
    return {"by_aggregate": dict(by_aggregate.most_common()), "by_type": dict(by_type.most_common())}


def sqlite_topics(path: Path) -> list[tuple[str, int]]:
    """``(topic, count)`` rows of a SQLite ledger's events table."""
    conn = sqlite3.connect(path)
    try:
        return [(str(t), int(n)) for t, n in conn.execute(TOPICS_SQL).fetchall()]
    finally:
        conn.close()


def mix_line(mix: dict[str, Any]) -> str:
    total = sum(mix["by_aggregate"].values())
    return ", ".join(f"{name} {count / total:.0%}" for name, count in mix["by_aggregate"].items())
