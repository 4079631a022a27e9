"""The Ed25519 key that signs access tokens and leases: ``signing-ed25519.pem`` in the data dir, generated
(0600) on first run."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.keyfiles import generate_ed25519_pem, load_ed25519_pem

SIGNING_KEY_FILE = "signing-ed25519.pem"


def generate_signing_key(data_dir: Path) -> bool:
    """Writes a new signing key unless one exists; returns whether it wrote one."""
    return generate_ed25519_pem(data_dir / SIGNING_KEY_FILE)


def load_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """The signing key in the data dir, generated on first use."""
    return load_ed25519_pem(data_dir / SIGNING_KEY_FILE, "signing key")
