"""The Ed25519 key that signs ledger checkpoints: a ``PRIVATE+KEY+<origin>+<hex8>+<base64>`` signer key
when one is given (``KEYLEDGER_CHECKPOINT_SIGNER_KEY``), else ``checkpoint-ed25519.pem`` in the data dir,
generated (0600) on first use. Its name is the configured origin line."""

from __future__ import annotations

from pathlib import Path

from adapters.keyfiles import KeyFileError, generate_ed25519_pem, load_ed25519_pem
from adapters.notary import Notary, SignerKeyError, parse_signer_key

CHECKPOINT_KEY_FILE = "checkpoint-ed25519.pem"


def generate_checkpoint_key(data_dir: Path) -> bool:
    """Writes a new checkpoint key unless one exists; returns whether it wrote one."""
    return generate_ed25519_pem(data_dir / CHECKPOINT_KEY_FILE)


def load_notary(origin: str, data_dir: Path, signer_key: str | None = None) -> Notary:
    """The notary for ``origin``: from ``signer_key`` (whose name must be the origin) if given, else from
    the key file in ``data_dir``."""
    if signer_key is None:
        return Notary(origin, load_ed25519_pem(data_dir / CHECKPOINT_KEY_FILE, "checkpoint key"))
    try:
        name, private = parse_signer_key(signer_key)
    except SignerKeyError as error:
        raise KeyFileError(f"KEYLEDGER_CHECKPOINT_SIGNER_KEY: {error}") from None
    if name != origin:
        raise KeyFileError(f"the checkpoint signer key is named {name!r}, the origin is {origin!r}")
    return Notary(name, private)
