"""RFC 6962 / RFC 9162 Merkle hashing: leaf and node hashes, inclusion and consistency proof checks, and
the compact range that appends leaves in O(log n) memory."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from keyledger_verifier.errors import ProofError

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


def leaf_hash(leaf_bytes: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf_bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError("hashes must be 32 bytes")


def _fold(fn: int, sn: int, seed: bytes, proof: list[bytes]) -> tuple[bytes, int]:
    """RFC 9162 §2.1.3.2: the root from ``seed`` at node ``fn`` of last node ``sn`` up through ``proof``."""
    result = seed
    for sibling in proof:
        if sn == 0:
            raise ProofError("proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result, sn


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes) -> None:
    """Raises ``ProofError`` unless ``proof`` shows leaf ``index`` with ``leaf_hash`` in the tree
    of ``size`` leaves whose root is ``root`` (RFC 9162 §2.1.3.2)."""
    _check_hashes(leaf_hash, root, *proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    computed, sn = _fold(index, size - 1, leaf_hash, proof)
    if sn != 0 or computed != root:
        raise ProofError(f"inclusion proof for leaf {index} in size {size} does not verify")


def verify_consistency(
    first_size: int, second_size: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> None:
    """Raises ``ProofError`` unless the tree of ``first_size`` leaves with ``first_root`` is a prefix
    of the tree of ``second_size`` leaves with ``second_root`` (RFC 9162 §2.1.4.2)."""
    _check_hashes(first_root, second_root, *proof)
    if not 0 <= first_size <= second_size:
        raise ProofError(f"sizes {first_size} → {second_size} go backwards")
    if first_size in (0, second_size):
        if proof:
            raise ProofError("proof must be empty")
        if first_size == second_size and first_root != second_root:
            raise ProofError(f"two different roots for size {first_size}")
        return
    if not proof:
        raise ProofError("proof is empty")
    if first_size & (first_size - 1) == 0:
        proof = [first_root, *proof]
    first, second = _fold_consistency(first_size, second_size, proof)
    if first != first_root or second != second_root:
        raise ProofError(f"consistency proof {first_size} → {second_size} does not verify")


def _fold_consistency(first_size: int, second_size: int, proof: list[bytes]) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2: both roots from a consistency proof (first element: a node of both trees)."""
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first, second = proof[0], proof[0]
    for sibling in proof[1:]:
        if sn == 0:
            raise ProofError("proof is too long")
        if fn & 1 or fn == sn:
            first, second = node_hash(sibling, first), node_hash(sibling, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("proof is too short")
    return first, second


@dataclass
class CompactRange:
    """The roots of the complete subtrees covering leaves [0, size), largest first: enough to append
    leaves and compute the root, in O(log n) memory."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, hashed: bytes) -> list[tuple[int, int, bytes]]:
        """Adds a leaf hash; returns every node it completed as (level, index, hash), the leaf first."""
        index, level = self.size, 0
        made = [(0, index, hashed)]
        while (index >> level) & 1:
            hashed = node_hash(self.hashes.pop(), hashed)
            level += 1
            made.append((level, index >> level, hashed))
        self.hashes.append(hashed)
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            result = node_hash(left, result)
        return result
