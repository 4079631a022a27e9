"""Fakes for pure unit tests: a fast password hasher and deterministic randomness."""

from __future__ import annotations

import hashlib
import random


class FastHasher:
    """A SHA-256 stand-in for Argon2id, so domain tests run in microseconds."""

    def __init__(self) -> None:
        self.dummy_calls = 0

    def hash(self, password: str) -> str:
        return "fake$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == self.hash(password)

    def dummy_verify(self, password: str) -> None:
        self.dummy_calls += 1


class SeededEntropy:
    """``secrets.token_bytes`` with a seed."""

    def __init__(self, seed: int = 7) -> None:
        self._random = random.Random(seed)

    def __call__(self, n: int) -> bytes:
        return self._random.randbytes(n)
