"""Data keys wrapped by a master key kept in the data dir. Rotation re-wraps keys and never touches files.

    <data dir>/file-master.key                 the current master key: 64 hex digits and a newline, 0600
    <data dir>/file-master.retired/<id>.key    retired master keys, kept while any record names them

A master key's id is the first 8 bytes of SHA-256("keyledger/master-key-id/v1" ‖ key). A wrapped key record
seals the data key with AES-256-GCM under the master key it names, a random 96-bit nonce and the AAD
"keyledger/data-key/v1" ‖ field(master key id) ‖ field(file id) ‖ field(purpose), so a record copied onto
another file or purpose does not open. Its bytes: 0x01 ‖ master key id (8) ‖ field(file id) ‖
field(purpose) ‖ nonce (12) ‖ sealed data key (48); a field is a u16 big-endian length and the bytes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.durable_files import fsync_directory, write_temp
from adapters.length_prefixed import FieldReader, MalformedFields, field, text_field

MASTER_KEY_FILE = "file-master.key"
RETIRED_DIR = "file-master.retired"
RECORD_VERSION = 1
KEY_ID_LENGTH = 8
NONCE_LENGTH = 12
SEALED_LENGTH = 48
_ID_LABEL = b"keyledger/master-key-id/v1"
_AAD_LABEL = b"keyledger/data-key/v1"


class KeyUnwrapRefused(ValueError):
    """A wrapped key that does not open: unknown master key, another file or purpose, or damaged bytes."""


class MasterKeyFileError(RuntimeError):
    """A master key file that is unreadable or malformed."""


@dataclass(frozen=True, repr=False)
class MasterKey:
    secret: bytes

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(_ID_LABEL + self.secret).digest()[:KEY_ID_LENGTH]

    def __repr__(self) -> str:  # never print the key itself
        return f"MasterKey(id={self.key_id.hex()})"


@dataclass(frozen=True)
class WrappedKey:
    master_key_id: bytes
    file_id: str
    purpose: str
    nonce: bytes
    sealed: bytes

    def encode(self) -> bytes:
        head = bytes([RECORD_VERSION]) + self.master_key_id
        return head + text_field(self.file_id) + text_field(self.purpose) + self.nonce + self.sealed

    @classmethod
    def decode(cls, raw: bytes) -> WrappedKey:
        """A record from its bytes; :class:`KeyUnwrapRefused` if they are not one."""
        reader = FieldReader(raw)
        try:
            if reader.integer(1) != RECORD_VERSION:
                raise KeyUnwrapRefused("unknown wrapped key version")
            parts = (reader.take(KEY_ID_LENGTH), reader.text(), reader.text())
            record = cls(*parts, reader.take(NONCE_LENGTH), reader.take(SEALED_LENGTH))
            reader.end()
        except MalformedFields as error:
            raise KeyUnwrapRefused(f"not a wrapped key record: {error}") from None
        return record


def _aad(master_key_id: bytes, file_id: str, purpose: str) -> bytes:
    return _AAD_LABEL + field(master_key_id) + text_field(file_id) + text_field(purpose)


@dataclass(frozen=True)
class MasterKeys:
    """The current master key, which wraps, and the retired ones, which still unwrap."""

    current: MasterKey
    retired: tuple[MasterKey, ...] = ()

    def wrap(self, data_key: bytes, *, file_id: str, purpose: str) -> WrappedKey:
        key_id, nonce = self.current.key_id, secrets.token_bytes(NONCE_LENGTH)
        sealed = AESGCM(self.current.secret).encrypt(nonce, data_key, _aad(key_id, file_id, purpose))
        return WrappedKey(key_id, file_id, purpose, nonce, sealed)

    def unwrap(self, record: WrappedKey, *, file_id: str, purpose: str) -> bytes:
        """The data key, if ``record`` was wrapped for this file and purpose by one of these master keys."""
        if (record.file_id, record.purpose) != (file_id, purpose):
            raise KeyUnwrapRefused("the record wraps the key of another file or purpose")
        master = self._find(record.master_key_id)
        aad = _aad(record.master_key_id, file_id, purpose)
        try:
            return AESGCM(master.secret).decrypt(record.nonce, record.sealed, aad)
        except InvalidTag:
            raise KeyUnwrapRefused("the wrapped key does not authenticate") from None

    def rewrap(self, record: WrappedKey) -> WrappedKey:
        """The same data key, for the same file and purpose, wrapped by the current master key."""
        data_key = self.unwrap(record, file_id=record.file_id, purpose=record.purpose)
        return self.wrap(data_key, file_id=record.file_id, purpose=record.purpose)

    def _find(self, key_id: bytes) -> MasterKey:
        for key in (self.current, *self.retired):
            if secrets.compare_digest(key.key_id, key_id):
                return key
        raise KeyUnwrapRefused(f"no master key with id {key_id.hex()} (retired and deleted?)")


def load_master_keys(data_dir: Path) -> MasterKeys:
    """The master keys of ``data_dir``; the current one is generated on first use."""
    current_path = data_dir / MASTER_KEY_FILE
    if not current_path.exists():
        _create_secret(current_path, MasterKey(AESGCM.generate_key(bit_length=256)))
    retired = tuple(_read_key(path) for path in sorted((data_dir / RETIRED_DIR).glob("*.key")))
    return MasterKeys(_read_key(current_path), retired)


def rotate_master_key(data_dir: Path) -> MasterKey:
    """Retires the current master key (kept to unwrap old records) and installs a new one; returns it."""
    old = load_master_keys(data_dir).current
    _create_secret(data_dir / RETIRED_DIR / f"{old.key_id.hex()}.key", old)
    new = MasterKey(AESGCM.generate_key(bit_length=256))
    os.replace(_key_temp(data_dir, new), data_dir / MASTER_KEY_FILE)
    fsync_directory(data_dir)
    return new


def _read_key(path: Path) -> MasterKey:
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as error:
        raise MasterKeyFileError(f"cannot read the master key {path}: {error}") from None
    if len(secret) != 32:
        raise MasterKeyFileError(f"the master key {path} is not 32 bytes")
    return MasterKey(secret)


def _create_secret(path: Path, key: MasterKey) -> None:
    """Writes ``key`` to ``path`` (0600) unless the file exists: the file appears whole or not at all."""
    temp = _key_temp(path.parent, key)
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temp)
    fsync_directory(path.parent)


def _key_temp(directory: Path, key: MasterKey) -> Path:
    return write_temp(directory, [key.secret.hex().encode() + b"\n"])[0]
