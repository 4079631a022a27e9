"""The projection worker and the relay as background threads with ``start``/``stop`` (the other workers
are threads of their own), so one process (the embedded server, or ``keyledger worker all``) can run
several and stop them cleanly."""

from __future__ import annotations

import asyncio
import threading

from workers.projector import ProjectionWorker
from workers.relay import Relay

JOIN_TIMEOUT_S = 10.0


class ThreadedProjections:
    name = "projections"

    def __init__(self, worker: ProjectionWorker) -> None:
        self.worker = worker
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = self.worker.start_thread()

    def stop(self) -> None:
        self.worker.stop()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)


class ThreadedRelay:
    name = "relay"

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self.relay.run())
        self._loop.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="keyledger-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.relay.stop)
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
