"""C2SP signed notes (Ed25519) and ``tlog-checkpoint`` bodies: parse, and open against a pinned
verifier key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keyledger_verifier.errors import BadSignature, MalformedCheckpoint
from keyledger_verifier.tree import HASH_SIZE

ED25519_TYPE = b"\x01"


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP ``tlog-checkpoint``: the log's origin, its size and its root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text that gets signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in a note text (already verified)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise MalformedCheckpoint("a checkpoint is origin, size and root hash lines")
    origin, size, root, *extensions = lines[:-1]
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size):
        raise MalformedCheckpoint("the tree size is not a decimal number")
    return Checkpoint(origin, int(size), _b64(root, HASH_SIZE), tuple(extensions))


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    def __str__(self) -> str:
        return verifier_key_text(self.name, self.public_key)


def key_id(name: str, public_raw: bytes) -> bytes:
    """C2SP key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_raw).digest()[:4]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes_raw()


def verifier_key_text(name: str, public_key: Ed25519PublicKey) -> str:
    """The C2SP verifier key ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
    raw = _raw(public_key)
    return f"{name}+{key_id(name, raw).hex()}+{base64.b64encode(ED25519_TYPE + raw).decode()}"


def _check_key_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise MalformedCheckpoint("a key name is non-empty, without spaces or '+'")


def parse_verifier_key(text: str) -> VerifierKey:
    """Reads a C2SP Ed25519 verifier key ``<name>+<hex8 key id>+<base64(0x01 || public key)>``."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise MalformedCheckpoint("a verifier key is <name>+<hex8 key id>+<base64 key>")
    name, hex_id, encoded = parts
    _check_key_name(name)
    material = _b64(encoded, 33)
    if material[:1] != ED25519_TYPE:
        raise MalformedCheckpoint("only Ed25519 verifier keys (type 0x01) are supported")
    if key_id(name, material[1:]) != bytes.fromhex(hex_id):
        raise MalformedCheckpoint("the key id does not match the key")
    return VerifierKey(name, bytes.fromhex(hex_id), Ed25519PublicKey.from_public_bytes(material[1:]))


def _b64(text: str, size: int | None = None) -> bytes:
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCheckpoint("invalid base64") from None
    if base64.b64encode(decoded).decode() != text:
        raise MalformedCheckpoint("non-canonical base64")
    if size is not None and len(decoded) != size:
        raise MalformedCheckpoint(f"expected {size} bytes of base64")
    return decoded


def _split_note(note_text: str) -> tuple[str, list[str]]:
    if any(ord(c) < 0x20 and c != "\n" for c in note_text) or not note_text.endswith("\n"):
        raise MalformedCheckpoint("a signed note has no control characters and ends in a newline")
    cut = note_text.rfind("\n\n")
    if cut < 0:
        raise MalformedCheckpoint("a signed note separates its text and signatures by a blank line")
    return note_text[: cut + 1], note_text[cut + 2 : -1].split("\n")


def open_note(note_text: str, key: VerifierKey) -> str:
    """The text of a C2SP signed note that ``key`` signed; ``BadSignature`` otherwise. Signatures by
    other keys are ignored, as the spec says."""
    text, lines = _split_note(note_text)
    verified = False
    for line in lines:
        match = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        if match is None:
            raise MalformedCheckpoint("a signature line is '— <name> <base64>'")
        signature = _b64(match.group(2))
        if match.group(1) != key.name or signature[:4] != key.key_id:
            continue
        try:
            key.public_key.verify(signature[4:], text.encode())
        except InvalidSignature:
            raise BadSignature(f"the signature by {key.name} does not verify") from None
        verified = True
    if not verified:
        raise BadSignature(f"the note is not signed by {key.name}")
    return text


def open_checkpoint(note_text: str, verifier_key: str | VerifierKey) -> Checkpoint:
    """The checkpoint in a signed note, once its signature by ``verifier_key`` verifies; its origin
    must be the key's name. Raises ``BadSignature`` or ``MalformedCheckpoint``."""
    key = parse_verifier_key(verifier_key) if isinstance(verifier_key, str) else verifier_key
    checkpoint = parse_checkpoint(open_note(note_text, key))
    if checkpoint.origin != key.name:
        raise BadSignature(f"the checkpoint is for {checkpoint.origin!r}, the key for {key.name!r}")
    return checkpoint
