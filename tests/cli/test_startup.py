"""Processes started together on a fresh PostgreSQL database: `db upgrade` creates every table (twice at
once is safe), the API and workers only check for them and start; without the upgrade they refuse in one
line instead of racing to create tables. `worker all` without NATS runs what it can."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_http_e2e import free_port
from tests.stores import PG_DSN, pg_schema

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]
START_S = 40.0


def keyledger(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    command = [str(Path(sys.executable).with_name("keyledger")), *args]
    return subprocess.Popen(  # noqa: S603 -- our own console script with fixed arguments
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh schema and data dir; no NATS, no Redis."""
    with pg_schema() as schema:
        base = {k: v for k, v in os.environ.items() if not k.startswith("KEYLEDGER_")}
        yield {
            **base,
            "KEYLEDGER_DATA_DIR": str(tmp_path / "data"),
            "KEYLEDGER_DATABASE_URL": f"{PG_DSN}?schema={schema}",
            "KEYLEDGER_INPROCESS_WORKERS": "false",
        }


def finish(process: subprocess.Popen[str], timeout: float = START_S) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_processes_started_together_after_one_upgrade_all_come_up(env: dict[str, str]) -> None:
    """Two concurrent upgrades both succeed; then two API processes and two `worker all` processes
    started at the same moment all come up (none crashes on a table another created)."""
    upgrades = [keyledger("db", "upgrade", env=env) for _ in range(2)]
    assert [finish(p)[0] for p in upgrades] == [0, 0]
    ports = [free_port(), free_port()]
    apis = [keyledger("serve", "--port", str(port), env=env) for port in ports]
    workers = [keyledger("worker", "all", env=env) for _ in range(2)]
    try:
        deadline = time.monotonic() + START_S
        while not all(ready(port) for port in ports):
            assert all(p.poll() is None for p in apis), [
                p.communicate()[1] for p in apis if p.poll() is not None
            ]
            assert time.monotonic() < deadline, "the API processes did not become ready"
            time.sleep(0.2)
        for worker in workers:
            assert worker.stdout is not None
            assert "skipping relay" in worker.stdout.readline()
            line = worker.stdout.readline()
            assert line.startswith("keyledger worker all: running projections"), line
    finally:
        for process in [*apis, *workers]:
            process.terminate()
        results = [finish(p) for p in [*apis, *workers]]
    assert all("Traceback" not in err for _, _, err in results), [err for _, _, err in results]


def test_without_the_upgrade_a_process_refuses_in_one_line(env: dict[str, str]) -> None:
    """On a database nobody upgraded, the API and a worker exit 1 with one line naming `db upgrade`."""
    for args in (("serve", "--port", str(free_port())), ("worker", "projections")):
        code, _, err = finish(keyledger(*args, env=env))
        assert code == 1, err
        assert err.strip().count("\n") == 0, err
        assert "keyledger db upgrade" in err
