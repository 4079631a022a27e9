"""The device's key pair, which downloads are sealed to: X25519 by default, or the hybrid post-quantum
MLKEM768-X25519 (``hybrid_device_keys``) when the application asks for it. Made at the first login,
private half kept in the OS keyring (hex: 64 characters for X25519, 192 for the hybrid key), public half
sent with every login with its suite name."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from keyledger_client.credentials import DEVICE_KEY, SecretStore
from keyledger_client.hybrid_device_keys import HybridDeviceKey


@dataclass(frozen=True)
class DeviceKey:
    private: X25519PrivateKey
    suite = "X25519"

    @property
    def public_hex(self) -> str:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    @property
    def hpke_private(self) -> X25519PrivateKey:
        """The key grants are opened with."""
        return self.private

    def private_hex(self) -> str:
        return self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()

    def __repr__(self) -> str:  # never print the private half
        return f"DeviceKey(public={self.public_hex})"


AnyDeviceKey = DeviceKey | HybridDeviceKey


def load(store: SecretStore) -> AnyDeviceKey | None:
    """The stored key pair, if there is one (a damaged entry counts as none and is replaced at login)."""
    stored = store.get(DEVICE_KEY)
    if stored is None:
        return None
    try:
        if len(stored) == 64:
            return DeviceKey(X25519PrivateKey.from_private_bytes(bytes.fromhex(stored)))
        return HybridDeviceKey.from_private_hex(stored)
    except ValueError:
        return None


def load_or_create(store: SecretStore, *, post_quantum: bool = False) -> AnyDeviceKey:
    """This device's key pair; a new one is generated and stored the first time (and when
    ``post_quantum`` asks for a hybrid key where an X25519 one is stored; a hybrid key is never
    downgraded)."""
    found = load(store)
    if found is not None and (not post_quantum or isinstance(found, HybridDeviceKey)):
        return found
    key: AnyDeviceKey = HybridDeviceKey.generate() if post_quantum else DeviceKey(X25519PrivateKey.generate())
    store.put(DEVICE_KEY, key.private_hex())
    return key
