"""What sealing personal fields costs (docs/privacy.md): the W3 command mix on a ledger that seals against
the same mix on one that does not, and the projections' catch-up over the events each wrote, in
interleaved rounds on SQLite (1 writer) and PostgreSQL (4 writers).
Run: ``python -m tests.bench.sealing_cost``. Prints medians and the ratios sealed ÷ clear (of rates:
below 1 means sealing is slower)."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from adapters.event_source import LedgerEvents
from adapters.read_store import SqliteReadStore
from domain.digests import Digests
from domain.ledger.service import Ledger
from projections import catalogue
from projections.runner import Catchup
from tests.bench import harness
from tests.bench.command_mix import run_mix
from tests.bench.harness import Sample
from tests.fakes import FastHasher
from tests.stores import TEST_KEY, pg_env, pg_schema, sealing_ledger, sqlite_env

ROUNDS = 5
ACCOUNTS = {"sqlite": (1, 40), "postgres": (4, 10)}  # writers, accounts per writer


def catch_up(ledger: Ledger, directory: Path, name: str) -> Sample:
    """Every read model built from nothing over the ledger's events (read, opened, applied)."""
    store = SqliteReadStore(directory / f"{name}-{time.monotonic_ns()}.sqlite3")
    runner = Catchup(store, catalogue.ALL, LedgerEvents(ledger))
    runner.create_tables()
    start = time.perf_counter()
    events = runner.catch_up()
    seconds = time.perf_counter() - start
    store.close()
    return Sample(events, seconds)


def variants(ledgers: dict[str, Ledger], directory: Path) -> dict[str, Callable[[], Sample]]:
    found: dict[str, Callable[[], Sample]] = {}
    for name, ledger in ledgers.items():
        writers, accounts = ACCOUNTS[name.split("_")[0]]
        found[f"{name}_write"] = lambda ledger=ledger, w=writers, a=accounts: run_mix(ledger, w, a)  # type: ignore[misc]
        found[f"{name}_catchup"] = lambda ledger=ledger, n=name: catch_up(ledger, directory, n)  # type: ignore[misc]
    return found


def main() -> None:
    digests, hasher = Digests(TEST_KEY), FastHasher()
    with tempfile.TemporaryDirectory() as tmp, pg_schema() as sealed_schema, pg_schema() as clear_schema:
        directory = Path(tmp)
        (directory / "sealed").mkdir()
        (directory / "clear").mkdir()
        ledgers = {
            "sqlite_sealed": sealing_ledger(sqlite_env(directory / "sealed"), directory / "keys", hasher),
            "sqlite_clear": Ledger(sqlite_env(directory / "clear"), digests=digests, hasher=hasher),
            "postgres_sealed": sealing_ledger(pg_env(sealed_schema, pool_size=8), directory / "keys", hasher),
            "postgres_clear": Ledger(pg_env(clear_schema, pool_size=8), digests=digests, hasher=hasher),
        }
        try:
            rounds, _ = harness.interleave(variants(ledgers, directory), ROUNDS)
        finally:
            for ledger in ledgers.values():
                ledger.close()
    rates = {name: statistics.median(r[name].rate for r in rounds) for name in rounds[0]}
    for name, rate in sorted(rates.items()):
        print(f"{name:28} {rate:10.1f} /s")
    for store in ("sqlite", "postgres"):
        for kind in ("write", "catchup"):
            ratio = rates[f"{store}_sealed_{kind}"] / rates[f"{store}_clear_{kind}"]
            print(f"{store} {kind}: sealed ÷ clear = {ratio:.2f}")


if __name__ == "__main__":
    main()
