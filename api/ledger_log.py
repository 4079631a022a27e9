"""The verifiable ledger as the API sees it: the latest signed checkpoint, proofs, the streamed export
and an aggregate's sealed history. Reads only; the sealer (a worker) writes the tree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from keyledger_verifier import Leaf, VerifierKey, encode_leaf, verifier_key_text
from keyledger_verifier.export_format import Frame, end_line, frame_lines, record_line

from api.event_data import event_json
from domain.ledger.service import Ledger
from workers import merkle
from workers.merkle_store import StoredCheckpoint, TreeStore

EXPORT_BATCH = 1000


class ProofUnavailable(ValueError):
    """Sizes or indexes outside the signed tree."""


@dataclass(frozen=True)
class HistoryEntry:
    event: dict[str, Any]
    leaf_index: int | None
    at: datetime


class LedgerLog:
    def __init__(self, tree: TreeStore, key: VerifierKey, ledger: Ledger) -> None:
        self.tree, self.key, self.ledger = tree, key, ledger

    def verifier_key(self) -> str:
        return verifier_key_text(self.key.name, self.key.public_key)

    def checkpoint(self) -> StoredCheckpoint | None:
        with self.tree.db.read() as tx:
            return self.tree.latest_checkpoint(tx)

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
        with self.tree.db.read() as tx:
            [(_, leaf)] = self.tree.sealed_leaves(tx, index, index + 1)
            return encode_leaf(leaf), self.tree.hashes(tx, merkle.inclusion_spans(index, tree_size))

    def consistency(self, first: int, second: int) -> list[bytes]:
        if not 0 <= first <= second <= self._signed_size():
            raise ProofUnavailable(f"need 0 <= first <= second <= {self._signed_size()} (signed)")
        with self.tree.db.read() as tx:
            return self.tree.hashes(tx, merkle.consistency_spans(first, second))

    def frame(self, start: int, end: int | None) -> Frame:
        """What an export of [start, end) states before its records (end defaults to the latest size)."""
        with self.tree.db.read() as tx:
            latest = self.tree.latest_checkpoint(tx)
            if latest is None:
                raise ProofUnavailable("nothing is sealed yet")
            end = latest.size if end is None else end
            if not 0 <= start <= end <= latest.size:
                raise ProofUnavailable(f"need 0 <= start <= end <= {latest.size} (signed)")
            proof_spans = merkle.consistency_spans(end, latest.size)
            root, *proof = self.tree.hashes(tx, [(0, end), *proof_spans])
            left_nodes = merkle.subtrees(0, start)
            stored = self.tree.nodes(tx, set(left_nodes))
        left = [stored[node] for node in left_nodes]
        return Frame(start, end, latest.note, latest.size, root, proof, left)

    def export(self, frame: Frame) -> Iterator[str]:
        """The export's lines, read in batches (constant memory; the sealed part never changes)."""
        yield frame_lines(frame)
        for at in range(frame.start, frame.end, EXPORT_BATCH):
            with self.tree.db.read() as tx:
                batch = self.tree.sealed_leaves(tx, at, min(at + EXPORT_BATCH, frame.end))
            yield "".join(record_line(index, encode_leaf(leaf), leaf) for index, leaf in batch)
        yield end_line(frame.end - frame.start)

    def history(self, aggregate_id: UUID) -> list[HistoryEntry]:
        """Every stored event of one aggregate, decoded, with its leaf index (None until sealed)."""
        with self.tree.db.read() as tx:
            found = self.tree.history(tx, aggregate_id)
        return [self._entry(index, leaf) for index, leaf in found]

    def _entry(self, index: int | None, leaf: Leaf) -> HistoryEntry:
        stored = StoredEvent(UUID(leaf.originator_id), leaf.originator_version, leaf.topic, leaf.state)
        event: Any = self.ledger.mapper.to_domain_event(stored)
        return HistoryEntry(event_json(event, leaf.notification_id), index, event.timestamp)
