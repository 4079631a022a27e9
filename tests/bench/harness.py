"""The benchmark method (BENCHMARKS.md): fixed operation counts, every variant run once per round in
alternating order, ratios taken within a round, medians and spreads across rounds, and the machine's
state recorded next to every result."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
# KEYLEDGER_BENCH_SMOKE=1: every benchmark runs end to end with tiny counts (the test suite does, so that a
# refactor cannot silently break one); its figures mean nothing and go to KEYLEDGER_BENCH_RESULTS.
SMOKE = os.environ.get("KEYLEDGER_BENCH_SMOKE") == "1"
RESULTS = Path(os.environ.get("KEYLEDGER_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")
PACKAGES = (
    "eventsourcing",
    "psycopg",
    "fastapi",
    "uvicorn",
    "redis",
    "argon2-cffi",
    "cryptography",
    "nats-py",
)


def smoke(normal: T, tiny: T) -> T:
    """``tiny`` in smoke mode, else ``normal``."""
    return tiny if SMOKE else normal


@dataclass
class Sample:
    """One timed run of a variant: how many operations, in how long, and each operation's latency."""

    operations: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.operations / self.seconds


def run_threads(workers: int, work: Callable[[int, list[float]], None]) -> Sample:
    """Runs ``work(worker_index, latencies)`` on ``workers`` threads released together; the sample spans
    from the release to the last thread's end."""
    latencies: list[list[float]] = [[] for _ in range(workers)]
    start = threading.Barrier(workers + 1)

    def body(index: int) -> None:
        start.wait()
        work(index, latencies[index])

    threads = [threading.Thread(target=body, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    flat = [latency for per_worker in latencies for latency in per_worker]
    return Sample(len(flat), seconds, flat)


def timed(latencies: list[float], operation: Callable[[], object]) -> None:
    """Runs one operation and appends its latency in seconds."""
    began = time.perf_counter()
    operation()
    latencies.append(time.perf_counter() - began)


def interleave(
    variants: dict[str, Callable[[], Sample]], rounds: int
) -> tuple[list[dict[str, Sample]], list[float]]:
    """Each round runs every variant once; odd rounds run them in reverse order, so a slow drift of the
    machine weighs on every variant alike. Returns the samples and the 1-minute load before each round."""
    names = list(variants)
    results: list[dict[str, Sample]] = []
    loads: list[float] = []
    for number in range(rounds):
        loads.append(round(os.getloadavg()[0], 2))
        order = names if number % 2 == 0 else names[::-1]
        samples = {name: variants[name]() for name in order}
        results.append(samples)
        rates = ", ".join(f"{name} {samples[name].rate:,.0f}/s" for name in names)
        print(f"  round {number + 1}/{rounds} (load {loads[-1]}): {rates}", flush=True)
    return results, loads


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise_variant(samples: list[Sample]) -> dict[str, Any]:
    """Median rate across rounds and the spread, with p50/p99 latency over every operation of every round."""
    rates = [s.rate for s in samples]
    latencies = [latency for s in samples for latency in s.latencies]
    return {
        "operations_per_round": samples[0].operations,
        "rates": [round(r, 1) for r in rates],
        "median_rate": round(statistics.median(rates), 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
    }


def summarise_ratio(rounds: list[dict[str, Sample]], numerator: str, denominator: str) -> dict[str, Any]:
    """``numerator ÷ denominator`` per round; its median, min and max across rounds."""
    ratios = [r[numerator].rate / r[denominator].rate for r in rounds]
    return {
        "numerator": numerator,
        "denominator": denominator,
        "per_round": [round(x, 4) for x in ratios],
        "median": round(statistics.median(ratios), 4),
        "min": round(min(ratios), 4),
        "max": round(max(ratios), 4),
    }


def summarise(
    rounds: list[dict[str, Sample]], labels: dict[str, str], ratios: dict[str, tuple[str, str, str]]
) -> dict[str, Any]:
    """Every variant's summary and every ratio's, labelled: the ``variants`` and ``ratios`` of a result."""
    return {
        "variants": {
            name: {"label": label, **summarise_variant([r[name] for r in rounds])}
            for name, label in labels.items()
        },
        "ratios": {
            key: {"label": label, **summarise_ratio(rounds, top, bottom)}
            for key, (top, bottom, label) in ratios.items()
        },
    }


def machine() -> dict[str, Any]:
    """Core count, load averages, interpreter and time: recorded with every result."""
    return {
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def previous(name: str) -> dict[str, Any] | None:
    """The last run's results of benchmark ``name``, if any, for comparison."""
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def run_facts() -> dict[str, Any]:
    """Which code ran, when, on what: the commit (and whether the tree had changes), the versions."""

    def git(*args: str) -> str:
        # git from PATH with fixed arguments: no input reaches the command line
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short=12", "HEAD") or "unknown",
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "smoke": SMOKE,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": {name: importlib.metadata.version(name) for name in PACKAGES},
    }


def write(name: str, results: dict[str, Any]) -> Path:
    """``results/NAME.json``: this run's figures with the facts of the run (what ``docs/benchmarks.md``
    is generated from)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**results, "run": run_facts()}, indent=2) + "\n", encoding="utf-8")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = (str(c) for c in cells)
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])
