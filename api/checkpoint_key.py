"""The Ed25519 key that signs ledger checkpoints: ``KEYLEDGER_CHECKPOINT_SIGNER_KEY`` (the
``PRIVATE+KEY+<origin>+<hex8>+<base64>`` signer form) when set, else ``checkpoint-ed25519.pem`` in the
data dir, generated (0600) on first use. Its name is the configured origin line."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.keyfiles import KeyFileError, write_secret
from api.settings import Settings
from workers.notary import Notary, SignerKeyError, parse_signer_key

CHECKPOINT_KEY_FILE = "checkpoint-ed25519.pem"


def generate_checkpoint_key(data_dir: Path) -> bool:
    """Writes a new checkpoint key unless one exists; returns whether it wrote one."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return write_secret(data_dir / CHECKPOINT_KEY_FILE, pem)


def _from_file(data_dir: Path) -> Ed25519PrivateKey:
    path = data_dir / CHECKPOINT_KEY_FILE
    if not path.exists():
        generate_checkpoint_key(data_dir)
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise KeyFileError(f"cannot read the checkpoint key {path}: {error}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return private


def load_notary(settings: Settings) -> Notary:
    """The notary for these settings (the signer key's name must be the origin)."""
    given = settings.checkpoint_signer_key
    if given is None:
        return Notary(settings.ledger_origin, _from_file(settings.data_dir))
    try:
        name, private = parse_signer_key(given.get_secret_value())
    except SignerKeyError as error:
        raise KeyFileError(f"KEYLEDGER_CHECKPOINT_SIGNER_KEY: {error}") from None
    if name != settings.ledger_origin:
        raise KeyFileError(
            f"the checkpoint signer key is named {name!r}, the origin is {settings.ledger_origin!r}"
        )
    return Notary(name, private)
