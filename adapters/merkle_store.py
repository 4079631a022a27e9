"""The Merkle tree beside the events: which event sits at which leaf (``ledger_leaves``), every complete
subtree's hash by (level, index) (``ledger_nodes``, leaves at level 0), and every signed checkpoint
(``ledger_checkpoints``). Appends are exactly once: a leaf index and a notification id each appear once
(primary key and unique constraint), so a second sealer can only fail, never double-seal."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from uuid import UUID

from keyledger_verifier import CompactRange, Leaf

from adapters import merkle_spans as merkle
from adapters.ledger_db import LedgerDb
from adapters.sql import Tx

LEAVES, NODES, CHECKPOINTS = "ledger_leaves", "ledger_nodes", "ledger_checkpoints"
TREE_TABLES = (LEAVES, NODES, CHECKPOINTS)


def tree_ddl(dialect: str) -> list[str]:
    blob = "BYTEA" if dialect == "postgres" else "BLOB"
    return [
        f"CREATE TABLE IF NOT EXISTS {LEAVES} (leaf_index BIGINT PRIMARY KEY, "
        "notification_id BIGINT NOT NULL UNIQUE)",
        f"CREATE TABLE IF NOT EXISTS {NODES} (level INTEGER NOT NULL, idx BIGINT NOT NULL, "
        f"hash {blob} NOT NULL, PRIMARY KEY (level, idx))",
        f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (tree_size BIGINT PRIMARY KEY, root {blob} NOT NULL, "
        "note TEXT NOT NULL, signed_at TEXT NOT NULL)",
    ]


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str


class TreeStore:
    def __init__(self, db: LedgerDb) -> None:
        self.db = db
        names = (db.id_column, "originator_id", "originator_version", "topic", "state")
        self._columns = ", ".join(f"e.{name}" for name in names)

    def reading(self) -> AbstractContextManager[Tx]:
        return self.db.read()

    def writing(self) -> AbstractContextManager[Tx]:
        return self.db.write()

    def close(self) -> None:
        self.db.close()

    def create_tables(self) -> None:
        with self.db.write() as tx:
            for statement in tree_ddl(self.db.dialect):
                tx.execute(statement)

    def size(self, tx: Tx) -> int:
        row = tx.one(f"SELECT MAX(leaf_index) FROM {LEAVES}")
        return 0 if row is None or row[0] is None else int(row[0]) + 1

    def max_sealed(self, tx: Tx) -> int:
        row = tx.one(f"SELECT MAX(notification_id) FROM {LEAVES}")
        return 0 if row is None or row[0] is None else int(row[0])

    def nodes(self, tx: Tx, wanted: set[merkle.Node]) -> dict[merkle.Node, bytes]:
        """The stored hashes of ``wanted`` nodes (KeyError later if one is missing)."""
        found: dict[merkle.Node, bytes] = {}
        ordered = sorted(wanted)
        for at in range(0, len(ordered), 100):
            chunk = ordered[at : at + 100]
            where = " OR ".join("(level = ? AND idx = ?)" for _ in chunk)
            params = [value for node in chunk for value in node]
            for level, idx, hashed in tx.all(f"SELECT level, idx, hash FROM {NODES} WHERE {where}", params):
                found[(int(level), int(idx))] = bytes(hashed)
        return found

    def frontier(self, tx: Tx, size: int) -> CompactRange:
        """The compact range of the first ``size`` leaves, from the stored nodes."""
        wanted = merkle.subtrees(0, size)
        stored = self.nodes(tx, set(wanted))
        return CompactRange(size, [stored[node] for node in wanted])

    def unsealed(self, tx: Tx, floor: int, limit: int) -> list[Leaf]:
        """Events above ``floor`` with no leaf yet, by notification id: an anti-join, so an event that
        committed after a higher id was sealed is still found."""
        ident = self.db.id_column
        rows = tx.all(
            f"SELECT {self._columns} "
            f"FROM {self.db.events_table} e WHERE e.{ident} > ? AND NOT EXISTS "
            f"(SELECT 1 FROM {LEAVES} l WHERE l.notification_id = e.{ident}) ORDER BY e.{ident} LIMIT ?",
            [floor, limit],
        )
        return [to_leaf(row) for row in rows]

    def unsealed_after(self, tx: Tx, after: int, holes: Sequence[int], limit: int) -> list[Leaf]:
        """Events above ``after`` (the highest id sealed) or at one of ``holes`` (ids below it that had no
        event when the sealer passed them), by notification id: a range scan of what is new plus a probe
        per hole, instead of an anti-join over a window of the log."""
        ident, probe = self.db.id_column, ", ".join("?" for _ in holes)
        also = f" OR e.{ident} IN ({probe})" if holes else ""
        rows = tx.all(
            f"SELECT {self._columns} FROM {self.db.events_table} e WHERE (e.{ident} > ?{also}) "
            f"AND NOT EXISTS (SELECT 1 FROM {LEAVES} l WHERE l.notification_id = e.{ident}) "
            f"ORDER BY e.{ident} LIMIT ?",
            [after, *holes, limit],
        )
        return [to_leaf(row) for row in rows]

    def count_unsealed(self, tx: Tx) -> int:
        ident = self.db.id_column
        row = tx.one(
            f"SELECT COUNT(*) FROM {self.db.events_table} e WHERE NOT EXISTS "
            f"(SELECT 1 FROM {LEAVES} l WHERE l.notification_id = e.{ident})"
        )
        return int(row[0]) if row else 0

    def checkpoint_notes(self, tx: Tx) -> list[str]:
        return [str(row[0]) for row in tx.all(f"SELECT note FROM {CHECKPOINTS} ORDER BY tree_size")]

    def append(self, tx: Tx, frontier: CompactRange, entries: Sequence[tuple[int, bytes]]) -> bytes:
        """Appends (notification id, leaf hash) pairs at the end of the tree; returns the new root."""
        first = frontier.size
        made = [node for _, hashed in entries for node in frontier.append(hashed)]
        leaves = [(first + offset, nid) for offset, (nid, _) in enumerate(entries)]
        tx.batch(  # one COPY per table on PostgreSQL for a pass of any size
            [
                (f"INSERT INTO {LEAVES} (leaf_index, notification_id) VALUES (?, ?)", leaves),
                (f"INSERT INTO {NODES} (level, idx, hash) VALUES (?, ?, ?)", made),
            ]
        )
        return frontier.root()

    def add_checkpoint(self, tx: Tx, size: int, root: bytes, note: str, signed_at: str) -> None:
        tx.execute(
            f"INSERT INTO {CHECKPOINTS} (tree_size, root, note, signed_at) VALUES (?, ?, ?, ?)",
            [size, root, note, signed_at],
        )

    def latest_checkpoint(self, tx: Tx) -> StoredCheckpoint | None:
        row = tx.one(
            f"SELECT tree_size, root, note, signed_at FROM {CHECKPOINTS} ORDER BY tree_size DESC LIMIT 1"
        )
        return None if row is None else StoredCheckpoint(int(row[0]), bytes(row[1]), row[2], row[3])

    def hashes(self, tx: Tx, spans: list[merkle.Span]) -> list[bytes]:
        """The hashes of leaf ranges (a proof's elements), from O(log n) stored nodes each."""
        return merkle.resolve(spans, self.nodes(tx, merkle.nodes_for(spans)))

    def root(self, tx: Tx, size: int) -> bytes:
        return self.hashes(tx, [(0, size)])[0]

    def inclusion_proof(self, tx: Tx, index: int, size: int) -> list[bytes]:
        """RFC 6962 PATH(index, D[size]) from the stored nodes."""
        return self.hashes(tx, merkle.inclusion_spans(index, size))

    def consistency_proof(self, tx: Tx, first: int, second: int) -> list[bytes]:
        """RFC 6962 PROOF(first, D[second]) from the stored nodes."""
        return self.hashes(tx, merkle.consistency_spans(first, second))

    def sealed_leaves(self, tx: Tx, start: int, end: int) -> list[tuple[int, Leaf]]:
        """(leaf index, leaf) for leaves [start, end), in leaf order."""
        ident = self.db.id_column
        rows = tx.all(
            f"SELECT l.leaf_index, {self._columns} FROM {LEAVES} l JOIN {self.db.events_table} e "
            f"ON e.{ident} = l.notification_id WHERE l.leaf_index >= ? AND l.leaf_index < ? "
            "ORDER BY l.leaf_index",
            [start, end],
        )
        return [(int(row[0]), to_leaf(row[1:])) for row in rows]

    def sealed_hashes(self, tx: Tx, start: int, end: int) -> dict[int, tuple[int, bytes]]:
        """For leaves [start, end): leaf index -> (the notification id sealed there, the leaf hash stored
        when it was sealed) — from the tree alone, whatever became of the events since."""
        rows = tx.all(
            f"SELECT l.leaf_index, l.notification_id, n.hash FROM {LEAVES} l JOIN {NODES} n "
            "ON n.level = 0 AND n.idx = l.leaf_index WHERE l.leaf_index >= ? AND l.leaf_index < ?",
            [start, end],
        )
        return {int(index): (int(nid), bytes(hashed)) for index, nid, hashed in rows}

    def history(self, tx: Tx, aggregate_id: UUID) -> list[tuple[int | None, Leaf]]:
        """(leaf index or None if not sealed yet, leaf) of every event of one aggregate, by version."""
        ident = self.db.id_column
        rows = tx.all(
            f"SELECT l.leaf_index, {self._columns} FROM {self.db.events_table} e LEFT JOIN {LEAVES} l "
            f"ON l.notification_id = e.{ident} WHERE e.originator_id = ? ORDER BY e.originator_version",
            [self.db.originator(aggregate_id)],
        )
        return [(None if row[0] is None else int(row[0]), to_leaf(row[1:])) for row in rows]


def to_leaf(row: Sequence[object]) -> Leaf:
    """A leaf from an events-table row (notification id, originator id, version, topic, state)."""
    nid, originator, version, topic, state = row
    ident = originator if isinstance(originator, UUID) else UUID(str(originator))
    if not isinstance(state, bytes | memoryview | bytearray):
        raise TypeError("stored state is not bytes")
    return Leaf(int(str(nid)), str(ident), int(str(version)), str(topic), bytes(state))
