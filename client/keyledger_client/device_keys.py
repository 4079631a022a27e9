"""The device's X25519 key pair: created on first login, private half kept in the OS keyring, public half
sent with every login (64 lowercase hex characters) so the server can wrap file keys to this device."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from keyledger_client.credentials import DEVICE_KEY, SecretStore


@dataclass(frozen=True)
class DeviceKey:
    private: X25519PrivateKey

    @property
    def public_hex(self) -> str:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def private_hex(self) -> str:
        return self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()

    def __repr__(self) -> str:  # never print the private half
        return f"DeviceKey(public={self.public_hex})"


def load(store: SecretStore) -> DeviceKey | None:
    """The stored key pair, if there is one (a damaged entry counts as none and is replaced at login)."""
    stored = store.get(DEVICE_KEY)
    if stored is None:
        return None
    try:
        return DeviceKey(X25519PrivateKey.from_private_bytes(bytes.fromhex(stored)))
    except ValueError:
        return None


def load_or_create(store: SecretStore) -> DeviceKey:
    """This device's key pair; a new one is generated and stored the first time."""
    found = load(store)
    if found is not None:
        return found
    key = DeviceKey(X25519PrivateKey.generate())
    store.put(DEVICE_KEY, key.private_hex())
    return key
