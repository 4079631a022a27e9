"""Reading an export (``keyledger_verifier.export_format``) line by line in constant memory: every leaf
against the signed checkpoint and the checkpoints held from before, or (for a replay) record by record."""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from keyledger_verifier.errors import ProofError, VerificationError
from keyledger_verifier.export_format import (
    MAGIC,
    BadSignature,
    Inconsistent,
    Malformed,
    Mismatch,
    Uncheckable,
    header_line,
    render_json,
    unb64,
)
from keyledger_verifier.leaves import decode_leaf
from keyledger_verifier.notes import Checkpoint, VerifierKey, open_checkpoint
from keyledger_verifier.tree import CompactRange, leaf_hash, verify_consistency


@dataclass(frozen=True)
class Verified:
    checkpoint: Checkpoint
    start: int
    end: int
    held: int


def _line(line: bytes | None, what: str) -> bytes:
    """The line without its newline; a missing line or newline means the export was cut short."""
    if line is None or not line.endswith(b"\n"):
        raise Malformed(f"malformed export: truncated before the {what}")
    return line[:-1]


def _text(line: bytes | None, what: str) -> str:
    try:
        return _line(line, what).decode("ascii")
    except UnicodeDecodeError:
        raise Malformed(f"malformed export: the {what} is not ASCII") from None


def _hashes(text: str, what: str) -> list[bytes]:
    try:
        found = [unb64(part) for part in text.split(",")] if text else []
    except (binascii.Error, ValueError):
        raise Malformed(f"malformed export: the {what} is not base64") from None
    if any(len(h) != 32 for h in found):
        raise Malformed(f"malformed export: the {what} holds a hash that is not 32 bytes")
    return found


def read_header(line: bytes | None) -> tuple[int, int]:
    parts = _text(line, "header").split(" ")
    if len(parts) != 5 or " ".join(parts[:2]) != MAGIC or not (parts[2].isdigit() and parts[3].isdigit()):
        raise Malformed("malformed export: not a keyledger-export 1 header")
    start, end = int(parts[2]), int(parts[3])
    if header_line(start, end) != _text(line, "header") + "\n" or start > end:
        raise Malformed("malformed export: the header's check value does not match")
    return start, end


def read_checkpoint(line: bytes | None, key: VerifierKey) -> tuple[str, Checkpoint]:
    raw = _line(line, "checkpoint")
    if not raw.startswith(b"checkpoint "):
        raise Malformed("malformed export: the second line is not the checkpoint")
    try:
        note = unb64(raw[len(b"checkpoint ") :].decode("ascii")).decode("utf-8")
        return note, open_checkpoint(note, key)
    except (binascii.Error, ValueError, VerificationError) as error:
        raise BadSignature(f"bad signature: the export's checkpoint does not verify ({error})") from None


def read_record(line: bytes | None, index: int) -> bytes:
    """The leaf bytes of the record that must be leaf ``index``; ``Mismatch`` for anything wrong."""
    raw = _line(line, f"leaf {index}")
    try:
        parts = raw.decode("ascii").split(" ", 2)
        if len(parts) != 3 or parts[0] != str(index):
            raise ValueError("not the record of this leaf")
        leaf_bytes = unb64(parts[1])
        if parts[2] != render_json(decode_leaf(leaf_bytes)):
            raise ValueError("its event JSON is not its leaf bytes decoded")
    except (binascii.Error, ValueError, VerificationError) as error:
        raise Mismatch(f"mismatch at leaf {index}: {error}") from None
    return leaf_bytes


