"""W4: projection catch-up in events per second, and the lag from commit to read model (BENCHMARKS.md).

Catch-up. A log of at least 100,000 events is written on PostgreSQL, in a private schema, by real ledger
commands from five threads (``tests/bench/event_log.py``: W3's journeys on four, the read-model tests'
random operations on a fifth), and a smaller one (at least 20,000 events, one journey thread) on SQLite in a
``mktemp -d`` directory. Each round then runs, per store:

* ``catchup``: ``Catchup(store, catalogue.ALL, LedgerEvents(ledger)).catch_up()`` from position 0 into fresh
  read-model tables (a new schema on PostgreSQL, a new file on SQLite — created before the clock starts);
* ``library_read``: ``LedgerEvents.read`` over the same log, page by page (the recorder's SELECT and
  ``adapters.event_decoding.FastDecoder``: ``orjson``, the mapper where that cannot be exact), no
  projection — where the catch-up's reading ends and its writing begins;
* ``raw_select``: the baseline, a keyset ``SELECT … WHERE notification_id > %s ORDER BY notification_id
  LIMIT 500`` (SQLite: ``rowid``) on a plain driver connection, each row's state decoded by the ledger's own
  ``JSONTranscoder`` (``ledger.mapper.transcoder.decode``: the same ``json.JSONDecoder`` with the same
  object hook the library uses), the same page size as the catch-up (``projections.runner.BATCH``).

Lag. A steady load of ledger commands (W3's journeys, one writer, paced at a fixed rate for a fixed count)
on the PostgreSQL log while a ``ProjectionWorker`` keeps the last round's read models current, either woken
by ``ledger.listeners`` as the app wires it (``api/background.py``) or only polling (every 0.5 s, the
worker's default: the baseline). Each command's lag runs from the ledger call returning to the first moment
the worker has seen ``Catchup.lowest_position()`` at or past the command's position (read by the thread
that wrote a page, right after it is written, the time taken before the query). The worker runs without its
advisory lock: that lock is database-wide, and other suites share this PostgreSQL database.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg import sql

from adapters.event_source import LedgerEvents
from adapters.read_store import PostgresReadStore, SqliteReadStore
from domain.ledger.service import Ledger
from projections import catalogue
from projections.base import Handler, Projection
from projections.page_writer import PageWriter
from projections.rebuild import UpTo
from projections.runner import BATCH, Catchup, EventSource
from projections.store import ReadStore, Tx
from tests.bench import harness, measures, report
from tests.bench.command_mix import COMMANDS_PER_ACCOUNT, Journey
from tests.bench.event_log import Plan, event_mix, mix_line, populate, sqlite_topics
from tests.bench.harness import Sample
from tests.bench.raw_inserts import postgres_settings
from tests.stores import PG_DSN, make_ledger, pg_env, pg_schema, sqlite_env
from workers.projector import POLL_INTERVAL_S, ProjectionWorker

NAME = "w4"
ROUNDS = harness.smoke(5, 1)
PAGE = BATCH
PG_PLAN = harness.smoke(
    Plan(writers=4, accounts_per_writer=690, random_ops=6_000, minimum_events=100_000),
    Plan(writers=1, accounts_per_writer=5, random_ops=20, minimum_events=100),
)
SQLITE_PLAN = harness.smoke(
    Plan(writers=1, accounts_per_writer=560, random_ops=1_500, minimum_events=20_000),
    Plan(writers=1, accounts_per_writer=5, random_ops=20, minimum_events=100),
)
WARM_UP_EVENTS = harness.smoke(5_000, 50)
LAG_ROUNDS = harness.smoke(5, 1)
# commands per second: commands per round (5 s each)
LAG_LOADS = harness.smoke({100: 500, 20: 100}, {100: 20, 20: 20})
LAG_WARM_UP = COMMANDS_PER_ACCOUNT
CAUGHT_UP_TIMEOUT_S = 60.0
MAX_PAGES = 10_000
WRITES = "page writes, tracking and commit (PostgreSQL: writer thread, beside the next page)"

LABELS = {
    "pg_catchup": "PostgreSQL catch-up, 8 read models (ms per page of 500)",
    "pg_library_read": "PostgreSQL LedgerEvents.read only (ms per page)",
    "pg_raw_select": "PostgreSQL raw keyset SELECT + decode (ms per page)",
    "sqlite_catchup": "SQLite catch-up, 8 read models (ms per page of 500)",
    "sqlite_library_read": "SQLite LedgerEvents.read only (ms per page)",
    "sqlite_raw_select": "SQLite raw keyset SELECT + decode (ms per page)",
}
RATIOS = {
    "pg_catchup_vs_raw": ("pg_catchup", "pg_raw_select", "PostgreSQL: catch-up ÷ raw SELECT+decode"),
    "pg_read_vs_raw": ("pg_library_read", "pg_raw_select", "PostgreSQL: LedgerEvents.read ÷ raw"),
    "pg_catchup_vs_read": ("pg_catchup", "pg_library_read", "PostgreSQL: catch-up ÷ LedgerEvents.read"),
    "sqlite_catchup_vs_raw": ("sqlite_catchup", "sqlite_raw_select", "SQLite: catch-up ÷ raw SELECT+decode"),
    "sqlite_read_vs_raw": ("sqlite_library_read", "sqlite_raw_select", "SQLite: LedgerEvents.read ÷ raw"),
    "sqlite_catchup_vs_read": (
        "sqlite_catchup",
        "sqlite_library_read",
        "SQLite: catch-up ÷ LedgerEvents.read",
    ),
}
LAG_LABELS = {
    f"lag_{mode}_{rate}": f"{rate} commands/s, {label}"
    for rate in LAG_LOADS
    for mode, label in (
        ("wake", "worker woken by ledger.listeners"),
        ("poll", f"worker polling every {POLL_INTERVAL_S} s only"),
    )
}
LAG_RATIOS = {
    f"lag_p{round(share * 100)}_{rate}": (
        f"lag_wake_{rate}",
        f"lag_poll_{rate}",
        share,
        f"lag p{round(share * 100)} at {rate}/s: woken ÷ polling",
    )
    for rate in LAG_LOADS
    for share in (0.50, 0.99)
}

PG_RAW = "SELECT notification_id, originator_id, originator_version, topic, state FROM {}.{} "
PG_RAW_PAGE = PG_RAW + "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
SQLITE_EVENTS = "stored_events"
SQLITE_RAW_PAGE = (
    "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
    "WHERE rowid > ? ORDER BY rowid LIMIT ?"
)


class _TimedSource:
    """An event source that adds the time spent reading (SELECT + decode) to ``split['read']``."""

    def __init__(self, source: EventSource, split: dict[str, float]) -> None:
        self.source, self.split = source, split

    def read(self, after: int, limit: int) -> Sequence[tuple[int, Any]]:
        began = time.perf_counter()
        rows = self.source.read(after, limit)
        self.split["read"] += time.perf_counter() - began
        return rows


class TimedCatchup(Catchup):
    """``Catchup`` noting each page's time and how the whole splits between reading and each projection
    (one clock read around each step; the catch-up itself is unchanged)."""

    def __init__(self, store: ReadStore, projections: Sequence[Projection], source: EventSource) -> None:
        self.split: dict[str, float] = {"read": 0.0, **{p.name: 0.0 for p in projections}, WRITES: 0.0}
        self.pages: list[float] = []
        self._last_done: float | None = None
        timed = [self._timed(p) for p in projections]
        super().__init__(store, timed, _TimedSource(source, self.split))

    def _timed(self, projection: Projection) -> Projection:
        """The same projection, with the time of each of its handlers added to its share."""

        def wrap(handler: Handler) -> Handler:
            def timed_handler(tx: Tx, event: Any, position: int) -> None:
                began = time.perf_counter()
                handler(tx, event, position)
                self.split[projection.name] += time.perf_counter() - began

            return timed_handler

        return dataclasses.replace(
            projection,
            handlers={cls: wrap(h) for cls, h in projection.handlers.items()},
            every_event=wrap(projection.every_event) if projection.every_event else None,
        )

    def _write(self, page: PageWriter, behind: Sequence[Projection], expected: Mapping[str, int]) -> None:
        """A page's transaction (on PostgreSQL in the writer thread, while the next page is read and
        prepared): its statements, the tracking and the commit. A page's time runs from the one before it
        written (the first page's from the start) to it written."""
        began = time.perf_counter()
        super()._write(page, behind, expected)
        done = time.perf_counter()
        self.split[WRITES] += done - began
        if self._last_done is not None:
            self.pages.append(done - self._last_done)
        self._last_done = done

    def catch_up(self, limit: int = BATCH) -> int:
        self._last_done = time.perf_counter()
        return super().catch_up(limit)


class ObservedCatchup(Catchup):
    """``Catchup`` recording, after every page written, the time and ``lowest_position()``."""

    def __init__(self, store: ReadStore, projections: Sequence[Projection], source: EventSource) -> None:
        super().__init__(store, projections, source)
        self.seen: list[tuple[float, int]] = []

    def _write(self, page: PageWriter, behind: Sequence[Projection], expected: Mapping[str, int]) -> None:
        super()._write(page, behind, expected)
        at = time.perf_counter()
        self.seen.append((at, self.lowest_position()))


def read_pages(read: Callable[[int], int | None]) -> Sample:
    """Runs ``read(after)`` (returning the last position of a page, None when empty) to the end."""
    pages: list[float] = []
    after = 0
    began = time.perf_counter()
    for _ in range(MAX_PAGES):
        start = time.perf_counter()
        last = read(after)
        if last is None:
            break
        pages.append(time.perf_counter() - start)
        after = last
    seconds = time.perf_counter() - began
    return Sample(0, seconds, pages)


def counted(sample: Sample, events: int) -> Sample:
    return Sample(events, sample.seconds, sample.latencies)


@dataclass
class Log:
    """One store's event log, its ledger, and the read-model stores built from it."""

    kind: str
    ledger: Ledger
    events: int
    population: dict[str, Any]
    raw_page: Callable[[int], tuple[int, int] | None]
    new_store: Callable[[int], ReadStore]
    drop_store: Callable[[int, ReadStore], None]
    splits: list[dict[str, float]] = field(default_factory=list)
    rounds: int = 0
    live: tuple[int, ReadStore] | None = None

    def library_read(self) -> Sample:
        source = LedgerEvents(self.ledger)
        seen = [0]

        def page(after: int) -> int | None:
            rows = source.read(after, PAGE)
            seen[0] += len(rows)
            return rows[-1][0] if rows else None

        sample = read_pages(page)
        self.check(seen[0], "LedgerEvents.read")
        return counted(sample, seen[0])

    def raw_select(self) -> Sample:
        seen = [0]

        def page(after: int) -> int | None:
            got = self.raw_page(after)
            if got is None:
                return None
            seen[0] += got[1]
            return got[0]

        sample = read_pages(page)
        self.check(seen[0], "raw SELECT")
        return counted(sample, seen[0])

    def catchup(self) -> Sample:
        """A full catch-up into fresh tables; the previous round's tables are dropped first."""
        if self.live is not None:
            self.drop_store(*self.live)
            self.live = None
        self.rounds += 1
        store = self.new_store(self.rounds)
        self.live = (self.rounds, store)
        runner = TimedCatchup(store, catalogue.ALL, LedgerEvents(self.ledger))
        runner.create_tables()
        began = time.perf_counter()
        total = runner.catch_up(PAGE)
        seconds = time.perf_counter() - began
        self.check(total, "catch-up")
        self.splits.append({"total": seconds, **runner.split})
        return Sample(total, seconds, runner.pages)

    def check(self, count: int, what: str) -> None:
        if count != self.events:
            raise RuntimeError(f"{self.kind} {what} read {count:,} events, not {self.events:,}")

    def close(self) -> None:
        if self.live is not None:
            self.drop_store(*self.live)
            self.live = None


@contextmanager
def postgres_log() -> Iterator[Log]:
    """The PostgreSQL log in a private schema; read models in schemas of their own, dropped afterwards."""
    with pg_schema() as schema, ExitStack() as stack:
        ledger = make_ledger(pg_env(schema, pool_size=8))
        stack.callback(ledger.close)
        recorder = ledger.recorder
        if not isinstance(recorder, PostgresApplicationRecorder):
            raise TypeError("expected the PostgreSQL recorder")
        table = recorder.events_table_name
        print(f"  writing the PostgreSQL log: {PG_PLAN.describe()}", flush=True)
        population = populate(ledger, PG_PLAN)
        print(f"  {population['events']:,} events in {population['seconds']} s", flush=True)
        raw = psycopg.connect(PG_DSN, autocommit=True)
        stack.callback(raw.close)
        page_sql = sql.SQL(PG_RAW_PAGE).format(sql.Identifier(schema), sql.Identifier(table))
        decode = ledger.mapper.transcoder.decode

        def raw_page(after: int) -> tuple[int, int] | None:
            rows = raw.execute(page_sql, (after, PAGE), prepare=True).fetchall()
            for row in rows:
                decode(bytes(row[4]))
            return (int(rows[-1][0]), len(rows)) if rows else None

        def new_store(number: int) -> ReadStore:
            name = f"{schema}_rm{number}"
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
            return PostgresReadStore(PG_DSN, name)

        def drop_store(number: int, store: ReadStore) -> None:
            store.close()
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(f"{schema}_rm{number}")))

        topics = sql.SQL("SELECT topic, count(*) FROM {}.{} GROUP BY topic").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        size = sql.SQL("SELECT pg_total_relation_size({})").format(sql.Literal(f"{schema}.{table}"))
        population["mix"] = event_mix(raw.execute(topics).fetchall())
        size_row = raw.execute(size).fetchone()
        population["events_table_mb"] = round(int(size_row[0]) / 2**20, 1) if size_row else None
        log = Log("PostgreSQL", ledger, population["events"], population, raw_page, new_store, drop_store)
        try:
            yield log
        finally:
            log.close()


