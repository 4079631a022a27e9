"""Secrets kept as files in the data dir, created with 0600 permissions: the HMAC master key
(``index.key``) and Ed25519 private keys in PEM."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

INDEX_KEY_FILE = "index.key"


class KeyFileError(RuntimeError):
    """A key file that is missing, unreadable or malformed."""


def write_secret(path: Path, content: bytes) -> bool:
    """Creates ``path`` with ``content`` readable by its owner only; False if it already exists. The key
    is written and synced under a temporary name and then linked into place, so processes starting
    together never read a half-written key: each sees no file or the whole of one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return False
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def generate_index_key(data_dir: Path) -> bool:
    """Writes a new HMAC master key unless one exists; returns whether it wrote one."""
    return write_secret(data_dir / INDEX_KEY_FILE, secrets.token_hex(32).encode() + b"\n")


def load_index_key(data_dir: Path) -> bytes:
    """The HMAC master key, generated on first use."""
    path = data_dir / INDEX_KEY_FILE
    if not path.exists():
        generate_index_key(data_dir)
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as error:
        raise KeyFileError(f"cannot read the index key {path}: {error}") from None


def generate_ed25519_pem(path: Path) -> bool:
    """Writes a new Ed25519 private key (PKCS#8 PEM) unless ``path`` exists; returns whether it wrote one."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return write_secret(path, pem)


def load_ed25519_pem(path: Path, what: str) -> Ed25519PrivateKey:
    """The Ed25519 private key at ``path``, generated on first use."""
    if not path.exists():
        generate_ed25519_pem(path)
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"cannot read the {what} {path}: {error}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return private
