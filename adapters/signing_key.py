"""The Ed25519 keys that sign access tokens and leases, in the data dir: ``signing-ed25519.pem`` (the
current key, generated (0600) on first run) and, during a rotation, ``signing-ed25519.next.pem`` (published
in the signed key set before it signs anything) and ``signing-ed25519.previous.pem`` (the key rotated out,
which still vouches for the key set so that clients that trusted only it learn the current one)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.keyfiles import KeyFileError, generate_ed25519_pem, load_ed25519_pem, write_secret

SIGNING_KEY_FILE = "signing-ed25519.pem"
NEXT_SIGNING_KEY_FILE = "signing-ed25519.next.pem"
PREVIOUS_SIGNING_KEY_FILE = "signing-ed25519.previous.pem"


def generate_signing_key(data_dir: Path) -> bool:
    """Writes a new signing key unless one exists; returns whether it wrote one."""
    return generate_ed25519_pem(data_dir / SIGNING_KEY_FILE)


def load_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """The signing key in the data dir, generated on first use."""
    return load_ed25519_pem(data_dir / SIGNING_KEY_FILE, "signing key")


def load_rotation_key(data_dir: Path, name: str) -> Ed25519PrivateKey | None:
    """The next or previous signing key (``NEXT_SIGNING_KEY_FILE``, ``PREVIOUS_SIGNING_KEY_FILE``), or
    None when there is none: these are never generated on first use."""
    path = data_dir / name
    return load_ed25519_pem(path, "signing key") if path.exists() else None


def generate_next_signing_key(data_dir: Path) -> bool:
    """Writes the next signing key unless one is waiting; returns whether it wrote one."""
    return generate_ed25519_pem(data_dir / NEXT_SIGNING_KEY_FILE)


def promote_next_signing_key(data_dir: Path) -> None:
    """The rotation: the current key becomes the previous one, the next key the current one. The current
    key is copied aside before the next one replaces it (one atomic rename), so a crash in between leaves
    a data dir where running this again finishes the rotation."""
    current, waiting = data_dir / SIGNING_KEY_FILE, data_dir / NEXT_SIGNING_KEY_FILE
    if not waiting.exists():
        raise KeyFileError(f"no next signing key to rotate to: create {waiting.name} first (keys next)")
    previous = data_dir / PREVIOUS_SIGNING_KEY_FILE
    previous.unlink(missing_ok=True)
    write_secret(previous, current.read_bytes())
    os.replace(waiting, current)
