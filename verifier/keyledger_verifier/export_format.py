"""The ledger export format (docs/ledger.md), written by ``GET /ledger/export`` and read by
``keyledger-audit`` and ``keyledger ledger verify``. One record per line (ASCII)::

    keyledger-export 1 <start> <end> <check>       check = SHA-256("keyledger-export 1 <start> <end>")[:4] hex
    checkpoint <base64 signed note>                 the latest checkpoint, of size N >= end
    consistency <base64 root(end)> <base64,...>     only if end < N: root of [0, end) and proof end -> N
    left <base64,...>                               only if start > 0: compact range of [0, start)
    <index> <base64 leaf bytes> <event JSON>        one per leaf, start .. end - 1
    end <count>

This module writes the lines; ``keyledger_verifier.export`` reads and checks them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from keyledger_verifier.leaves import Leaf

MAGIC = "keyledger-export 1"


class ExportError(Exception):
    """Verification stopped; ``exit_code`` is what ``keyledger-audit`` exits with."""

    exit_code = 1


class Malformed(ExportError):
    exit_code = 3


class BadSignature(ExportError):
    exit_code = 4


class Mismatch(ExportError):
    exit_code = 5


class Inconsistent(ExportError):
    exit_code = 6


class Uncheckable(ExportError):
    exit_code = 7


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    """Strict base64: only the canonical encoding of some bytes is accepted (binascii.Error otherwise)."""
    decoded = base64.b64decode(text, validate=True)
    if b64(decoded) != text:
        raise binascii.Error("non-canonical base64")
    return decoded


def header_line(start: int, end: int) -> str:
    head = f"{MAGIC} {start} {end}"
    return f"{head} {hashlib.sha256(head.encode()).hexdigest()[:8]}\n"


def state_json(state: bytes) -> Any:
    """The stored state parsed as JSON (``None`` if it is not JSON, e.g. encrypted)."""
    try:
        return json.loads(state)
    except ValueError:
        return None


def leaf_json(leaf: Leaf) -> dict[str, Any]:
    """The decoded event shown beside the leaf bytes: a pure function of them, so it can be checked."""
    return {
        "position": leaf.notification_id,
        "aggregate_id": leaf.originator_id,
        "version": leaf.originator_version,
        "topic": leaf.topic,
        "state": state_json(leaf.state),
    }


def render_json(leaf: Leaf) -> str:
    """The canonical rendering: compact separators, ASCII escapes, keys in stored order."""
    return json.dumps(leaf_json(leaf), separators=(",", ":"), ensure_ascii=True)


def record_line(index: int, leaf_bytes: bytes, leaf: Leaf) -> str:
    return f"{index} {b64(leaf_bytes)} {render_json(leaf)}\n"


@dataclass(frozen=True)
class Frame:
    """What an export states before its records: its range, the signed checkpoint (of ``size``), the
    root of [0, end) with its consistency proof to ``size``, and the compact range of [0, start)."""

    start: int
    end: int
    note: str
    size: int
    root_at_end: bytes
    proof: list[bytes]
    left: list[bytes]


def frame_lines(frame: Frame) -> str:
    """Everything before the first record."""
    lines = header_line(frame.start, frame.end) + f"checkpoint {b64(frame.note.encode())}\n"
    if frame.end < frame.size:
        lines += (
            f"consistency {b64(frame.root_at_end)} {','.join(b64(h) for h in frame.proof)}".rstrip() + "\n"
        )
    if frame.start > 0:
        lines += f"left {','.join(b64(h) for h in frame.left)}\n"
    return lines


def end_line(count: int) -> str:
    return f"end {count}\n"
