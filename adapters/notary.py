"""The notary: signs C2SP ``tlog-checkpoint`` bodies as C2SP signed notes with the log's Ed25519 key.
The key name is the checkpoint's origin line, so a verifier key pins both."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from keyledger_verifier import Checkpoint, VerifierKey, key_id, verifier_key_text
from keyledger_verifier.notes import ED25519_TYPE


class SignerKeyError(ValueError):
    """A signer key that is not ``PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>``."""


@dataclass(frozen=True)
class Notary:
    origin: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        if not self.origin or any(c.isspace() or c == "+" for c in self.origin):
            raise SignerKeyError("the checkpoint origin is a key name: no spaces or '+'")

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> bytes:
        return key_id(self.origin, self.public_key.public_bytes_raw())

    def verifier_key(self) -> VerifierKey:
        return VerifierKey(self.origin, self.key_id, self.public_key)

    def verifier_key_text(self) -> str:
        """``<origin>+<hex8 key id>+<base64(0x01 || public key)>``, the form a witness pins."""
        return verifier_key_text(self.origin, self.public_key)

    def sign(self, checkpoint: Checkpoint) -> str:
        """The signed note of ``checkpoint`` (its origin must be ours)."""
        if checkpoint.origin != self.origin:
            raise SignerKeyError(f"this notary signs for {self.origin!r}")
        return sign_note(checkpoint.body(), self.origin, self.private_key)


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """A C2SP signed note: ``text``, a blank line and one Ed25519 signature line."""
    raw = private_key.public_key().public_bytes_raw()
    signature = key_id(name, raw) + private_key.sign(text.encode())
    return f"{text}\n\u2014 {name} {base64.b64encode(signature).decode()}\n"


def signer_key_text(name: str, private_key: Ed25519PrivateKey) -> str:
    """The Go ``note`` signer key form ``PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>``."""
    raw = private_key.public_key().public_bytes_raw()
    seed = private_key.private_bytes_raw()
    return f"PRIVATE+KEY+{name}+{key_id(name, raw).hex()}+{base64.b64encode(ED25519_TYPE + seed).decode()}"


def parse_signer_key(text: str) -> tuple[str, Ed25519PrivateKey]:
    """(key name, private key) of a signer key; the key id must match."""
    match = re.fullmatch(r"PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+(\S+)", text.strip())
    if match is None:
        raise SignerKeyError("a signer key is PRIVATE+KEY+<name>+<hex8 key id>+<base64 key>")
    name, hex_id, encoded = match.groups()
    try:
        material = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise SignerKeyError("the signer key is not base64") from None
    if len(material) != 33 or material[:1] != ED25519_TYPE:
        raise SignerKeyError("only Ed25519 signer keys (type 0x01, 32-byte seed) are supported")
    private = Ed25519PrivateKey.from_private_bytes(material[1:])
    if key_id(name, private.public_key().public_bytes_raw()).hex() != hex_id:
        raise SignerKeyError("the signer key's id does not match its key")
    return name, private
