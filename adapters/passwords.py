"""Argon2id password hashing (argon2-cffi), the ledger's ``PasswordHasher`` port, with the hash sealed
before it enters an event and the number of concurrent hashes capped."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.credentials import HashingBusy

T = TypeVar("T")


SEALED_PREFIX = "sealed:v1:"
SEAL_CONTEXT = b"keyledger/password-hash"


class PasswordSeal:
    """AES-256-GCM around a password hash, so the hash stored in events (and in ledger exports handed to
    auditors) is useless without the server's key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key[:32])

    def seal(self, password_hash: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, password_hash.encode(), SEAL_CONTEXT)
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, stored: str) -> str | None:
        if not stored.startswith(SEALED_PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(stored[len(SEALED_PREFIX) :])
            return self._aead.decrypt(raw[:12], raw[12:], SEAL_CONTEXT).decode()
        except (ValueError, InvalidTag):
            return None


class Argon2Hasher:
    """Hashes with Argon2id and seals the hash; ``dummy_verify`` spends one verification's time."""

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int, seal: PasswordSeal) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._seal = seal
        self._dummy = self.hash("keyledger dummy password")

    def hash(self, password: str) -> str:
        return self._seal.seal(self._hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        opened = self._seal.open(password_hash)
        if opened is None:
            return False
        try:
            return self._hasher.verify(opened, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, password: str) -> None:
        self.verify(self._dummy, password)


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
