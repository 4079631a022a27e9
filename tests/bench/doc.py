"""``python -m tests.bench.doc`` (the last step of ``make bench``): ``docs/benchmarks.md`` from the result
files in ``tests/bench/results/``, so the figures a reader sees are the ones the code produced, each with
the run (commit, time, load, cores, versions) that produced it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.harness import RESULTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
ORDER = ("w1", "w3", "w4", "w5", "w6", "w7", "w9", "w10")


@dataclass(frozen=True)
class Goal:
    """A target of issue #14: a figure read from a result, and whether it meets the bound."""

    workload: str
    what: str
    bound: str
    read: Callable[[dict[str, Any]], float]
    met: Callable[[float], bool]


def ratio(key: str) -> Callable[[dict[str, Any]], float]:
    return lambda result: float(result["ratios"][key]["median"])


GOALS = (
    Goal("w3", "ledger ÷ raw INSERT, 16 writers (PostgreSQL)", "≥ 0.5", ratio("pg_16"), lambda x: x >= 0.5),
    Goal("w3", "ledger 16 writers ÷ 1 writer", "≥ 3", ratio("scaling_ledger_16"), lambda x: x >= 3),
    Goal(
        "w4",
        "catch-up ÷ raw SELECT+decode, PostgreSQL",
        "≥ 0.5",
        ratio("pg_catchup_vs_raw"),
        lambda x: x >= 0.5,
    ),
    Goal(
        "w4",
        "catch-up ÷ raw SELECT+decode, SQLite",
        "≥ 0.5",
        ratio("sqlite_catchup_vs_raw"),
        lambda x: x >= 0.5,
    ),
    Goal("w1", "heartbeat ÷ bare endpoint, throughput", "≥ 0.8", ratio("throughput"), lambda x: x >= 0.8),
    Goal(
        "w1",
        "heartbeat p99 (ms), 64 connections paced at 50% of the bare endpoint's capacity",
        "≤ 50 ms",
        lambda r: float(r["variants"]["heartbeat_paced"]["p99_ms"]),
        lambda x: x <= 50,
    ),
    Goal(
        "w1",
        "heartbeat p99 (ms), 64 closed-loop clients at saturation (Little's law: ≥ 64 ÷ throughput)",
        "≤ 50 ms",
        lambda r: float(r["variants"]["heartbeat"]["p99_ms"]),
        lambda x: x <= 50,
    ),
    Goal(
        "w7",
        "heartbeat p99 during a login storm ÷ alone",
        "≤ 2",
        ratio("heartbeat_storm_p99"),
        lambda x: x <= 2,
    ),
    Goal("w5", "PostgreSQL writes with sealer ÷ without", "≥ 0.95", ratio("pg_cost"), lambda x: x >= 0.95),
    Goal(
        "w5",
        "PostgreSQL commit → signed checkpoint p99 (ms)",
        "≤ 1000 ms",
        lambda r: float(r["facts"]["commit_to_checkpoint_ms"]["postgres"]["p99"]),
        lambda x: x <= 1000,
    ),
    Goal(
        "w6", "limiter check ÷ Redis INCR, 16 threads", "≥ 0.8", ratio("admit_vs_incr_16"), lambda x: x >= 0.8
    ),
    Goal(
        "w6",
        "check + the read it guards, one round trip ÷ that read alone, 16 threads",
        "≥ 0.8",
        ratio("guarded_vs_get_16"),
        lambda x: x >= 0.8,
    ),
    Goal(
        "w6",
        "check + the read it guards, one round trip ÷ that read alone, 1 thread",
        "≥ 0.8",
        ratio("guarded_vs_get_1"),
        lambda x: x >= 0.8,
    ),
    Goal("w8", "download ÷ plain bytes, 1 client (#12)", "≥ 0.8", ratio("download_1"), lambda x: x >= 0.8),
    Goal("w8", "download ÷ plain bytes, 8 clients (#12)", "≥ 0.8", ratio("download_8"), lambda x: x >= 0.8),
    Goal("w8", "client decrypt ÷ raw AES-GCM (#12)", "≥ 0.5", ratio("decrypt_vs_aes"), lambda x: x >= 0.5),
    Goal("w8", "upload sealing ÷ raw AES-GCM (#12)", "≥ 0.5", ratio("upload_vs_aes"), lambda x: x >= 0.5),
)


