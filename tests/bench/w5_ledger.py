"""W5: the verifiable ledger (BENCHMARKS.md).

1. Write cost of sealing: W3's command mix on SQLite (1 writer) and PostgreSQL (4 writers), with the
   sealer thread running in-process (woken by every commit) against the same ledger with it stopped;
   interleaved rounds, backlog sealed untimed before each sealed round.
2. Commit → signed checkpoint: for every command of the sealed rounds, the time from its commit to the
   first checkpoint that covers it (p50/p99).
3. Auditor verification of a 1,000,000-leaf export, against SHA-256 over the same bytes (hashlib) and a
   decode-only pass (base64 + leaf decoding + JSON, no hashing). The export is synthetic — generated
   leaves shaped like stored events (~330 bytes of JSON state), framed and signed exactly as
   GET /ledger/export does — because building 1M real events takes ~40 minutes here.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyledger_verifier import Checkpoint, CompactRange, Leaf, decode_leaf, encode_leaf, leaf_hash
from keyledger_verifier.export import verify_export
from keyledger_verifier.export_format import Frame, end_line, frame_lines, record_line, unb64

from adapters.ledger_db import ledger_db
from adapters.merkle_store import TreeStore
from adapters.notary import Notary
from bootstrap.schema import upgrade_tree
from domain.digests import Digests
from domain.ledger.service import Ledger
from tests.bench import harness, report
from tests.bench.command_mix import run_mix
from tests.bench.harness import Sample
from tests.fakes import FastHasher
from tests.stores import TEST_KEY, pg_env, pg_schema, sqlite_env
from workers.sealer import BATCH, Sealer

NAME = "w5"
ROUNDS = harness.smoke(5, 1)
SQLITE_ACCOUNTS = harness.smoke(25, 1)  # 1 writer: 500 commands a round
PG_ACCOUNTS = harness.smoke(6, 1)  # per writer, 4 writers: 480 commands a round
PG_WRITERS = 4
EXPORT_LEAVES = harness.smoke(1_000_000, 2_000)
ORIGIN = "bench.keyledger.example/log"

LABELS = {
    "sqlite_plain": "SQLite commands, 1 writer, no sealer",
    "sqlite_sealed": "SQLite commands, 1 writer, sealer running",
    "pg_plain": "PostgreSQL commands, 4 writers, no sealer",
    "pg_sealed": "PostgreSQL commands, 4 writers, sealer running",
    "sha256": "SHA-256 over the export's bytes (hashlib)",
    "decode": "decode-only pass (base64, leaf, JSON)",
    "verify": "keyledger-audit verify (leaves/s)",
}
RATIOS = {
    "sqlite_cost": ("sqlite_sealed", "sqlite_plain", "SQLite: with sealer ÷ without"),
    "pg_cost": ("pg_sealed", "pg_plain", "PostgreSQL: with sealer ÷ without"),
    "verify_vs_sha256": ("verify", "sha256", "verify ÷ SHA-256 of the bytes"),
    "verify_vs_decode": ("verify", "decode", "verify ÷ decode-only"),
}


class TimedSealer(Sealer):
    """Records when each pass made the tree cover which notification ids."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.covered: list[tuple[float, int]] = []

    def seal_once(self, limit: int = BATCH) -> int:
        count = super().seal_once(limit)
        if count:
            self.covered.append((time.monotonic(), self.sealed_through))
        return count


class Store:
    """A ledger with its tree, a sealer that can run or not, and commit times for the latency."""

    def __init__(self, ledger: Ledger, writers: int, accounts: int) -> None:
        self.ledger, self.writers, self.accounts = ledger, writers, accounts
        upgrade_tree(ledger)
        self.tree = TreeStore(ledger_db(ledger))
        self.notary = Notary(ORIGIN, Ed25519PrivateKey.generate())
        self.sealer = self.new_sealer()
        self.commits: list[tuple[float, int]] = []
        self.latencies: list[float] = []
        ledger.listeners.append(lambda position: self.commits.append((time.monotonic(), position)))

    def new_sealer(self) -> TimedSealer:
        return TimedSealer(self.tree, self.notary, lambda: datetime.now(UTC))

    def plain(self, share: float = 1.0) -> Sample:
        return run_mix(self.ledger, self.writers, max(1, round(self.accounts * share)))

    def sealed(self, share: float = 1.0) -> Sample:
        self.sealer = self.new_sealer()
        self.sealer.seal_all()
        self.commits.clear()
        self.sealer.covered.clear()
        self.ledger.listeners.append(self.sealer.wake)
        self.sealer.start()
        sample = self.plain(share)
        time.sleep(1.2)
        self.sealer.stop()
        self.ledger.listeners.remove(self.sealer.wake)
        self.latencies += [self._latency(at, position) for at, position in self.commits]
        return sample

    def _latency(self, committed: float, position: int) -> float:
        return next((at - committed for at, top in self.sealer.covered if top >= position), float("inf"))

    def close(self) -> None:
        self.tree.db.close()
        self.ledger.close()


def synthetic_export(path: Path, leaves: int) -> Notary:
    """Writes an export of ``leaves`` event-shaped leaves, signed like the real one; returns its notary."""
    notary, tree = Notary(ORIGIN, Ed25519PrivateKey.generate()), CompactRange()
    records = path.with_suffix(".records")
    with records.open("w", encoding="ascii") as out:
        for index in range(leaves):
            leaf = fake_leaf(index)
            encoded = encode_leaf(leaf)
            tree.append(leaf_hash(encoded))
            out.write(record_line(index, encoded, leaf))
    note = notary.sign(Checkpoint(ORIGIN, leaves, tree.root()))
    with path.open("w", encoding="ascii") as out, records.open(encoding="ascii") as body:
        out.write(frame_lines(Frame(0, leaves, note, leaves, tree.root(), [], [])))
        for line in body:
            out.write(line)
        out.write(end_line(leaves))
    records.unlink()
    return notary


