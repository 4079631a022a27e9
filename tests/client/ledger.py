"""A small RFC 6962 log for the witness tests: roots, consistency proofs and signed checkpoints made
independently of the code under test (only the hashing primitives are shared)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyledger_verifier import Checkpoint, key_id, leaf_hash, node_hash, verifier_key_text

ORIGIN = "keyledger.test/ledger"


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root(leaves)]
    k = split(n)
    if m <= k:
        return [*subproof(m, leaves[:k], whole), root(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), root(leaves[:k])]


class Log:
    def __init__(self, key: Ed25519PrivateKey | None = None, prefix: str = "event") -> None:
        self.key = key or Ed25519PrivateKey.generate()
        self.leaves: list[bytes] = []
        self.prefix = prefix

    def grow(self, count: int) -> None:
        start = len(self.leaves)
        self.leaves += [f"{self.prefix} {i}".encode() for i in range(start, start + count)]

    @property
    def verifier_key(self) -> str:
        return verifier_key_text(ORIGIN, self.key.public_key())

    def note(self, size: int | None = None) -> str:
        size = len(self.leaves) if size is None else size
        body = Checkpoint(ORIGIN, size, root(self.leaves[:size])).body()
        raw = self.key.public_key().public_bytes_raw()
        signature = base64.b64encode(key_id(ORIGIN, raw) + self.key.sign(body.encode())).decode()
        return f"{body}\n\u2014 {ORIGIN} {signature}\n"

    def proof(self, first: int, second: int) -> list[str]:
        return [base64.b64encode(h).decode() for h in subproof(first, self.leaves[:second], True)]
