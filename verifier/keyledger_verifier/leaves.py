"""The leaf encoding: one sealed event as bytes (format 1), and back."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from keyledger_verifier.errors import MalformedLeaf

LEAF_FORMAT = 1


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
