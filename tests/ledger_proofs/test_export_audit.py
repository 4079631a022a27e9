"""``keyledger-audit verify`` on exports: every mutation of an export (a flipped bit anywhere, a deleted,
inserted, duplicated or swapped line, a truncation) is caught with the exit code its place in the format
calls for; a forked or rolled-back log is inconsistent with checkpoints held from before."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keyledger_verifier import audit_cli, decode_leaf, encode_leaf
from keyledger_verifier.export_format import render_json

from tests.ledger_proofs.sealing import Sealed, populate, sealed
from tests.stores import make_ledger, sqlite_env

MALFORMED, BAD_SIGNATURE, MISMATCH, INCONSISTENT, UNCHECKABLE = 3, 4, 5, 6, 7


def open_chain(directory: Path) -> Sealed:
    directory.mkdir(parents=True, exist_ok=True)
    return sealed(make_ledger(sqlite_env(directory)))


@pytest.fixture(scope="module")
def exported() -> Iterator[tuple[Path, bytes]]:
    """One sealed SQLite ledger of 12 events, its verifier key file and its full export (built once)."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        chain = open_chain(directory)
        populate(chain.ledger, 3)
        chain.sealer.seal_all()
        (directory / "key").write_text(chain.notary.verifier_key_text())
        export = chain.export_text().encode()
        chain.close()
        chain.ledger.close()
        yield directory, export


def audit(directory: Path, export: bytes, *held: str) -> tuple[int, str]:
    """Runs ``keyledger-audit verify`` on ``export``; its exit code and message."""
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".txt") as handle:
        handle.write(export)
        handle.flush()
        args = ["verify", handle.name, "--key", str(directory / "key")]
        for number, note in enumerate(held):
            (directory / f"held{number}").write_text(note)
            args += ["--held", str(directory / f"held{number}")]
        with pytest.MonkeyPatch.context() as patch:
            messages: list[str] = []
            patch.setattr("builtins.print", lambda *a, **_: messages.append(" ".join(map(str, a))))
            code = audit_cli.main(args)
    return code, messages[-1]


def expected_for_line(lines: list[bytes], number: int, content: bytes) -> tuple[int, str]:
    """What the verifier must say when line ``number`` is the first damaged one and now reads
    ``content``: header 3; checkpoint 4 (3 if it lost its keyword); record j 5 at leaf j; end line 3."""
    if number == 0:
        return MALFORMED, "malformed"
    if number == 1:
        return (BAD_SIGNATURE, "bad signature") if content.startswith(b"checkpoint ") else (MALFORMED, "")
    if number < len(lines) - 1:
        return MISMATCH, f"mismatch at leaf {number - 2}:"
    return MALFORMED, "malformed"


def test_the_untouched_export_verifies(exported: tuple[Path, bytes]) -> None:
    """The export as served verifies: exit 0 and one line naming its size."""
    directory, export = exported
    code, message = audit(directory, export)
    assert (code, message.startswith("verified: leaves [0, 12)")) == (0, True)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_flipped_bit_is_caught(exported: tuple[Path, bytes], data: st.DataObject) -> None:
    """A bit flipped anywhere gives the exit code of the line it landed in (a leaf names its index)."""
    directory, export = exported
    offset = data.draw(st.integers(0, len(export) - 1))
    bit = data.draw(st.integers(0, 7))
    mutated = bytearray(export)
    mutated[offset] ^= 1 << bit
    lines = export.splitlines(keepends=True)
    number = export[:offset].count(b"\n")
    changed = bytes(mutated).splitlines(keepends=True)[number] if number < len(lines) else b""
    code, message = audit(directory, bytes(mutated))
    want_code, want_text = expected_for_line(lines, number, changed)
    assert code == want_code, (offset, bit, message)
    assert want_text in message, (offset, bit, message)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_deleted_inserted_duplicated_or_swapped_lines_are_caught(
    exported: tuple[Path, bytes], data: st.DataObject
) -> None:
    """Line edits give the exit code of the first position whose line changed."""
    directory, export = exported
    lines = export.splitlines(keepends=True)
    kind = data.draw(st.sampled_from(["delete", "insert", "duplicate", "swap"]))
    at = data.draw(st.integers(0, len(lines) - 1))
    edited = list(lines)
    if kind == "delete":
        del edited[at]
    elif kind == "insert":
        text = data.draw(st.text(st.characters(codec="ascii", exclude_characters="\n"), max_size=40))
        edited.insert(at, text.encode() + b"\n")
    elif kind == "duplicate":
        edited.insert(at + 1, lines[at])
    else:
        other = data.draw(st.integers(0, len(lines) - 1).filter(lambda n: n != at))
        edited[at], edited[other] = edited[other], edited[at]
    first = next(
        n for n in range(len(edited) + 1) if n >= len(lines) or n >= len(edited) or edited[n] != lines[n]
    )
    code, message = audit(directory, b"".join(edited))
    want_code, want_text = expected_for_line(lines, first, edited[first] if first < len(edited) else b"")
    if first >= len(lines):
        want_code, want_text = MALFORMED, "malformed"
    assert code == want_code, (kind, at, message)
    assert want_text in message, (kind, at, message)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_truncation_is_malformed(exported: tuple[Path, bytes], data: st.DataObject) -> None:
    """An export cut anywhere short of its end is malformed (exit 3): it never closes with its end line."""
    directory, export = exported
    code, message = audit(directory, export[: data.draw(st.integers(0, len(export) - 1))])
    assert code == MALFORMED
    assert "malformed" in message


