"""Argon2id password hashing (argon2-cffi), the ledger's ``PasswordHasher``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from api.settings import Settings

T = TypeVar("T")


class Argon2Hasher:
    """Hashes with Argon2id; ``dummy_verify`` spends one verification's time on a fixed hash."""

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy = self._hasher.hash("keyledger dummy password")

    @classmethod
    def from_settings(cls, settings: Settings) -> Argon2Hasher:
        return cls(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, password: str) -> None:
        self.verify(self._dummy, password)


class HashingBusy(Exception):
    """Every hashing slot is taken: the caller should answer 503 at once rather than queue."""


class GatedHasher:
    """Caps concurrent hashing: a hash or verify beyond the cap fails fast with ``HashingBusy``."""

    def __init__(self, inner: Argon2Hasher, slots: int) -> None:
        self._inner = inner
        self._slots = threading.BoundedSemaphore(slots)

    def _run(self, work: Callable[[], T]) -> T:
        if not self._slots.acquire(blocking=False):
            raise HashingBusy
        try:
            return work()
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        return self._run(lambda: self._inner.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        return self._run(lambda: self._inner.verify(password_hash, password))

    def dummy_verify(self, password: str) -> None:
        self._run(lambda: self._inner.dummy_verify(password))
