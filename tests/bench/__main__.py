"""``python -m tests.bench`` (``make bench``): every benchmark, one after another, or those named
(``python -m tests.bench w3``)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tests.bench import (
    w1_heartbeats,
    w3_commands,
    w4_projections,
    w5_ledger,
    w6_limits,
    w7_passwords,
    w8_files,
    w9_tokens,
    w10_nats,
)

BENCHMARKS: dict[str, Callable[[], None]] = {
    w1_heartbeats.NAME: w1_heartbeats.main,
    w3_commands.NAME: w3_commands.main,
    w4_projections.NAME: w4_projections.main,
    w5_ledger.NAME: w5_ledger.main,
    w7_passwords.NAME: w7_passwords.main,
    w8_files.NAME: w8_files.main,
    w9_tokens.NAME: w9_tokens.main,
    w10_nats.NAME: w10_nats.main,
    w6_limits.NAME: w6_limits.main,
}


def main(names: list[str]) -> None:
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
    for name, run in BENCHMARKS.items():
        if not names or name in names:
            run()


if __name__ == "__main__":
    main(sys.argv[1:])
