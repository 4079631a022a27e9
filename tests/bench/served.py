"""A benchmark's app served by uvicorn in a child process on a private loopback port (bound to port 0, so
the kernel picks a free one), so the load generator in this process and the server do not share one GIL.
The child builds the app itself (``build(config)`` must be a module-level function and ``config``
picklable), reports the port and whatever ``build`` returns for the parent, and serves until the parent
sends it SIGTERM (uvicorn's graceful shutdown, lifespan included)."""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
BACKLOG = 2048

Build = Callable[[Any], tuple[FastAPI, Any]]

# The benchmark's clients all come from one address: limits high enough never to refuse them (the limiter
# still runs on every request, as in production).
UNLIMITED_LOGIN, UNLIMITED_API = "1000000/300", "100000000/60"


@dataclass(frozen=True)
class Served:
    """The running child: its base URL, its pid (for its CPU time) and what its ``build`` returned."""

    url: str
    pid: int
    info: Any

    def cpu_seconds(self) -> float:
        """User + system CPU time of the whole server process so far (every thread)."""
        return process_cpu_seconds(self.pid)


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` from /proc (Linux), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime field 14 and stime field 15 (1-based, proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child(build: Build, config: Any, conn: Connection) -> None:
    try:
        app, info = build(config)
        # proto must say TCP: asyncio sets TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP, and
        # without it every response written in two parts waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(BACKLOG)
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", backlog=BACKLOG)
        )
    except BaseException as error:
        conn.send(("error", repr(error), None))
        raise
    conn.send(("ready", sock.getsockname()[1], info))
    conn.close()
    server.run(sockets=[sock])


def _wait_healthy(url: str, child: multiprocessing.process.BaseProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not child.is_alive():
            raise RuntimeError("the benchmark server exited before it served")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the benchmark server did not answer /healthz in time")


@contextmanager
def serving(build: Build, config: Any) -> Iterator[Served]:
    """Starts the child, waits for /healthz, yields; then stops the child (SIGTERM, then SIGKILL)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(build, config, theirs), name="keyledger-bench-server")
    child.start()
    theirs.close()
    try:
        if not ours.poll(START_TIMEOUT_S):
            raise RuntimeError("the benchmark server did not report its port in time")
        status, port, info = ours.recv()
        if status != "ready":
            raise RuntimeError(f"the benchmark server failed to start: {port}")
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, child)
        assert child.pid is not None
        yield Served(url, child.pid, info)
    finally:
        ours.close()
        if child.is_alive():
            child.terminate()
            child.join(STOP_TIMEOUT_S)
        if child.is_alive():
            child.kill()
            child.join(STOP_TIMEOUT_S)