def test_a_consistent_forgery_does_not_hash_to_the_signed_root(exported: tuple[Path, bytes]) -> None:
    """Changing a leaf's stored bytes and its JSON together passes the record check but not the root."""
    directory, export = exported
    lines = export.decode().splitlines(keepends=True)
    index, encoded, _ = lines[5].split(" ", 2)
    leaf = decode_leaf(base64.b64decode(encoded))
    forged = type(leaf)(
        leaf.notification_id,
        leaf.originator_id,
        leaf.originator_version,
        leaf.topic,
        leaf.state.replace(b"user", b"usEr"),
    )
    lines[5] = f"{index} {base64.b64encode(encode_leaf(forged)).decode()} {render_json(forged)}\n"
    code, message = audit(directory, "".join(lines).encode())
    assert code == MISMATCH
    assert "do not hash to the signed root" in message


def test_checkpoints_held_from_the_same_log_are_consistent(tmp_path: Path) -> None:
    """Checkpoints an auditor kept as the log grew are consistent with a later export (exit 0)."""
    chain, held = open_chain(tmp_path), []
    for _ in range(3):
        populate(chain.ledger, 1)
        chain.sealer.seal_all()
        held.append(chain.log.latest_checkpoint() or "")
    (tmp_path / "key").write_text(chain.notary.verifier_key_text())
    code, message = audit(tmp_path, chain.export_text().encode(), *held)
    assert code == 0
    assert "consistent with 3 held" in message
    code, message = audit(tmp_path, chain.export_text(start=5).encode(), held[0])
    assert code == UNCHECKABLE
    assert "held checkpoint of size 4" in message
    chain.close()
    chain.ledger.close()


def test_a_forked_log_is_inconsistent(tmp_path: Path) -> None:
    """The same key signing two different histories: a checkpoint held from one is inconsistent with
    an export of the other, whatever their sizes."""
    one, two = open_chain(tmp_path / "one"), open_chain(tmp_path / "two")
    two.sealer.notary = one.notary
    two.log.key = one.notary.verifier_key()
    populate(one.ledger, 1)
    one.sealer.seal_all()
    held = one.log.latest_checkpoint() or ""
    populate(two.ledger, 2)
    two.sealer.seal_all()
    (tmp_path / "key").write_text(one.notary.verifier_key_text())
    code, message = audit(tmp_path, two.export_text().encode(), held)
    assert code == INCONSISTENT
    assert "forked" in message
    for chain in (one, two):
        chain.close()
        chain.ledger.close()


def test_a_rolled_back_log_is_inconsistent(tmp_path: Path) -> None:
    """An export whose signed size is below a checkpoint the auditor holds shows a rollback."""
    chain = open_chain(tmp_path)
    populate(chain.ledger, 1)
    chain.sealer.seal_all()
    before = chain.export_text().encode()
    populate(chain.ledger, 1)
    chain.sealer.seal_all()
    (tmp_path / "key").write_text(chain.notary.verifier_key_text())
    code, message = audit(tmp_path, before, chain.log.latest_checkpoint() or "")
    assert code == INCONSISTENT
    assert "rolled back" in message
    chain.close()
    chain.ledger.close()


def test_a_checkpoint_signed_by_another_key_is_a_bad_signature(
    tmp_path: Path, exported: tuple[Path, bytes]
) -> None:
    """Pinning a different key than the one that signed the export: bad signature (exit 4)."""
    chain = open_chain(tmp_path)
    (tmp_path / "key").write_text(chain.notary.verifier_key_text())
    code, message = audit(tmp_path, exported[1])
    assert code == BAD_SIGNATURE
    assert "bad signature" in message
    chain.close()
    chain.ledger.close()
