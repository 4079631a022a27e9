"""The sealer: appends every committed event, in seal order, as an RFC 6962 leaf, and has the notary
sign a checkpoint of the new tree in the same transaction. Woken by writes in this process and polling
otherwise, it signs a new checkpoint within a second of the log growing.

"Not yet sealed" is never only "above the last id": an event that commits after a higher id was sealed
is still found. Each pass reads what is above the highest id sealed and probes the *holes* — ids below
it that had no event when a pass went by them (a transaction still open, or rolled back) — for up to
``settle_s``; every ``sweep_s`` (and at start) an anti-join over the whole log finds anything later, so
even a transaction that stays open for minutes is sealed once it commits. A pass costs the new rows and
the holes, not a window of the log (issue #14: the sealer's share of a 2-core machine is the writers'
loss). One active sealer per store
(a leader lock: PostgreSQL's advisory lock); the tree's constraints make a second one fail rather than
seal twice. The tree store and the notary are ports (``SealingTree``, ``CheckpointSigner``), implemented by
``adapters.merkle_store`` and ``adapters.notary``."""

from __future__ import annotations

import logging
import threading
import time
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
MAX_HOLES = 1000  # more open or rolled-back ids than this: the pass falls back to the full anti-join


class SealingTree(Protocol):
    """The Merkle tree beside the events, in the transaction ``writing()`` opens (``tx`` is its handle)."""

    def writing(self) -> AbstractContextManager[Any]: ...

    def size(self, tx: Any) -> int: ...

    def frontier(self, tx: Any, size: int) -> CompactRange: ...

    def unsealed(self, tx: Any, floor: int, limit: int) -> list[Leaf]: ...

    def unsealed_after(self, tx: Any, after: int, holes: Sequence[int], limit: int) -> list[Leaf]: ...

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
        self._holes: dict[int, float] = {}  # id below sealed_through with no event yet -> first seen
        self._last_sweep = -float("inf")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.sealed_through = 0  # the highest notification id sealed, as of the last pass

    def _sweeping(self) -> bool:
        """Whether this pass reads the whole log (at start, every ``sweep_s``, when holes overflow)."""
        now = time.monotonic()
        if now - self._last_sweep >= self.sweep_s or len(self._holes) > MAX_HOLES:
            self._last_sweep = now
            self._holes.clear()
            return True
        for hole, seen in list(self._holes.items()):
            if seen <= now - self.settle_s:
                del self._holes[hole]  # the next sweep finds it if it ever commits
        return False

    def _unsealed(self, tx: Any, limit: int) -> list[Leaf]:
        if self._sweeping():
            return self.tree.unsealed(tx, 0, limit)
        return self.tree.unsealed_after(tx, self.sealed_through, sorted(self._holes), limit)

    def _note_holes(self, before: int, found: list[int]) -> None:
        """Ids between the highest id sealed before the pass and the new one that no event holds yet
        become holes (gaps past ``MAX_HOLES`` are left to the sweep)."""
        for nid in found:
            self._holes.pop(nid, None)
        now, previous = time.monotonic(), before
        for nid in sorted(n for n in found if n > before):
            if nid - previous - 1 + len(self._holes) > MAX_HOLES:
                return
            for hole in range(previous + 1, nid):
                self._holes.setdefault(hole, now)
            previous = nid

    def seal_once(self, limit: int = BATCH) -> int:
        """One transaction: up to ``limit`` unsealed events become leaves, plus a signed checkpoint."""
        try:
            with self.tree.writing() as tx:
                before = self.sealed_through = self.tree.max_sealed(tx)
                size = self.tree.size(tx)
                if self._frontier is None or self._frontier.size != size:
                    self._frontier = self.tree.frontier(tx, size)
                leaves = self._unsealed(tx, limit)
                if leaves:
                    entries = [(leaf.notification_id, leaf_hash(encode_leaf(leaf))) for leaf in leaves]
                    root = self.tree.append(tx, self._frontier, entries)
                    checkpoint = Checkpoint(self.notary.origin, self._frontier.size, root)
                    note = self.notary.sign(checkpoint)
                    self.tree.add_checkpoint(tx, checkpoint.size, root, note, self.clock().isoformat())
                self.sealed_through = max([before, *(leaf.notification_id for leaf in leaves)])
        except BaseException:
            self._frontier = None  # the transaction rolled back: reload the tree next time
            raise
        self._note_holes(before, [leaf.notification_id for leaf in leaves])
        return len(leaves)

    def seal_all(self) -> int:
        """Seals until nothing is left; returns how many leaves it appended. A pass that found fewer than
        a batch found everything there was: no empty pass (one more transaction) to confirm it."""
        total = 0
        while (count := self.seal_once()) > 0:
            total += count
            if count < BATCH:
                break
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