def fake_leaf(index: int) -> Leaf:
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-11-01T12:00:00.000000+00:00"},
        "originator_topic": "domain.account:Account",
        "session_id": {"_type_": "uuid_hex", "_data_": uuid.UUID(int=index).hex},
        "kind": "desktop",
        "context": {"actor": str(uuid.UUID(int=index * 7)), "request_id": f"{index:032x}",
                    "client_ip": "203.0.113.9", "user_agent": "keyledger-client/1.0", "reason": None},
    }  # fmt: skip
    body = json.dumps(state, separators=(",", ":")).encode()
    return Leaf(
        index + 1, str(uuid.UUID(int=index // 4)), index % 4 + 1, "domain.account:Account.LoggedIn", body
    )


def whole_pass(began: float) -> Sample:
    """One pass over the export: its rate counts leaves; its one latency is the whole pass."""
    seconds = time.perf_counter() - began
    return Sample(EXPORT_LEAVES, seconds, [seconds])


def lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from handle


def sha256_pass(path: Path) -> Sample:
    began, digest = time.perf_counter(), hashlib.sha256()
    for line in lines(path):
        digest.update(line)
    return whole_pass(began)


def decode_pass(path: Path) -> Sample:
    began = time.perf_counter()
    for line in lines(path):
        parts = line.split(b" ", 2)
        if len(parts) == 3 and parts[0].isdigit():
            leaf = decode_leaf(unb64(parts[1].decode()))
            json.loads(leaf.state)
            json.loads(parts[2])
    return whole_pass(began)


def verify_pass(path: Path, notary: Notary) -> Sample:
    began = time.perf_counter()
    verify_export(lines(path), notary.verifier_key())
    return whole_pass(began)


def measure() -> tuple[list[dict[str, Sample]], list[float], dict[str, Any]]:
    digests, hasher = Digests(TEST_KEY), FastHasher()
    with tempfile.TemporaryDirectory(prefix="keyledger-bench-w5-") as tmp, pg_schema() as schema:
        directory = Path(tmp)
        sqlite = Store(Ledger(sqlite_env(directory), digests=digests, hasher=hasher), 1, SQLITE_ACCOUNTS)
        pg_ledger = Ledger(pg_env(schema, pool_size=PG_WRITERS + 2), digests=digests, hasher=hasher)
        pg = Store(pg_ledger, PG_WRITERS, PG_ACCOUNTS)
        print(f"  writing a synthetic {EXPORT_LEAVES:,}-leaf export", flush=True)
        began = time.perf_counter()
        export = directory / "export.txt"
        notary = synthetic_export(export, EXPORT_LEAVES)
        facts: dict[str, Any] = {
            "export_bytes": export.stat().st_size,
            "export_write_s": round(time.perf_counter() - began, 1),
        }
        try:
            print("  warm-up", flush=True)
            for store in (sqlite, pg):
                store.plain(0.2)
                store.sealed(0.2)
                store.latencies.clear()
            variants: dict[str, Callable[[], Sample]] = {
                "sqlite_plain": sqlite.plain,
                "sqlite_sealed": sqlite.sealed,
                "pg_plain": pg.plain,
                "pg_sealed": pg.sealed,
                "sha256": lambda: sha256_pass(export),
                "verify": lambda: verify_pass(export, notary),
                "decode": lambda: decode_pass(export),
            }
            rounds, loads = harness.interleave(variants, ROUNDS)
            facts["commit_to_checkpoint_ms"] = {
                "sqlite": latency_summary(sqlite.latencies),
                "postgres": latency_summary(pg.latencies),
            }
            return rounds, loads, facts
        finally:
            sqlite.close()
            pg.close()


def latency_summary(latencies: list[float]) -> dict[str, float]:
    return {
        "commits": len(latencies),
        "p50": round(harness.percentile(latencies, 0.50) * 1000, 1),
        "p99": round(harness.percentile(latencies, 0.99) * 1000, 1),
        "max": round(max(latencies) * 1000, 1),
    }


def context(results: dict[str, Any]) -> list[str]:
    before, facts = results["machine_before"], results["facts"]
    latency = facts["commit_to_checkpoint_ms"]
    return [
        f"W5 verifiable ledger, {ROUNDS} interleaved rounds; synthetic export of {EXPORT_LEAVES:,} leaves "
        f"({facts['export_bytes'] / 1e6:,.0f} MB, written in {facts['export_write_s']} s)",
        f"machine: {before['cores']} cores, load average {before['load_average']} before and "
        f"{results['machine_after']['load_average']} after; Python {before['python']}",
        f"1-minute load before each round: {results['load_1min_before_each_round']}",
        *(
            f"commit → signed checkpoint, {store}: p50 {v['p50']} ms, p99 {v['p99']} ms, max {v['max']} ms "
            f"over {v['commits']:,} commits"
            for store, v in latency.items()
        ),
    ]


def main() -> None:
    print(f"W5 verifiable ledger: {ROUNDS} interleaved rounds", flush=True)
    before = harness.machine()
    rounds, loads, facts = measure()
    results: dict[str, Any] = {
        "workload": "W5 verifiable ledger: sealing cost, commit to checkpoint, auditor verification",
        "rounds": ROUNDS,
        "machine_before": before,
        "machine_after": harness.machine(),
        "load_1min_before_each_round": loads,
        "facts": facts,
        **harness.summarise(rounds, LABELS, RATIOS),
    }
    print(report.render(results, harness.previous(NAME), context(results)))
    print(f"\nwritten to {harness.write(NAME, results)}")


if __name__ == "__main__":
    main()