def verify_export(stream: Iterable[bytes], key: VerifierKey, held: Iterable[str] = ()) -> Verified:
    """Checks an export line by line in constant memory; raises an ``ExportError`` subclass."""
    held = list(held)
    lines: Iterator[bytes] = iter(stream)
    start, end = read_header(next(lines, None))
    _, checkpoint = read_checkpoint(next(lines, None), key)
    if end > checkpoint.size:
        raise Malformed(f"malformed export: it ends at {end}, past its checkpoint's size {checkpoint.size}")
    root_at_end = _consistency(lines, end, checkpoint)
    tree = _left(next(lines, None), start) if start else CompactRange()
    pending = _held(held, key, checkpoint, start, end)
    _check_held(tree, pending)
    for index in range(start, end):
        tree.append(leaf_hash(read_record(next(lines, None), index)))
        _check_held(tree, pending)
    if _text(next(lines, None), "end line") != f"end {end - start}" or next(lines, None) is not None:
        raise Malformed("malformed export: it does not close with its end line")
    if tree.root() != root_at_end:
        raise Mismatch(f"mismatch: leaves [{start}, {end}) do not hash to the signed root")
    return Verified(checkpoint, start, end, len(held))


def _consistency(lines: Iterator[bytes], end: int, checkpoint: Checkpoint) -> bytes:
    if end == checkpoint.size:
        return checkpoint.root
    parts = _text(next(lines, None), "consistency proof").split(" ")
    if parts[0] != "consistency" or len(parts) not in (2, 3):
        raise Malformed("malformed export: expected the consistency line")
    root = _hashes(parts[1], "consistency root")
    if len(root) != 1:
        raise Malformed("malformed export: the consistency line holds one root")
    try:
        verify_consistency(
            end,
            checkpoint.size,
            root[0],
            checkpoint.root,
            _hashes(parts[-1] if len(parts) == 3 else "", "proof"),
        )
    except ProofError as error:
        raise Mismatch(
            f"mismatch: the export's root of size {end} is not in the signed tree ({error})"
        ) from None
    return root[0]


def _left(line: bytes | None, start: int) -> CompactRange:
    text = _text(line, "left range")
    if not text.startswith("left "):
        raise Malformed("malformed export: expected the left line")
    hashes = _hashes(text[len("left ") :], "left range")
    if len(hashes) != bin(start).count("1"):
        raise Malformed(
            f"malformed export: the left range of {start} leaves has {bin(start).count('1')} hashes"
        )
    return CompactRange(start, hashes)


def _held(
    notes: Iterable[str], key: VerifierKey, checkpoint: Checkpoint, start: int, end: int
) -> dict[int, bytes]:
    """Held checkpoints to compare as the leaves stream by, by size."""
    pending: dict[int, bytes] = {}
    for note in notes:
        try:
            held = open_checkpoint(note, key)
        except VerificationError as error:
            raise BadSignature(f"bad signature: a held checkpoint does not verify ({error})") from None
        if held.size > checkpoint.size or (held.size == checkpoint.size and held.root != checkpoint.root):
            raise Inconsistent(
                f"inconsistent: the export's checkpoint (size {checkpoint.size}) does not extend the held "
                f"checkpoint of size {held.size}: the log was forked or rolled back"
            )
        if held.size == checkpoint.size:
            continue
        if not start <= held.size <= end:
            raise Uncheckable(
                f"cannot check the held checkpoint of size {held.size}: export [{start}, {end})"
            )
        pending[held.size] = held.root
    return pending


def _check_held(tree: CompactRange, pending: dict[int, bytes]) -> None:
    expected = pending.get(tree.size)
    if expected is not None and tree.root() != expected:
        raise Inconsistent(f"inconsistent with the held checkpoint of size {tree.size}: the log was forked")


def records(stream: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(leaf index, leaf bytes) of an export from leaf 0, checked record by record but not against its
    checkpoint (``verify_export`` does that): what a replay reads."""
    lines: Iterator[bytes] = iter(stream)
    start, end = read_header(next(lines, None))
    if start != 0:
        raise Malformed("malformed export: a replay needs an export that starts at leaf 0")
    if not _line(next(lines, None), "checkpoint").startswith(b"checkpoint "):
        raise Malformed("malformed export: the second line is not the checkpoint")
    line = next(lines, None)
    if line is not None and line.startswith(b"consistency "):
        line = next(lines, None)
    for index in range(end):
        yield index, read_record(line, index)
        line = next(lines, None)
    if _text(line, "end line") != f"end {end}" or next(lines, None) is not None:
        raise Malformed("malformed export: it does not close with its end line")
