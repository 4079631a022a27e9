"""Every benchmark runs end to end in smoke mode (tiny counts, its figures meaningless), so that a refactor
can never silently break one; and the benchmark document is generated from the result files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench import doc
from tests.bench.__main__ import BENCHMARKS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_the_benchmark_runs_in_smoke_mode(name: str, tmp_path: Path) -> None:
    """``python -m tests.bench NAME`` exits 0 and writes its result file, with ratios and the run's facts."""
    env = {**os.environ, "KEYLEDGER_BENCH_SMOKE": "1", "KEYLEDGER_BENCH_RESULTS": str(tmp_path)}
    done = subprocess.run(  # noqa: S603 -- this interpreter, a fixed module and a known name
        [sys.executable, "-m", "tests.bench", name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
    assert result["ratios"]
    assert result["run"]["smoke"] is True
    assert result["run"]["cores"] == os.cpu_count()
    document = doc.render({name: result})
    assert result["run"]["commit"] in document
