"""The verifiable ledger as the API sees it: the latest signed checkpoint, proofs, the streamed export
and an aggregate's sealed history. Reads only; the sealer (a worker) writes the tree. The tree is a port
(``SealedTree``), implemented by ``adapters.merkle_store``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from keyledger_verifier import CompactRange, Leaf, VerifierKey, encode_leaf, verifier_key_text
from keyledger_verifier.export_format import Frame, end_line, frame_lines, record_line

from api.event_data import event_json
from domain.ledger.service import Ledger

EXPORT_BATCH = 1000
RECENT_S = 0.25  # how old a checkpoint a heartbeat may hand out (the sealer signs at most every 0.2 s)


class ProofUnavailable(ValueError):
    """Sizes or indexes outside the signed tree."""


class SignedCheckpoint(Protocol):
    @property
    def size(self) -> int: ...

    @property
    def root(self) -> bytes: ...

    @property
    def note(self) -> str: ...

    @property
    def signed_at(self) -> str: ...


class SealedTree(Protocol):
    """The Merkle tree beside the events, read in the transaction ``reading()`` opens (``tx``)."""

    def reading(self) -> AbstractContextManager[Any]: ...

    def latest_checkpoint(self, tx: Any) -> SignedCheckpoint | None: ...

    def sealed_leaves(self, tx: Any, start: int, end: int) -> list[tuple[int, Leaf]]: ...

    def inclusion_proof(self, tx: Any, index: int, size: int) -> list[bytes]: ...

    def consistency_proof(self, tx: Any, first: int, second: int) -> list[bytes]: ...

    def root(self, tx: Any, size: int) -> bytes: ...

    def frontier(self, tx: Any, size: int) -> CompactRange: ...

    def history(self, tx: Any, aggregate_id: UUID) -> list[tuple[int | None, Leaf]]: ...


@dataclass(frozen=True)
class HistoryEntry:
    event: dict[str, Any]
    leaf_index: int | None
    at: datetime


class LedgerLog:
    def __init__(self, tree: SealedTree, key: VerifierKey, ledger: Ledger) -> None:
        self.tree, self.key, self.ledger = tree, key, ledger
        self._recent: tuple[float, SignedCheckpoint | None] = (-RECENT_S, None)
        self._lock = threading.Lock()

    def verifier_key(self) -> str:
        return verifier_key_text(self.key.name, self.key.public_key)

    def checkpoint(self) -> SignedCheckpoint | None:
        with self.tree.reading() as tx:
            return self.tree.latest_checkpoint(tx)

    def recent_checkpoint(self) -> SignedCheckpoint | None:
        """The latest signed checkpoint as of at most ``RECENT_S`` ago: what every heartbeat carries, read
        from the tree a few times a second rather than once per heartbeat (any signed checkpoint is one a
        witness can check; the newest is served by ``/ledger/checkpoint``)."""
        read_at, found = self._recent
        if time.monotonic() - read_at < RECENT_S:
            return found
        with self._lock:
            read_at, found = self._recent
            if time.monotonic() - read_at >= RECENT_S:
                found = self.checkpoint()
                self._recent = (time.monotonic(), found)
        return found

    def latest_checkpoint(self) -> str | None:
        """The latest signed checkpoint note (what a heartbeat hands to its witness), or None."""
        found = self.checkpoint()
        return None if found is None else found.note

    def _signed_size(self) -> int:
        found = self.checkpoint()
        return 0 if found is None else found.size

    def inclusion(self, index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
        """The leaf bytes at ``index`` and its inclusion proof in the tree of ``tree_size`` leaves."""
        if not 0 <= index < tree_size <= self._signed_size():
            raise ProofUnavailable(f"need 0 <= index < tree_size <= {self._signed_size()} (signed)")
        with self.tree.reading() as tx:
            [(_, leaf)] = self.tree.sealed_leaves(tx, index, index + 1)
            return encode_leaf(leaf), self.tree.inclusion_proof(tx, index, tree_size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        if not 0 <= first <= second <= self._signed_size():
            raise ProofUnavailable(f"need 0 <= first <= second <= {self._signed_size()} (signed)")
        with self.tree.reading() as tx:
            return self.tree.consistency_proof(tx, first, second)

    def frame(self, start: int, end: int | None) -> Frame:
        """What an export of [start, end) states before its records (end defaults to the latest size)."""
        with self.tree.reading() as tx:
            latest = self.tree.latest_checkpoint(tx)
            if latest is None:
                raise ProofUnavailable("nothing is sealed yet")
            end = latest.size if end is None else end
            if not 0 <= start <= end <= latest.size:
                raise ProofUnavailable(f"need 0 <= start <= end <= {latest.size} (signed)")
            root = self.tree.root(tx, end)
            proof = self.tree.consistency_proof(tx, end, latest.size)
            left = self.tree.frontier(tx, start).hashes
        return Frame(start, end, latest.note, latest.size, root, proof, left)

    def export(self, frame: Frame) -> Iterator[str]:
        """The export's lines, read in batches (constant memory; the sealed part never changes)."""
        yield frame_lines(frame)
        for at in range(frame.start, frame.end, EXPORT_BATCH):
            with self.tree.reading() as tx:
                batch = self.tree.sealed_leaves(tx, at, min(at + EXPORT_BATCH, frame.end))
            yield "".join(record_line(index, encode_leaf(leaf), leaf) for index, leaf in batch)
        yield end_line(frame.end - frame.start)

    def history(self, aggregate_id: UUID) -> list[HistoryEntry]:
        """Every stored event of one aggregate, decoded, with its leaf index (None until sealed)."""
        with self.tree.reading() as tx:
            found = self.tree.history(tx, aggregate_id)
        return [self._entry(index, leaf) for index, leaf in found]

    def _entry(self, index: int | None, leaf: Leaf) -> HistoryEntry:
        stored = StoredEvent(UUID(leaf.originator_id), leaf.originator_version, leaf.topic, leaf.state)
        event: Any = self.ledger.mapper.to_domain_event(stored)
        return HistoryEntry(event_json(event, leaf.notification_id), index, event.timestamp)
