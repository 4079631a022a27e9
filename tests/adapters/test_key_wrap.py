"""Data keys wrapped by the data dir's master key: bound to file and purpose, rotated without re-sealing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.key_wrap import (
    MASTER_KEY_FILE,
    RETIRED_DIR,
    KeyUnwrapRefused,
    MasterKey,
    MasterKeyFileError,
    MasterKeys,
    WrappedKey,
    load_master_keys,
    rotate_master_key,
)
from adapters.stream_aead import new_data_key, unseal
from tests.adapters.strategies import identifiers, seal_bytes

PURPOSE = "release-file"


def test_the_master_key_is_created_once_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    """The first load writes a 0600 master key file; later loads read the same key."""
    first = load_master_keys(tmp_path)
    mode = stat.S_IMODE((tmp_path / MASTER_KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert load_master_keys(tmp_path) == first
    assert not list(tmp_path.glob(".*"))


def test_the_key_id_is_a_short_digest_and_repr_hides_the_key(tmp_path: Path) -> None:
    """A master key is named by 8 bytes of digest; its repr shows the id, never the secret."""
    key = load_master_keys(tmp_path).current
    assert len(key.key_id) == 8
    assert key.secret.hex() not in repr(key)
    assert key.key_id.hex() in repr(key)


@given(st.binary(min_size=32, max_size=32), identifiers(), identifiers())
def test_wrap_then_unwrap_gives_the_data_key_back(data_key: bytes, file_id: str, purpose: str) -> None:
    """A wrapped data key opens for its own file and purpose, after a trip through its bytes."""
    keys = MasterKeys(MasterKey(bytes(32)))
    record = WrappedKey.decode(keys.wrap(data_key, file_id=file_id, purpose=purpose).encode())
    assert keys.unwrap(record, file_id=file_id, purpose=purpose) == data_key


@pytest.mark.parametrize(("file_id", "purpose"), [("file-2", PURPOSE), ("file-1", "other-purpose")])
def test_a_record_moved_to_another_file_or_purpose_is_refused(file_id: str, purpose: str) -> None:
    """A record unwrapped for another file or purpose is refused, even with its fields rewritten."""
    keys = MasterKeys(MasterKey(bytes(32)))
    record = keys.wrap(new_data_key(), file_id="file-1", purpose=PURPOSE)
    with pytest.raises(KeyUnwrapRefused):
        keys.unwrap(record, file_id=file_id, purpose=purpose)
    relabelled = WrappedKey(record.master_key_id, file_id, purpose, record.nonce, record.sealed)
    with pytest.raises(KeyUnwrapRefused):
        keys.unwrap(relabelled, file_id=file_id, purpose=purpose)


@given(st.data())
def test_any_changed_byte_of_a_record_is_refused(data: st.DataObject) -> None:
    """Changing any byte of an encoded record makes it refuse to decode or to unwrap."""
    keys = MasterKeys(MasterKey(bytes(32)))
    raw = bytearray(keys.wrap(new_data_key(), file_id="file-1", purpose=PURPOSE).encode())
    raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    with pytest.raises(KeyUnwrapRefused):
        keys.unwrap(WrappedKey.decode(bytes(raw)), file_id="file-1", purpose=PURPOSE)


@given(st.binary(max_size=200))
def test_decoding_arbitrary_bytes_gives_a_record_or_a_refusal(raw: bytes) -> None:
    """Decoding untrusted bytes yields a record that encodes back to them, or KeyUnwrapRefused."""
    try:
        record = WrappedKey.decode(raw)
    except KeyUnwrapRefused:
        return
    assert record.encode() == raw


def test_rotation_rewraps_keys_and_leaves_files_untouched(tmp_path: Path) -> None:
    """After rotation the old key is retired: old records still open, rewrap moves them to the new key,
    and the sealed file, not one byte changed, opens with the rewrapped key."""
    data_key, plaintext = new_data_key(), b"release bytes" * 1000
    sealed = seal_bytes(data_key, plaintext, 1024)
    old_record = load_master_keys(tmp_path).wrap(data_key, file_id="file-1", purpose=PURPOSE)
    new_key = rotate_master_key(tmp_path)
    keys = load_master_keys(tmp_path)
    assert keys.current == new_key
    assert [key.key_id for key in keys.retired] == [old_record.master_key_id]
    record = keys.rewrap(old_record)
    assert record.master_key_id == new_key.key_id
    only_new = MasterKeys(keys.current)
    assert b"".join(unseal(only_new.unwrap(record, file_id="file-1", purpose=PURPOSE), [sealed])) == plaintext


def test_a_record_of_a_deleted_master_key_is_refused(tmp_path: Path) -> None:
    """Once a retired master key file is deleted, records still naming it no longer open."""
    record = load_master_keys(tmp_path).wrap(new_data_key(), file_id="file-1", purpose=PURPOSE)
    rotate_master_key(tmp_path)
    for path in (tmp_path / RETIRED_DIR).iterdir():
        path.unlink()
    with pytest.raises(KeyUnwrapRefused, match="no master key"):
        load_master_keys(tmp_path).unwrap(record, file_id="file-1", purpose=PURPOSE)


def test_two_rotations_keep_both_retired_keys(tmp_path: Path) -> None:
    """Each rotation retires one more key; every earlier record still opens."""
    records = []
    for _ in range(3):
        records.append(load_master_keys(tmp_path).wrap(b"k" * 32, file_id="f", purpose=PURPOSE))
        rotate_master_key(tmp_path)
    keys = load_master_keys(tmp_path)
    assert len(keys.retired) == 3
    assert {keys.unwrap(r, file_id="f", purpose=PURPOSE) for r in records} == {b"k" * 32}


def test_a_malformed_master_key_file_is_an_error(tmp_path: Path) -> None:
    """A master key file that is not 64 hex digits stops the load with a clear error."""
    (tmp_path / MASTER_KEY_FILE).write_text("not hex\n")
    with pytest.raises(MasterKeyFileError, match="cannot read"):
        load_master_keys(tmp_path)
    (tmp_path / MASTER_KEY_FILE).write_text("ab" * 16 + "\n")
    with pytest.raises(MasterKeyFileError, match="not 32 bytes"):
        load_master_keys(tmp_path)