def run_line(result: dict[str, Any]) -> str:
    run = result["run"]
    packages = ", ".join(f"{name} {version}" for name, version in run["packages"].items())
    dirty = " (with uncommitted changes)" if run["uncommitted_changes"] else ""
    smoke = " **SMOKE RUN: tiny counts, figures meaningless**" if run["smoke"] else ""
    return (
        f"Run: commit `{run['commit']}`{dirty}, finished {run['finished_at']}; {run['cores']} cores, load "
        f"average {run['load_average']} at the end (per round: {result.get('load_1min_before_each_round')}); "
        f"Python {run['python']}, SQLite {run['sqlite']}, {packages}.{smoke}"
    )


def goals_table(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| workload | figure | goal | measured (median) | met | result file |",
        "|---|---|---|---|---|---|",
    ]
    for goal in GOALS:
        result = results.get(goal.workload)
        if result is None:
            lines.append(f"| {goal.workload.upper()} | {goal.what} | {goal.bound} | not run | - | - |")
            continue
        source = f"`tests/bench/results/{goal.workload}.json` @ `{result['run']['commit']}`"
        try:
            value = goal.read(result)
        except KeyError:  # a figure the benchmark measures now, not yet in the committed result
            row = f"| {goal.workload.upper()} | {goal.what} | {goal.bound} | not in this result | - |"
            lines.append(f"{row} {source} |")
            continue
        met = "yes" if goal.met(value) else "**no**"
        lines.append(
            f"| {goal.workload.upper()} | {goal.what} | {goal.bound} | {value:,.3f} | {met} | {source} |"
        )
    return lines


def ratios_table(result: dict[str, Any]) -> list[str]:
    lines = ["| ratio (same-round) | median | min | max |", "|---|---|---|---|"]
    for entry in result["ratios"].values():
        lines.append(
            f"| {entry['label']} | {entry['median']:.3f} | {entry['min']:.3f} | {entry['max']:.3f} |"
        )
    return lines


def variants_table(result: dict[str, Any]) -> list[str]:
    lines = ["| variant (absolute: context only) | median ops/s | p50 ms | p99 ms |", "|---|---|---|---|"]
    for entry in result.get("variants", {}).values():
        if "median_rate" in entry:
            rate, p50, p99 = entry["median_rate"], entry.get("p50_ms"), entry.get("p99_ms")
            lines.append(f"| {entry['label']} | {rate:,.0f} | {milliseconds(p50)} | {milliseconds(p99)} |")
    return lines


def milliseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def section(name: str, result: dict[str, Any]) -> list[str]:
    return [
        f"## {name.upper()}: {result.get('workload', name)}",
        "",
        run_line(result),
        "",
        *ratios_table(result),
        "",
        *variants_table(result),
        "",
    ]


def render(results: dict[str, dict[str, Any]]) -> str:
    ordered = [n for n in ORDER if n in results] + sorted(set(results) - set(ORDER))
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m tests.bench.doc`) from `tests/bench/results/*.json`; do",
        "not edit by hand. Every figure is a ratio to a baseline measured in the same run, interleaved round",
        "by round (`/work/shared/BENCHMARKS.md`); absolute rates are context only, since this machine is",
        "shared. Each section names the commit, time, load, cores and versions of the run that produced it.",
        "",
        "## Goals of issues #14 and #12",
        "",
        *goals_table(results),
        "",
    ]
    for name in ordered:
        lines += section(name, results[name])
    return "\n".join(lines)


def load(directory: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if "run" in result:
            found[path.stem] = result
    return found


def main(argv: list[str]) -> None:
    target = Path(argv[0]) if argv else DOC
    target.write_text(render(load(RESULTS)), encoding="utf-8")
    print(f"written to {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
