"""Verifying the Keyledger ledger without trusting the server: RFC 6962 Merkle hashing and proofs, C2SP
signed notes and ``tlog-checkpoint`` bodies (Ed25519), and the leaf encoding. Standard library and
``cryptography`` only: the desktop witness and the auditor CLI both run this module.

Errors::

    VerificationError
    ├── ProofError            an inclusion or consistency proof does not verify
    ├── BadSignature          no valid signature by the pinned key
    ├── MalformedCheckpoint   not a signed note / checkpoint, or a malformed verifier key
    └── MalformedLeaf         leaf bytes that do not decode
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32
ED25519_TYPE = b"\x01"
LEAF_FORMAT = 1


class VerificationError(Exception):
    """Something the server sent does not verify."""


class ProofError(VerificationError):
    """An inclusion or consistency proof does not lead to the expected root."""


class BadSignature(VerificationError):
    """The note carries no valid signature by the pinned key."""


class MalformedCheckpoint(VerificationError):
    """Not a well-formed signed note, checkpoint body or verifier key."""


class MalformedLeaf(VerificationError):
    """Leaf bytes that are not a valid encoding."""


def leaf_hash(leaf_bytes: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf_bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError("hashes must be 32 bytes")


def _fold(fn: int, sn: int, seed: bytes, proof: list[bytes]) -> tuple[bytes, int]:
    """RFC 9162 §2.1.3.2: the root from ``seed`` at node ``fn`` of last node ``sn`` up through ``proof``."""
    result = seed
    for sibling in proof:
        if sn == 0:
            raise ProofError("proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result, sn


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes) -> None:
    """Raises ``ProofError`` unless ``proof`` shows leaf ``index`` with ``leaf_hash`` in the tree
    of ``size`` leaves whose root is ``root`` (RFC 9162 §2.1.3.2)."""
    _check_hashes(leaf_hash, root, *proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    computed, sn = _fold(index, size - 1, leaf_hash, proof)
    if sn != 0 or computed != root:
        raise ProofError(f"inclusion proof for leaf {index} in size {size} does not verify")


def verify_consistency(
    first_size: int, second_size: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> None:
    """Raises ``ProofError`` unless the tree of ``first_size`` leaves with ``first_root`` is a prefix
    of the tree of ``second_size`` leaves with ``second_root`` (RFC 9162 §2.1.4.2)."""
    _check_hashes(first_root, second_root, *proof)
    if not 0 <= first_size <= second_size:
        raise ProofError(f"sizes {first_size} → {second_size} go backwards")
    if first_size in (0, second_size):
        if proof:
            raise ProofError("proof must be empty")
        if first_size == second_size and first_root != second_root:
            raise ProofError(f"two different roots for size {first_size}")
        return
    if not proof:
        raise ProofError("proof is empty")
    if first_size & (first_size - 1) == 0:
        proof = [first_root, *proof]
    first, second = _fold_consistency(first_size, second_size, proof)
    if first != first_root or second != second_root:
        raise ProofError(f"consistency proof {first_size} → {second_size} does not verify")


def _fold_consistency(first_size: int, second_size: int, proof: list[bytes]) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2: both roots from a consistency proof (first element: a node of both trees)."""
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first, second = proof[0], proof[0]
    for sibling in proof[1:]:
        if sn == 0:
            raise ProofError("proof is too long")
        if fn & 1 or fn == sn:
            first, second = node_hash(sibling, first), node_hash(sibling, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("proof is too short")
    return first, second


@dataclass
class CompactRange:
    """The roots of the complete subtrees covering leaves [0, size), largest first: enough to append
    leaves and compute the root, in O(log n) memory."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, hashed: bytes) -> list[tuple[int, int, bytes]]:
        """Adds a leaf hash; returns every node it completed as (level, index, hash), the leaf first."""
        index, level = self.size, 0
        made = [(0, index, hashed)]
        while (index >> level) & 1:
            hashed = node_hash(self.hashes.pop(), hashed)
            level += 1
            made.append((level, index >> level, hashed))
        self.hashes.append(hashed)
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            result = node_hash(left, result)
        return result


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


@dataclass(frozen=True)
class Leaf:
    """One sealed event: where it sits in the store and its exact stored bytes."""

    notification_id: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


def encode_leaf(leaf: Leaf) -> bytes:
    """Leaf bytes, format 1: 0x01 || u64 notification id || u16-prefixed originator id (UTF-8) ||
    u64 originator version || u16-prefixed topic (UTF-8) || u32-prefixed state (big-endian)."""
    originator, topic = leaf.originator_id.encode(), leaf.topic.encode()
    return b"".join(
        (
            struct.pack(">BQH", LEAF_FORMAT, leaf.notification_id, len(originator)),
            originator,
            struct.pack(">QH", leaf.originator_version, len(topic)),
            topic,
            struct.pack(">I", len(leaf.state)),
            leaf.state,
        )
    )


def decode_leaf(data: bytes) -> Leaf:
    """The fields of format-1 leaf bytes; ``MalformedLeaf`` for anything else (trailing bytes too)."""
    try:
        fmt, notification_id, size = struct.unpack_from(">BQH", data, 0)
        if fmt != LEAF_FORMAT:
            raise MalformedLeaf(f"unknown leaf format {fmt}")
        at = 11 + size
        originator = data[11:at].decode()
        version, size = struct.unpack_from(">QH", data, at)
        topic = data[at + 10 : at + 10 + size].decode()
        at += 10 + size
        (size,) = struct.unpack_from(">I", data, at)
        state = data[at + 4 : at + 4 + size]
    except (struct.error, UnicodeDecodeError):
        raise MalformedLeaf("leaf bytes are truncated or not UTF-8 where text is expected") from None
    if at + 4 + size != len(data):
        raise MalformedLeaf("leaf bytes have the wrong length")
    return Leaf(notification_id, originator, version, topic, state)
