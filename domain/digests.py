"""Keyed digests: index ids, stored secrets and hardware components never appear as bare hashes.

One master key is passed in; each purpose derives its own subkey, so a digest made for one purpose
can never be mistaken for another.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

MIN_KEY_BYTES = 32


class Digests:
    """HMAC-SHA256 under per-purpose subkeys of one master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) < MIN_KEY_BYTES:
            raise ValueError(f"the index key must be at least {MIN_KEY_BYTES} bytes")
        self._master = master_key
        self._subkeys: dict[str, bytes] = {}

    def _subkey(self, purpose: str) -> bytes:
        if purpose not in self._subkeys:
            self._subkeys[purpose] = hmac.digest(self._master, b"keyledger/" + purpose.encode(), "sha256")
        return self._subkeys[purpose]

    def key_for(self, purpose: str) -> bytes:
        """A 32-byte key for ``purpose``, derived from the master key (for encryption at the edges)."""
        return self._subkey(f"key/{purpose}")

    def digest(self, purpose: str, value: str) -> str:
        """The hex HMAC of ``value`` for ``purpose``."""
        return hmac.new(self._subkey(purpose), value.encode(), hashlib.sha256).hexdigest()

    def index_id(self, purpose: str, value: str) -> UUID:
        """A deterministic aggregate id for ``value`` (an RFC 4122 version-8 UUID)."""
        raw = bytearray(bytes.fromhex(self.digest(purpose, value))[:16])
        raw[6] = (raw[6] & 0x0F) | 0x80
        raw[8] = (raw[8] & 0x3F) | 0x80
        return UUID(bytes=bytes(raw))

    @staticmethod
    def same(a: str, b: str) -> bool:
        """Constant-time equality of two digests."""
        return hmac.compare_digest(a, b)
