"""W3: append commands per second (BENCHMARKS.md).

The ledger's commands in a realistic mix (``tests/bench/command_mix.py``) on SQLite at 1 writer and on
PostgreSQL at 1, 4 and 16 writer threads, each set against raw single-row INSERT+COMMIT through the driver
in the same rounds: sqlite3 on a file in WAL mode with the default ``synchronous`` (as
``eventsourcing.sqlite`` connects), psycopg in autocommit from 1 and from 16 connections. Everything runs in
a private temp directory and a private PostgreSQL schema, dropped afterwards. Passwords are hashed with
``tests.fakes.FastHasher``: this measures the ledger, not Argon2id.

The PostgreSQL ledger runs as ``bootstrap`` builds it, with group commit (``adapters.group_commit``); in
the same rounds a second ledger on the library's own recorder (one table lock and one fsync per command)
runs the 16-writer mix, and the CPU time this process spends per command is recorded beside each rate:
at 16 writers the rate is bounded by it (one interpreter lock), not by the log.

A third ledger runs the same 16-writer mix on an event store that costs nothing: it numbers the events it
is given and keeps none (``NullRecorder``; the commands find their aggregates in the ledger's cache, where
every save leaves them). Personal fields are sealed as everywhere, their keys in a SQLite file; a new
ledger each round. Set against raw PostgreSQL INSERTs at 16 clients it is the ceiling of "ledger ÷ raw"
that any event store could give this process: the commands' own work (deciding, encoding, sealing, sixteen
threads on one interpreter lock) with the store's cost at zero.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder
from psycopg import sql

from adapters.ledger_db import SqliteLedgerDb
from adapters.personal_keys import PersonalKeys, load_master_key
from adapters.personal_seal import SealingMapper
from bootstrap.stores import CACHE, personal_seal
from domain.digests import Digests
from domain.ledger.service import Ledger
from tests.bench import harness, measures, report
from tests.bench.command_mix import COMMANDS_PER_ACCOUNT, EVENTS_PER_ACCOUNT, MIX, run_mix
from tests.bench.harness import Sample
from tests.bench.raw_inserts import PostgresInserts, SqliteInserts, postgres_settings, sqlite_pragmas
from tests.fakes import FastHasher
from tests.stores import PG_DSN, TEST_KEY, pg_env, pg_schema, sealing_ledger, sqlite_env

NAME = "w3"
ROUNDS = harness.smoke(9, 1)
WARM_UP_SHARE = 0.1
SQLITE_ACCOUNTS = harness.smoke(80, 2)  # 1 writer: 1,600 commands a round
PG_ACCOUNTS = harness.smoke(
    {1: 30, 4: 12, 16: 4}, {1: 1, 4: 1, 16: 1}
)  # per writer: 600, 960 and 1,280 commands a round
RAW_SQLITE_ROWS = harness.smoke(6_000, 50)
RAW_PG_ROWS = harness.smoke(
    {1: 4_000, 16: 600}, {1: 50, 16: 5}
)  # per client: 4,000 and 9,600 commits a round
WRITERS_PER_POOL = 16

LABELS = {
    "sqlite_raw_1": "SQLite raw INSERT+COMMIT, 1 writer",
    "sqlite_ledger_1": "SQLite ledger commands, 1 writer",
    "pg_raw_1": "PostgreSQL raw INSERT+COMMIT, 1 client",
    "pg_raw_16": "PostgreSQL raw INSERT+COMMIT, 16 clients",
    "pg_ledger_1": "PostgreSQL ledger commands, 1 writer",
    "pg_ledger_4": "PostgreSQL ledger commands, 4 writers",
    "pg_ledger_16": "PostgreSQL ledger commands, 16 writers",
    "pg_library_16": "PostgreSQL ledger commands, 16 writers, library recorder (no group commit)",
    "null_store_ledger_16": "ledger commands on a store that keeps nothing (no database), 16 writers",
}
RATIOS = {
    "sqlite_1": ("sqlite_ledger_1", "sqlite_raw_1", "SQLite: ledger ÷ raw, 1 writer"),
    "pg_1": ("pg_ledger_1", "pg_raw_1", "PostgreSQL: ledger ÷ raw, 1 writer"),
    "pg_4": ("pg_ledger_4", "pg_raw_1", "PostgreSQL: ledger 4 writers ÷ raw 1 client"),
    "pg_16": ("pg_ledger_16", "pg_raw_16", "PostgreSQL: ledger ÷ raw, 16 writers"),
    "scaling_ledger_4": ("pg_ledger_4", "pg_ledger_1", "scaling: ledger 4 ÷ 1 writer"),
    "scaling_ledger_16": ("pg_ledger_16", "pg_ledger_1", "scaling: ledger 16 ÷ 1 writer"),
    "scaling_raw_16": ("pg_raw_16", "pg_raw_1", "scaling: raw 16 ÷ 1 client"),
    "group_commit_16": ("pg_ledger_16", "pg_library_16", "group commit ÷ library recorder, 16 writers"),
    "library_16": ("pg_library_16", "pg_raw_16", "PostgreSQL: library recorder ÷ raw, 16 writers"),
    "ceiling_16": (
        "null_store_ledger_16",
        "pg_raw_16",
        "ceiling: ledger on a store that keeps nothing ÷ raw PostgreSQL, 16 writers",
    ),
}
CPU_MEASURED = (
    "pg_raw_1",
    "pg_raw_16",
    "pg_ledger_1",
    "pg_ledger_16",
    "pg_library_16",
    "null_store_ledger_16",
)


@dataclass
class Stores:
    directory: Path
    schema: str
    sqlite_ledger: Ledger
    pg_ledger: Ledger
    pg_library: Ledger
    sqlite_raw: SqliteInserts
    pg_raw: PostgresInserts
    cpu: dict[str, list[float]] = field(default_factory=dict)  # process CPU seconds per operation
    null_store_ledgers: list[Ledger] = field(default_factory=list)  # this round's, on NullRecorder

    def close(self) -> None:
        self.sqlite_ledger.close()
        self.pg_ledger.close()
        self.pg_library.close()
        self._close_null_store_ledgers()
        self.sqlite_raw.close()

    def fresh_null_store_ledger(self) -> Ledger:
        """A new ledger on ``NullRecorder`` (the one before is closed)."""
        self._close_null_store_ledgers()
        self.null_store_ledgers.append(null_store_ledger(self.directory))
        return self.null_store_ledgers[0]

    def _close_null_store_ledgers(self) -> None:
        while self.null_store_ledgers:
            self.null_store_ledgers.pop().close()


def open_stores(directory: Path, schema: str, library_schema: str) -> Stores:
    """The ledgers as ``bootstrap`` builds them (personal fields sealed; real entropy, fake hasher) and
    both raw baselines, on fresh storage."""
    library_env = pg_env(library_schema, pool_size=WRITERS_PER_POOL, group_commit=False)
    return Stores(
        directory,
        schema,
        sealing_ledger(sqlite_env(directory), directory),
        sealing_ledger(pg_env(schema, pool_size=WRITERS_PER_POOL), directory),
        sealing_ledger(library_env, directory),
        SqliteInserts(directory / "raw.sqlite3"),
        PostgresInserts(PG_DSN, schema),
    )


class NullRecorder(POPOApplicationRecorder):
    """An event store that costs nothing: each event is given the next notification id and dropped."""

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)

    def _insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:
        with self._database_lock:
            return [next(self._ids) for _ in stored_events]

    def select_events(self, originator_id: Any, **_: Any) -> Sequence[StoredEvent]:
        return []


class NullStoreLedger(Ledger):
    def construct_recorder(self) -> ApplicationRecorder:
        return NullRecorder()


def null_store_ledger(directory: Path) -> Ledger:
    """A ledger on ``NullRecorder``, sealing personal fields as ``bootstrap`` makes it seal them (its key
    table in a SQLite file of its own, in WAL mode)."""
    ledger = NullStoreLedger(
        {"PERSISTENCE_MODULE": "eventsourcing.popo", **CACHE},
        digests=Digests(TEST_KEY),
        hasher=FastHasher(),
        mapper_class=SealingMapper,
    )
    path = directory / "null-store-keys.sqlite3"  # shared by the rounds' ledgers
    with contextlib.closing(sqlite3.connect(path)) as conn:  # WAL, as the library opens a ledger's file
        conn.execute("PRAGMA journal_mode=WAL")
    keys = PersonalKeys(SqliteLedgerDb(path), load_master_key(directory))
    ledger.closers.append(keys.db.close)
    keys.create_tables()
    keys.check()
    personal_seal(ledger).attach(keys, lambda ident: ledger.recorder.select_events(ident, lte=1))
    return ledger


def variants(stores: Stores, share: float = 1.0) -> dict[str, Callable[[], Sample]]:
    """Every variant of one round; ``share`` scales the fixed counts down for the warm-up."""

    def n(count: int) -> int:
        return max(1, round(count * share))

    # Each ratio's two variants run next to each other (and rounds alternate direction).
    found: dict[str, Callable[[], Sample]] = {
        "sqlite_raw_1": lambda: stores.sqlite_raw.run(n(RAW_SQLITE_ROWS)),
        "sqlite_ledger_1": lambda: run_mix(stores.sqlite_ledger, 1, n(SQLITE_ACCOUNTS)),
        "pg_raw_1": lambda: stores.pg_raw.run(1, n(RAW_PG_ROWS[1])),
        "pg_ledger_1": lambda: run_mix(stores.pg_ledger, 1, n(PG_ACCOUNTS[1])),
        "pg_ledger_4": lambda: run_mix(stores.pg_ledger, 4, n(PG_ACCOUNTS[4])),
        "pg_ledger_16": lambda: run_mix(stores.pg_ledger, 16, n(PG_ACCOUNTS[16])),
        "pg_library_16": lambda: run_mix(stores.pg_library, 16, n(PG_ACCOUNTS[16])),
        "pg_raw_16": lambda: stores.pg_raw.run(16, n(RAW_PG_ROWS[16])),
        "null_store_ledger_16": lambda: run_mix(stores.fresh_null_store_ledger(), 16, n(PG_ACCOUNTS[16])),
    }
    for name in CPU_MEASURED:
        found[name] = measures.with_cpu(found[name], time.process_time, stores.cpu.setdefault(name, []))
    return found


def events_written(stores: Stores) -> dict[str, int]:
    """Rows in each ledger's events table, to check the mix appended what it should."""
    sqlite_conn = sqlite3.connect(stores.directory / "ledger.sqlite3")
    try:
        sqlite_rows = sqlite_conn.execute("SELECT count(*) FROM stored_events").fetchone()[0]
    finally:
        sqlite_conn.close()
    count = sql.SQL("SELECT count(*) FROM {}.ledger_events").format(sql.Identifier(stores.schema))
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        row = conn.execute(count).fetchone()
    return {"sqlite": int(sqlite_rows), "postgres": int(row[0]) if row else 0}


