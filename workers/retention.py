"""The retention worker: once an hour (and at start) destroys the keys of UTC days whose personal data
(addresses that failed logins, anonymous requests) has passed the retention period. The sweep itself is
given by the composition root; one active instance per store (a leader lock)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from workers.leader import Leader, no_leader

log = logging.getLogger("keyledger.retention")
SWEEP_INTERVAL_S = 3600.0


class Retention:
    name = "retention"

    def __init__(
        self, sweep: Callable[[], int], leader: Leader = no_leader, interval_s: float = SWEEP_INTERVAL_S
    ) -> None:
        self.sweep, self.leader, self.interval_s = sweep, leader, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        with self.leader(self._stop):
            while not self._stop.is_set():
                try:
                    destroyed = self.sweep()
                    if destroyed:
                        log.info("destroyed %d expired day keys", destroyed)
                except Exception:  # a store outage must not kill the worker: log, wait, retry
                    log.exception("the personal-data retention sweep failed; retrying")
                self._stop.wait(self.interval_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="keyledger-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
