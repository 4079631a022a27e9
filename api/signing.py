"""The Ed25519 key that signs access tokens and leases: generated into the data dir (0600) on first
run, published as a JWK."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from api.keyfiles import KeyFileError, write_secret

SIGNING_KEY_FILE = "signing-ed25519.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    kid: str

    @classmethod
    def from_private(cls, private: Ed25519PrivateKey) -> SigningKey:
        public = private.public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(private, public, b64url(hashlib.sha256(raw).digest())[:16])

    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def jwk(self) -> dict[str, Any]:
        """The public key as an RFC 8037 OKP JWK."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(self.public_raw()),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }


def generate_signing_key(data_dir: Path) -> bool:
    """Writes a new signing key unless one exists; returns whether it wrote one."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return write_secret(data_dir / SIGNING_KEY_FILE, pem)


def load_signing_key(data_dir: Path) -> SigningKey:
    """The signing key in the data dir, generated on first use."""
    path = data_dir / SIGNING_KEY_FILE
    if not path.exists():
        generate_signing_key(data_dir)
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"cannot read the signing key {path}: {error}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return SigningKey.from_private(private)