def commands_run(runs: list[dict[str, Sample]]) -> dict[str, int]:
    """Ledger commands run on each store, warm-up included."""
    total = {"sqlite": 0, "postgres": 0}
    for samples in runs:
        for name, sample in samples.items():
            if "ledger" in name and "library" not in name:
                total["sqlite" if name.startswith("sqlite") else "postgres"] += sample.operations
    return total


def store_facts(stores: Stores, runs: list[dict[str, Sample]]) -> dict[str, Any]:
    commands, events = commands_run(runs), events_written(stores)
    return {
        "sqlite_version": sqlite3.sqlite_version,
        "sqlite_ledger_pragmas": sqlite_pragmas(stores.directory / "ledger.sqlite3"),
        "sqlite_raw_pragmas": sqlite_pragmas(stores.directory / "raw.sqlite3"),
        "postgres": postgres_settings(PG_DSN),
        "postgres_pool_size": WRITERS_PER_POOL,
        "ledger_commands": commands,
        "ledger_events": events,
        "events_expected": {k: v * EVENTS_PER_ACCOUNT // COMMANDS_PER_ACCOUNT for k, v in commands.items()},
    }


def measure() -> tuple[list[dict[str, Sample]], list[float], dict[str, Any]]:
    """The warm-up, then the interleaved rounds, on private storage that is removed afterwards."""
    with (
        tempfile.TemporaryDirectory(prefix="keyledger-bench-w3-") as tmp,
        pg_schema() as schema,
        pg_schema() as library_schema,
    ):
        stores = open_stores(Path(tmp), schema, library_schema)
        try:
            print("  warm-up", flush=True)
            warm_up = {name: run() for name, run in variants(stores, WARM_UP_SHARE).items()}
            stores.cpu.clear()
            rounds, loads = harness.interleave(variants(stores), ROUNDS)
            facts = store_facts(stores, [warm_up, *rounds])
            facts["cpu_us_per_operation"] = {
                name: round(statistics.median(per_op) * 1e6, 1) for name, per_op in stores.cpu.items()
            }
            return rounds, loads, facts
        finally:
            stores.close()


def context(results: dict[str, Any]) -> list[str]:
    """The lines above the tables: what ran, on what, under what load."""
    before, after, stores = results["machine_before"], results["machine_after"], results["stores"]
    pg, events, expected = stores["postgres"], stores["ledger_events"], stores["events_expected"]
    mix = ", ".join(f"{name} {count}" for name, count in MIX.items())
    return [
        f"W3 append commands per second, {ROUNDS} interleaved rounds; {results['hasher']}",
        f"mix per account: {mix} ({COMMANDS_PER_ACCOUNT} commands, {EVENTS_PER_ACCOUNT} events)",
        f"machine: {before['cores']} cores, load average {before['load_average']} before and "
        f"{after['load_average']} after (the run loads the machine itself); Python {before['python']}",
        f"1-minute load before each round: {results['load_1min_before_each_round']}",
        f"PostgreSQL {pg['server_version']}: synchronous_commit={pg['synchronous_commit']}, "
        f"fsync={pg['fsync']}, ledger pool {stores['postgres_pool_size']}",
        f"SQLite {stores['sqlite_version']}: ledger {stores['sqlite_ledger_pragmas']}, "
        f"raw {stores['sqlite_raw_pragmas']}",
        f"events appended (expected): SQLite {events['sqlite']:,} ({expected['sqlite']:,}), "
        f"PostgreSQL {events['postgres']:,} ({expected['postgres']:,})",
        "CPU µs of this process per operation (median of rounds): "
        + ", ".join(f"{name} {us:,.0f}" for name, us in stores["cpu_us_per_operation"].items()),
    ]


def main() -> None:
    print(f"W3 append commands: {ROUNDS} interleaved rounds (FastHasher, not Argon2id)", flush=True)
    before = harness.machine()
    rounds, loads, facts = measure()
    results: dict[str, Any] = {
        "workload": "W3 append commands per second",
        "hasher": "tests.fakes.FastHasher (a SHA-256 stand-in: the ledger is measured, not Argon2id)",
        "mix": {"per_account": MIX, "commands": COMMANDS_PER_ACCOUNT, "events": EVENTS_PER_ACCOUNT},
        "rounds": ROUNDS,
        "machine_before": before,
        "machine_after": harness.machine(),
        "load_1min_before_each_round": loads,
        "stores": facts,
        **harness.summarise(rounds, LABELS, RATIOS),
    }
    print(report.render(results, harness.previous(NAME), context(results)))
    print(f"\nwritten to {harness.write(NAME, results)}")


if __name__ == "__main__":
    main()
