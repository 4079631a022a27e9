"""Summaries the harness does not have: latency ratios within a round, p95, and CPU time per operation."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from tests.bench.harness import Sample, percentile


def latency_ratio(
    rounds: list[dict[str, Sample]], numerator: str, denominator: str, share: float
) -> dict[str, Any]:
    """``numerator``'s latency percentile ÷ ``denominator``'s, per round; median, min and max (the same
    shape as ``harness.summarise_ratio``, so ``report.ratios_table`` prints it)."""
    ratios = [
        percentile(r[numerator].latencies, share) / percentile(r[denominator].latencies, share)
        for r in rounds
    ]
    return {
        "numerator": numerator,
        "denominator": denominator,
        "statistic": f"p{round(share * 100)} latency",
        "per_round": [round(x, 4) for x in ratios],
        "median": round(statistics.median(ratios), 4),
        "min": round(min(ratios), 4),
        "max": round(max(ratios), 4),
    }


def latency_ms(samples: list[Sample], share: float) -> float:
    """A latency percentile over every operation of every round, in milliseconds."""
    return round(percentile([x for s in samples for x in s.latencies], share) * 1000, 3)


def cpu_ratio(per_op: dict[str, list[float]], numerator: str, denominator: str) -> dict[str, Any]:
    """CPU time per operation, ``numerator`` ÷ ``denominator``, per round; median, min and max. A round
    whose baseline used no measurable CPU (a clock tick is 10 ms: smoke runs) gives no ratio."""
    pairs = zip(per_op[numerator], per_op[denominator], strict=True)
    ratios = [a / b for a, b in pairs if b > 0] or [float("nan")]
    return {
        "numerator": numerator,
        "denominator": denominator,
        "statistic": "CPU time per operation",
        "per_round": [round(x, 4) for x in ratios],
        "median": round(statistics.median(ratios), 4),
        "min": round(min(ratios), 4),
        "max": round(max(ratios), 4),
    }


def with_cpu(
    run: Callable[[], Sample], clock: Callable[[], float], per_op: list[float]
) -> Callable[[], Sample]:
    """``run``, appending its CPU seconds per operation (as ``clock`` counts them) to ``per_op``."""

    def measured() -> Sample:
        began = clock()
        sample = run()
        per_op.append((clock() - began) / sample.operations)
        return sample

    return measured