@contextmanager
def sqlite_log() -> Iterator[Log]:
    """The SQLite log in a ``mktemp -d`` directory; each round's read models in a new file beside it."""
    with tempfile.TemporaryDirectory(prefix="keyledger-bench-w4-") as tmp, ExitStack() as stack:
        directory = Path(tmp)
        ledger = make_ledger(sqlite_env(directory))
        stack.callback(ledger.close)
        recorder = ledger.recorder
        if not isinstance(recorder, SQLiteApplicationRecorder) or recorder.events_table_name != SQLITE_EVENTS:
            raise TypeError(f"expected the SQLite recorder with table {SQLITE_EVENTS}")
        print(f"  writing the SQLite log: {SQLITE_PLAN.describe()}", flush=True)
        population = populate(ledger, SQLITE_PLAN)
        print(f"  {population['events']:,} events in {population['seconds']} s", flush=True)
        raw = sqlite3.connect(directory / "ledger.sqlite3", isolation_level=None, check_same_thread=False)
        stack.callback(raw.close)
        decode = ledger.mapper.transcoder.decode

        def raw_page(after: int) -> tuple[int, int] | None:
            rows = raw.execute(SQLITE_RAW_PAGE, (after, PAGE)).fetchall()
            for row in rows:
                decode(bytes(row[4]))
            return (int(rows[-1][0]), len(rows)) if rows else None

        def new_store(number: int) -> ReadStore:
            return SqliteReadStore(directory / f"read{number}.sqlite3")

        def drop_store(number: int, store: ReadStore) -> None:
            store.close()
            for suffix in ("", "-wal", "-shm"):
                (directory / f"read{number}.sqlite3{suffix}").unlink(missing_ok=True)

        population["mix"] = event_mix(sqlite_topics(directory / "ledger.sqlite3"))
        population["events_file_mb"] = round((directory / "ledger.sqlite3").stat().st_size / 2**20, 1)
        log = Log("SQLite", ledger, population["events"], population, raw_page, new_store, drop_store)
        try:
            yield log
        finally:
            log.close()


