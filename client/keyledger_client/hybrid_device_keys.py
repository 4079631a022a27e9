"""An optional post-quantum device key: MLKEM768-X25519, the hybrid HPKE KEM that protects downloads even
against a future quantum computer as long as either half holds. The X25519 ``DeviceKey`` stays the default.

    public half   ML-KEM-768 encapsulation key (1184 bytes) ‖ X25519 public key (32 bytes) = 1216 bytes,
                  registered as 2432 lowercase hex characters
    private half  ML-KEM-768 seed (64 bytes) ‖ X25519 private key (32 bytes), kept hex in the OS keyring
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.hpke import MLKEM768X25519PrivateKey

SEED_LENGTH = 64


@dataclass(frozen=True)
class HybridDeviceKey:
    mlkem: MLKEM768PrivateKey
    x25519: X25519PrivateKey
    suite = "MLKEM768_X25519"

    @classmethod
    def generate(cls) -> HybridDeviceKey:
        return cls(MLKEM768PrivateKey.generate(), X25519PrivateKey.generate())

    @classmethod
    def from_private_hex(cls, stored: str) -> HybridDeviceKey:
        """The key pair from its stored form; ``ValueError`` if damaged."""
        raw = bytes.fromhex(stored)
        if len(raw) != SEED_LENGTH + 32:
            raise ValueError("a stored hybrid device key is 96 bytes")
        return cls(
            MLKEM768PrivateKey.from_seed_bytes(raw[:SEED_LENGTH]),
            X25519PrivateKey.from_private_bytes(raw[SEED_LENGTH:]),
        )

    @property
    def private(self) -> MLKEM768X25519PrivateKey:
        """The key HPKE opens grants with."""
        return MLKEM768X25519PrivateKey(self.mlkem, self.x25519)

    @property
    def hpke_private(self) -> MLKEM768X25519PrivateKey:
        return self.private

    @property
    def public_bytes(self) -> bytes:
        return self.mlkem.public_key().public_bytes_raw() + self.x25519.public_key().public_bytes_raw()

    @property
    def public_hex(self) -> str:
        return self.public_bytes.hex()

    def private_hex(self) -> str:
        return (self.mlkem.private_bytes_raw() + self.x25519.private_bytes_raw()).hex()

    def __repr__(self) -> str:  # never print the private half
        return f"HybridDeviceKey(public={self.public_hex[:16]}…)"
