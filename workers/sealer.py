"""The sealer: appends every committed event, in seal order, as an RFC 6962 leaf, and has the notary
sign a checkpoint of the new tree in the same transaction. Woken by writes in this process and polling
otherwise, it signs a new checkpoint within a second of the log growing.

"Not yet sealed" is an anti-join (events without a leaf), never "above the last id": an event that
commits after a higher id was sealed is still found. Each pass looks above a floor — the highest id
sealed at least ``settle_s`` ago — and every ``sweep_s`` (and at start) over the whole log, so even a
transaction that stays open for minutes is sealed once it commits. One active sealer per store
(a leader lock: PostgreSQL's advisory lock); the tree's constraints make a second one fail rather than
seal twice. The tree store and the notary are ports (``SealingTree``, ``CheckpointSigner``), implemented by
``adapters.merkle_store`` and ``adapters.notary``."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from keyledger_verifier import Checkpoint, CompactRange, Leaf, encode_leaf, leaf_hash

from workers.leader import Leader, no_leader

log = logging.getLogger("keyledger.sealer")
POLL_INTERVAL_S = 0.25
COALESCE_S = 0.2  # commits landing within this share one sealing pass (keeps the 1 s checkpoint bound)
SETTLE_S = 30.0
SWEEP_S = 300.0
BATCH = 2000


class SealingTree(Protocol):
    """The Merkle tree beside the events, in the transaction ``writing()`` opens (``tx`` is its handle)."""

    def writing(self) -> AbstractContextManager[Any]: ...

    def size(self, tx: Any) -> int: ...

    def frontier(self, tx: Any, size: int) -> CompactRange: ...

    def unsealed(self, tx: Any, floor: int, limit: int) -> list[Leaf]: ...

    def append(self, tx: Any, frontier: CompactRange, entries: Sequence[tuple[int, bytes]]) -> bytes: ...

    def add_checkpoint(self, tx: Any, size: int, root: bytes, note: str, signed_at: str) -> None: ...

    def max_sealed(self, tx: Any) -> int: ...


class CheckpointSigner(Protocol):
    @property
    def origin(self) -> str: ...

    def sign(self, checkpoint: Checkpoint) -> str:
        """The C2SP signed note of ``checkpoint``."""
        ...


class Sealer:
    name = "sealer"

    def __init__(
        self,
        tree: SealingTree,
        notary: CheckpointSigner,
        clock: Callable[[], datetime],
        *,
        leader: Leader = no_leader,
        poll_interval: float = POLL_INTERVAL_S,
        settle_s: float = SETTLE_S,
        sweep_s: float = SWEEP_S,
    ) -> None:
        self.tree, self.notary, self.clock, self.leader = tree, notary, clock, leader
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
            with self.tree.writing() as tx:
                size = self.tree.size(tx)
                if self._frontier is None or self._frontier.size != size:
                    self._frontier = self.tree.frontier(tx, size)
                leaves = self.tree.unsealed(tx, floor, limit)
                if leaves:
                    entries = [(leaf.notification_id, leaf_hash(encode_leaf(leaf))) for leaf in leaves]
                    root = self.tree.append(tx, self._frontier, entries)
                    checkpoint = Checkpoint(self.notary.origin, self._frontier.size, root)
                    note = self.notary.sign(checkpoint)
                    self.tree.add_checkpoint(tx, checkpoint.size, root, note, self.clock().isoformat())
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
        with self.leader(self._stop):
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
