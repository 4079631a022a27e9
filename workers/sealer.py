"""The sealer: appends every committed event, in seal order, as an RFC 6962 leaf, and has the notary
sign a checkpoint of the new tree in the same transaction. Woken by writes in this process and polling
otherwise, it signs a new checkpoint within a second of the log growing.

"Not yet sealed" is an anti-join (events without a leaf), never "above the last id": an event that
commits after a higher id was sealed is still found. Each pass looks above a floor — the highest id
sealed at least ``settle_s`` ago — and every ``sweep_s`` (and at start) over the whole log, so even a
transaction that stays open for minutes is sealed once it commits. One active sealer per store
(PostgreSQL advisory lock); the tree's constraints make a second one fail rather than seal twice."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from keyledger_verifier import Checkpoint, CompactRange, encode_leaf, leaf_hash

from workers.merkle_store import StoredCheckpoint, TreeStore
from workers.notary import Notary
from workers.projector import advisory_lock

log = logging.getLogger("keyledger.sealer")
POLL_INTERVAL_S = 0.25
COALESCE_S = 0.2  # commits landing within this share one sealing pass (keeps the 1 s checkpoint bound)
SETTLE_S = 30.0
SWEEP_S = 300.0
BATCH = 2000


class Sealer:
    name = "sealer"

    def __init__(
        self,
        tree: TreeStore,
        notary: Notary,
        clock: Callable[[], datetime],
        *,
        poll_interval: float = POLL_INTERVAL_S,
        settle_s: float = SETTLE_S,
        sweep_s: float = SWEEP_S,
    ) -> None:
        self.tree, self.notary, self.clock = tree, notary, clock
        self.poll_interval, self.settle_s, self.sweep_s = poll_interval, settle_s, sweep_s
        self._frontier: CompactRange | None = None
        self._marks: deque[tuple[float, int]] = deque()
        self._last_sweep = -float("inf")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def _floor(self) -> int:
        """Below this notification id every event was sealed long enough ago (0: sweep everything)."""
        now = time.monotonic()
        if now - self._last_sweep >= self.sweep_s:
            self._last_sweep = now
            return 0
        floor = 0
        while self._marks and self._marks[0][0] <= now - self.settle_s:
            floor = self._marks.popleft()[1]
        if floor:
            self._marks.appendleft((now - self.settle_s, floor))
        return floor

    def seal_once(self, limit: int = BATCH) -> int:
        """One transaction: up to ``limit`` unsealed events become leaves, plus a signed checkpoint."""
        floor = self._floor()
        try:
            with self.tree.db.write() as tx:
                size = self.tree.size(tx)
                if self._frontier is None or self._frontier.size != size:
                    self._frontier = self.tree.frontier(tx, size)
                leaves = self.tree.unsealed(tx, floor, limit)
                if leaves:
                    entries = [(leaf.notification_id, leaf_hash(encode_leaf(leaf))) for leaf in leaves]
                    root = self.tree.append(tx, self._frontier, entries)
                    checkpoint = Checkpoint(self.notary.origin, self._frontier.size, root)
                    signed_at = self.clock().isoformat()
                    stored = StoredCheckpoint(checkpoint.size, root, self.notary.sign(checkpoint), signed_at)
                    self.tree.add_checkpoint(tx, stored)
                self._marks.append((time.monotonic(), self.tree.max_sealed(tx)))
        except BaseException:
            self._frontier = None  # the transaction rolled back: reload the tree next time
            raise
        return len(leaves)

    def seal_all(self) -> int:
        """Seals until nothing is left; returns how many leaves it appended."""
        total = 0
        while (count := self.seal_once()) > 0:
            total += count
        return total

    def wake(self, _: int | None = None) -> None:
        self._wake.set()

    def run(self) -> None:
        with advisory_lock(self.tree.db.lock_conninfo, self.tree.db.lock_name, self._stop):
            while not self._stop.is_set():
                self._stop.wait(COALESCE_S)  # let a burst of commits land in one checkpoint
                self._wake.clear()
                try:
                    self.seal_all()
                except Exception:  # a store outage must not kill the worker: log, wait, retry
                    log.exception("sealing failed; retrying")
                self._wake.wait(self.poll_interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="keyledger-sealer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
