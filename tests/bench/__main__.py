"""``python -m tests.bench`` (``make bench``): every benchmark, one after another, or those named
(``python -m tests.bench w3``)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tests.bench import w3_commands

BENCHMARKS: dict[str, Callable[[], None]] = {w3_commands.NAME: w3_commands.main}


def main(names: list[str]) -> None:
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
    for name, run in BENCHMARKS.items():
        if not names or name in names:
            run()


if __name__ == "__main__":
    main(sys.argv[1:])
