"""The projection worker: catches the read models up with the ledger, woken by new writes (in-process
listener or NATS) and polling the store as a fallback. On PostgreSQL an advisory lock keeps one active
instance; the tracking row's ``FOR UPDATE`` keeps even two from applying an event twice."""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from projections.runner import Catchup

log = logging.getLogger("keyledger.projections")
POLL_INTERVAL_S = 0.5


@contextmanager
def advisory_lock(conninfo: str | None, name: str, stop: threading.Event) -> Iterator[None]:
    """Holds a PostgreSQL session advisory lock named ``name`` (waiting for it); nothing on SQLite."""
    if conninfo is None:
        yield
        return
    key = zlib.crc32(f"keyledger:{name}".encode())
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        while not stop.is_set():
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if row and row[0]:
                break
            stop.wait(POLL_INTERVAL_S)
        yield


class ProjectionWorker:
    """Runs ``catchup`` until stopped; ``wake()`` makes it look again at once."""

    def __init__(
        self, catchup: Catchup, *, lock_conninfo: str | None = None, poll_interval: float = POLL_INTERVAL_S
    ) -> None:
        self.catchup = catchup
        self.lock_conninfo = lock_conninfo
        self.poll_interval = poll_interval
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self.caught_up = threading.Condition()

    def wake(self, _: int | None = None) -> None:
        self._wake.set()

    def stop(self) -> None:
        self.stop_event.set()
        self._wake.set()

    def run(self) -> None:
        schema = getattr(self.catchup.store, "schema", "")
        with advisory_lock(self.lock_conninfo, f"projections:{schema}", self.stop_event):
            while not self.stop_event.is_set():
                self._wake.clear()
                try:
                    self.catchup.catch_up()
                except Exception:  # a store outage must not kill the worker: log, wait, retry
                    log.exception("projection catch-up failed; retrying")
                with self.caught_up:
                    self.caught_up.notify_all()
                self._wake.wait(self.poll_interval)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="keyledger-projections", daemon=True)
        thread.start()
        return thread
