"""The leader lock on PostgreSQL (``workers.leader.Leader``): a session advisory lock, waited for while
another process holds it, released when the connection closes (a crashed leader frees it at once)."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

POLL_INTERVAL_S = 0.5


def lock_key(name: str) -> int:
    return zlib.crc32(f"keyledger:{name}".encode())


@contextmanager
def advisory_lock(conninfo: str, name: str, stop: threading.Event) -> Iterator[None]:
    """Holds the advisory lock named ``name`` (waiting for it, until ``stop`` is set)."""
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        while not stop.is_set():
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
            if row and row[0]:
                break
            stop.wait(POLL_INTERVAL_S)
        yield
