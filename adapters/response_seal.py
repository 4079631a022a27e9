"""AES-256-GCM for data the server must read back but never keep in clear (an idempotent response that
printed license keys, a webhook endpoint's signing secret). The key is derived from the index key for one
purpose; the associated data binds each ciphertext to the record it belongs to."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.webhook_delivery import new_secret

NONCE_BYTES = 12


class SealBroken(ValueError):
    """A ciphertext that does not open under this key and associated data."""


class AeadSeal:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key[:32])

    def seal(self, plaintext: bytes, associated: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, plaintext, associated)).decode()

    def open(self, sealed: str, associated: bytes) -> bytes:
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated)
        except (ValueError, InvalidTag):
            raise SealBroken("the sealed value does not open") from None


class WebhookSecrets:
    """Webhook signing secrets: made here, shown once, stored sealed in the endpoint's events."""

    ASSOCIATED = b"keyledger/webhook-secret"

    def __init__(self, key: bytes) -> None:
        self._seal = AeadSeal(key)

    def new(self) -> tuple[str, str]:
        """A fresh secret (``whsec_...``) and its sealed form."""
        secret = new_secret()
        return secret, self._seal.seal(secret.encode(), self.ASSOCIATED)

    def open(self, sealed: str) -> str:
        return self._seal.open(sealed, self.ASSOCIATED).decode()
