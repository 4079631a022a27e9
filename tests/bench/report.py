"""The table a person reads after a benchmark: its context, every variant's rate and latency, and every
ratio with its spread next to the last run's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.bench.harness import table


def variants_table(variants: dict[str, dict[str, Any]]) -> str:
    headers = ("variant (absolute numbers: context only)", "ops/round", "median ops/s", "p50 ms", "p99 ms")
    rows = [
        (
            v["label"],
            f"{v['operations_per_round']:,}",
            f"{v['median_rate']:,.0f}",
            f"{v['p50_ms']:.2f}",
            f"{v['p99_ms']:.2f}",
        )
        for v in variants.values()
    ]
    return table(headers, rows)


def ratios_table(ratios: dict[str, dict[str, Any]], previous: dict[str, Any] | None) -> str:
    last = (previous or {}).get("ratios", {})
    headers = ("ratio (same-round rates)", "median", "min", "max", "last run")
    rows = [
        (
            r["label"],
            f"{r['median']:.3f}",
            f"{r['min']:.3f}",
            f"{r['max']:.3f}",
            f"{last[key]['median']:.3f}" if key in last else "-",
        )
        for key, r in ratios.items()
    ]
    return table(headers, rows)


def render(results: dict[str, Any], previous: dict[str, Any] | None, context: Sequence[str]) -> str:
    return "\n".join(
        [
            "",
            *context,
            "",
            variants_table(results["variants"]),
            "",
            ratios_table(results["ratios"], previous),
        ]
    )
