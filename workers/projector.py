"""The projection worker: catches the read models up with the ledger, woken by new writes (in-process
listener or NATS) and polling the store as a fallback. A leader lock (PostgreSQL: an advisory lock) keeps
one active instance; the tracking row's ``FOR UPDATE`` keeps even two from applying an event twice."""

from __future__ import annotations

import logging
import threading

from projections.runner import Catchup
from workers.leader import Leader, no_leader

log = logging.getLogger("keyledger.projections")
POLL_INTERVAL_S = 0.5


class ProjectionWorker:
    """Runs ``catchup`` until stopped; ``wake()`` makes it look again at once."""

    def __init__(
        self, catchup: Catchup, *, leader: Leader = no_leader, poll_interval: float = POLL_INTERVAL_S
    ) -> None:
        self.catchup = catchup
        self.leader = leader
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
        with self.leader(self.stop_event):
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