def warm_up(log: Log) -> None:
    """One pass of each reader, and a catch-up of the first events into scratch tables."""
    log.raw_select()
    log.library_read()
    store = log.new_store(0)
    try:
        runner = Catchup(store, catalogue.ALL, UpTo(LedgerEvents(log.ledger), WARM_UP_EVENTS))
        runner.create_tables()
        runner.catch_up(PAGE)
    finally:
        log.drop_store(0, store)


# --- lag ---------------------------------------------------------------------------------------------


class PacedLoad:
    """W3's journeys from one thread, each command started on a fixed schedule (``rate`` per second; a
    late command starts at once), noting when each call returned and the position it committed."""

    def __init__(self, ledger: Ledger, rate: float) -> None:
        self.ledger, self.rate = ledger, rate
        self.commits: list[tuple[float, int]] = []
        self.issued = 0
        self.began = 0.0
        self._position: int | None = None

    def heard(self, position: int) -> None:
        self._position = position

    def step(self, command: Callable[[], object]) -> None:
        delay = self.began + self.issued / self.rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        self.issued += 1
        self._position = None
        command()
        returned = time.perf_counter()
        if self._position is not None:
            self.commits.append((returned, self._position))

    def run(self, commands: int) -> float:
        """Runs ``commands`` commands (whole journeys); returns the seconds taken."""
        self.ledger.listeners.append(self.heard)
        try:
            self.began = time.perf_counter()
            for _ in range(max(1, commands // COMMANDS_PER_ACCOUNT)):
                PacedJourney(self).run()
            return time.perf_counter() - self.began
        finally:
            self.ledger.listeners.remove(self.heard)


class PacedJourney(Journey):
    def __init__(self, load: PacedLoad) -> None:
        super().__init__(load.ledger, 99, [])
        self.load = load

    def step(self, command: Callable[[], object]) -> None:
        self.load.step(command)


def lags(commits: list[tuple[float, int]], seen: list[tuple[float, int]]) -> list[float]:
    """For each commit, the first moment the read models had reached its position, minus its return."""
    result: list[float] = []
    index = 0
    for returned, position in sorted(commits, key=lambda c: c[1]):
        while index < len(seen) and seen[index][1] < position:
            index += 1
        if index == len(seen):
            raise RuntimeError(f"the read models never reached position {position}")
        result.append(seen[index][0] - returned)
    return result


def wait_caught_up(runner: Catchup, position: int) -> None:
    deadline = time.monotonic() + CAUGHT_UP_TIMEOUT_S
    while runner.lowest_position() < position:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the read models did not reach {position} in {CAUGHT_UP_TIMEOUT_S} s")
        time.sleep(0.05)


def lag_round(log: Log, *, wake: bool, rate: float, commands: int) -> Sample:
    """One steady load with a fresh worker on the live read models (caught up before the load starts)."""
    if log.live is None:
        raise RuntimeError("no read models to keep current")
    runner = ObservedCatchup(log.live[1], catalogue.ALL, LedgerEvents(log.ledger))
    runner.catch_up()
    worker = ProjectionWorker(runner)
    if wake:
        log.ledger.listeners.append(worker.wake)
    thread = worker.start_thread()
    load = PacedLoad(log.ledger, rate)
    try:
        seconds = load.run(commands)
        wait_caught_up(runner, max(p for _, p in load.commits))
    finally:
        worker.stop()
        thread.join(CAUGHT_UP_TIMEOUT_S)
        if wake:
            log.ledger.listeners.remove(worker.wake)
    return Sample(len(load.commits), seconds, lags(load.commits, runner.seen))


# --- the run -----------------------------------------------------------------------------------------


def split_summary(log: Log) -> dict[str, Any]:
    """Median share of the catch-up's time per step across rounds: reading, each projection's handlers
    (which hold their writes, folded), the rest (PostgreSQL: mostly waiting for the page before to be
    written; SQLite: the writes), and the page's writes and commit (PostgreSQL: in the writer thread, beside
    the main thread's work)."""
    main = ["read", *(p.name for p in catalogue.ALL)]
    rest = "the rest (PostgreSQL: waiting for the page before)"
    shares: dict[str, list[float]] = {name: [] for name in [*main, rest, WRITES]}
    for split in log.splits:
        total = split["total"]
        for name in [*main, WRITES]:
            shares[name].append(split[name] / total)
        shares[rest].append((total - sum(split[n] for n in main)) / total)
    return {name: round(statistics.median(values), 4) for name, values in shares.items()}


def split_table(pg: dict[str, float], lite: dict[str, float]) -> str:
    rows = [(name, f"{pg[name]:.1%}", f"{lite[name]:.1%}") for name in pg]
    return harness.table(("catch-up time, median share", "PostgreSQL", "SQLite"), rows)


def measure() -> dict[str, Any]:
    with postgres_log() as pg, sqlite_log() as lite:
        print("  warm-up", flush=True)
        warm_up(pg)
        warm_up(lite)
        variants: dict[str, Callable[[], Sample]] = {
            "pg_raw_select": pg.raw_select,
            "pg_library_read": pg.library_read,
            "pg_catchup": pg.catchup,
            "sqlite_raw_select": lite.raw_select,
            "sqlite_library_read": lite.library_read,
            "sqlite_catchup": lite.catchup,
        }
        rounds, loads = harness.interleave(variants, ROUNDS)
        print(f"  lag: {lag_loads_line()}", flush=True)
        lag_round(pg, wake=True, rate=100, commands=LAG_WARM_UP)
        lag_round(pg, wake=False, rate=100, commands=LAG_WARM_UP)

        def lag(wake: bool, rate: int) -> Callable[[], Sample]:
            return lambda: lag_round(pg, wake=wake, rate=rate, commands=LAG_LOADS[rate])

        lag_variants: dict[str, Callable[[], Sample]] = {
            f"lag_{mode}_{rate}": lag(mode == "wake", rate) for rate in LAG_LOADS for mode in ("wake", "poll")
        }
        lag_rounds, lag_loads = harness.interleave(lag_variants, LAG_ROUNDS)
        for name in lag_variants:
            p50 = [measures.latency_ms([r[name]], 0.5) for r in lag_rounds]
            p99 = [measures.latency_ms([r[name]], 0.99) for r in lag_rounds]
            print(f"  {name}: p50 per round {p50} ms, p99 per round {p99} ms", flush=True)
        return {
            "rounds": rounds,
            "loads": loads,
            "lag_rounds": lag_rounds,
            "lag_loads": lag_loads,
            "postgres": {**pg.population, "split": split_summary(pg)},
            "sqlite": {**lite.population, "split": split_summary(lite)},
        }


def lag_loads_line() -> str:
    return "; ".join(f"{count} commands at {rate}/s" for rate, count in LAG_LOADS.items()) + " per round"


def lag_summary(samples: list[Sample]) -> dict[str, Any]:
    every = [lag for s in samples for lag in s.latencies]
    return {
        "commands_per_round": samples[0].operations,
        "achieved_rates": [round(s.rate, 1) for s in samples],
        "p50_ms_per_round": [measures.latency_ms([s], 0.5) for s in samples],
        "p99_ms_per_round": [measures.latency_ms([s], 0.99) for s in samples],
        "p50_ms": measures.latency_ms(samples, 0.5),
        "p99_ms": measures.latency_ms(samples, 0.99),
        "max_ms": round(max(every) * 1000, 3),
        "min_ms": round(min(every) * 1000, 3),
    }


def lag_table(lag: dict[str, dict[str, Any]]) -> str:
    headers = ("PostgreSQL lag, commit → lowest_position (context)", "p50 ms", "p99 ms", "max ms", "rate/s")
    rows = [
        (
            v["label"],
            f"{v['p50_ms']:.1f}",
            f"{v['p99_ms']:.1f}",
            f"{v['max_ms']:.1f}",
            f"{statistics.median(v['achieved_rates']):.1f}",
        )
        for v in lag.values()
    ]
    return harness.table(headers, rows)


def context(results: dict[str, Any]) -> list[str]:
    before, after, pg, lite = (
        results["machine_before"],
        results["machine_after"],
        results["postgres"],
        results["sqlite"],
    )
    settings = pg["settings"]
    return [
        f"W4 projection catch-up, {ROUNDS} interleaved rounds; page size {PAGE} (projections.runner.BATCH); "
        f"{len(catalogue.ALL)} read models",
        f"machine: {before['cores']} cores, load average {before['load_average']} before and "
        f"{after['load_average']} after; Python {before['python']}",
        f"1-minute load before each round: {results['load_1min_before_each_round']}; "
        f"lag rounds: {results['lag']['load_1min_before_each_round']}",
        f"PostgreSQL {settings['server_version']}: synchronous_commit={settings['synchronous_commit']}, "
        f"fsync={settings['fsync']}; log {pg['events']:,} events ({pg['events_table_mb']} MB), written "
        f"in {pg['seconds']} s by {pg['plan']}",
        f"  mix: {mix_line(pg['mix'])}",
        f"SQLite {sqlite3.sqlite_version}: log {lite['events']:,} events ({lite['events_file_mb']} MB), "
        f"written in {lite['seconds']} s by {lite['plan']}",
        f"  mix: {mix_line(lite['mix'])}",
        f"lag: {lag_loads_line()}, paced from one thread (W3 journeys), {LAG_ROUNDS} interleaved rounds; "
        f"worker poll interval {POLL_INTERVAL_S} s; FastHasher",
    ]


def main() -> None:
    print(f"W4 projection catch-up and lag: {ROUNDS} + {LAG_ROUNDS} interleaved rounds", flush=True)
    before = harness.machine()
    measured = measure()
    rounds, lag_rounds = measured["rounds"], measured["lag_rounds"]
    results: dict[str, Any] = {
        "workload": "W4 projection catch-up (events/s) and lag from commit to read model",
        "hasher": "tests.fakes.FastHasher",
        "rounds": ROUNDS,
        "page_size": PAGE,
        "read_models": [p.name for p in catalogue.ALL],
        "machine_before": before,
        "machine_after": harness.machine(),
        "load_1min_before_each_round": measured["loads"],
        "postgres": {**measured["postgres"], "settings": postgres_settings(PG_DSN)},
        "sqlite": {**measured["sqlite"], "sqlite_version": sqlite3.sqlite_version},
        **harness.summarise(rounds, LABELS, RATIOS),
        "lag": {
            "commands_per_round_by_rate": LAG_LOADS,
            "rounds": LAG_ROUNDS,
            "poll_interval_s": POLL_INTERVAL_S,
            "load_1min_before_each_round": measured["lag_loads"],
            "variants": {
                name: {"label": label, **lag_summary([r[name] for r in lag_rounds])}
                for name, label in LAG_LABELS.items()
            },
        },
    }
    for key, (top, bottom, share, label) in LAG_RATIOS.items():
        results["ratios"][key] = {"label": label, **measures.latency_ratio(lag_rounds, top, bottom, share)}
    last = harness.previous(NAME)
    print(report.render(results, last, context(results)))
    print()
    print(lag_table(results["lag"]["variants"]))
    print()
    print(split_table(results["postgres"]["split"], results["sqlite"]["split"]))
    print(f"\nwritten to {harness.write(NAME, results)}")


if __name__ == "__main__":
    main()
