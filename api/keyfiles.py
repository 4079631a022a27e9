"""Secrets kept as files in the data dir, created with 0600 permissions."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

INDEX_KEY_FILE = "index.key"


class KeyFileError(RuntimeError):
    """A key file that is missing, unreadable or malformed."""


def write_secret(path: Path, content: bytes) -> bool:
    """Creates ``path`` with ``content`` readable by its owner only; False if it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
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
