"""The data keys that seal personal fields, kept beside the events but outside them and outside the Merkle
tree: ``personal_keys`` (one row per account or UTC day: the data key wrapped by the master key, or NULL
and ``destroyed_at`` once erased) and ``personal_key_check`` (a value only the right master key opens).

    <data dir>/personal-master.key    the master key: 64 hex digits and a newline, 0600

Destroying a key is the erasure: the events that hold ciphertext under it stay, sealed and unreadable.
A destroyed key is never recreated (the row stays, NULL), so later events of an erased account store the
``[erased]`` marker instead of anything new."""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.keyfiles import KeyFileError, write_secret
from adapters.ledger_db import LedgerDb

MASTER_KEY_FILE = "personal-master.key"
KEYS, CHECK = "personal_keys", "personal_key_check"
CHECK_PLAINTEXT = b"keyledger personal-data master key check v1"
WRAP_LABEL = b"keyledger/personal-key/v1|"
CACHE_S = 5.0  # how long a process trusts an unwrapped key before asking the table again (erasure elsewhere)


class PersonalKeyError(RuntimeError):
    """The key table is missing or the master key does not open it: refuse to start (never show erased)."""


def load_master_key(data_dir: Path) -> bytes:
    """The personal-data master key, generated on first use."""
    path = data_dir / MASTER_KEY_FILE
    if not path.exists():
        write_secret(path, os.urandom(32).hex().encode() + b"\n")
    try:
        key = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as error:
        raise KeyFileError(f"cannot read the personal-data master key {path}: {error}") from None
    if len(key) != 32:
        raise KeyFileError(f"{path} must hold 64 hex digits")
    return key


def keys_ddl(dialect: str) -> list[str]:
    blob = "BYTEA" if dialect == "postgres" else "BLOB"
    return [
        f"CREATE TABLE IF NOT EXISTS {KEYS} (key_id TEXT PRIMARY KEY, wrapped {blob}, "
        "created_at TEXT NOT NULL, destroyed_at TEXT)",
        f"CREATE TABLE IF NOT EXISTS {CHECK} (id INTEGER PRIMARY KEY, check_value {blob} NOT NULL)",
    ]


@dataclass
class _Cached:
    key: bytes | None
    at: float


class PersonalKeys:
    """Creates, unwraps and destroys data keys; ``check`` proves the master key is this table's."""

    def __init__(self, db: LedgerDb, master: bytes, clock: Callable[[], float] = time.monotonic) -> None:
        self.db, self._master, self._clock = db, AESGCM(master), clock
        # Oldest first; an entry older than CACHE_S is never used, so it is dropped (the cache holds the
        # keys of the last few seconds, not every subject this process ever sealed for).
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._cache_lock = threading.Lock()

    def create_tables(self) -> None:
        with self.db.write() as tx:
            for statement in keys_ddl(self.db.dialect):
                tx.execute(statement)
            if tx.one(f"SELECT id FROM {CHECK} WHERE id = 1") is None:
                nonce = os.urandom(12)
                sealed = nonce + self._master.encrypt(nonce, CHECK_PLAINTEXT, WRAP_LABEL + b"check")
                tx.execute(f"INSERT INTO {CHECK} (id, check_value) VALUES (1, ?)", [sealed])

    def check(self) -> None:
        """Raises ``PersonalKeyError`` unless the table exists and the master key opens its check value."""
        try:
            with self.db.read() as tx:
                row = tx.one(f"SELECT check_value FROM {CHECK} WHERE id = 1")
        except Exception as error:  # any store's "no such table" names the table; anything else is raised
            if CHECK not in str(error):
                raise
            raise PersonalKeyError(
                "the personal-data key table is missing: run `keyledger db upgrade`"
            ) from None
        if row is None:
            raise PersonalKeyError(
                "the personal-data key table has no check value: run `keyledger db upgrade`"
            )
        value = bytes(row[0])
        try:
            self._master.decrypt(value[:12], value[12:], WRAP_LABEL + b"check")
        except InvalidTag:
            raise PersonalKeyError(
                f"the personal-data master key ({MASTER_KEY_FILE}) does not open this database's key table: "
                "restore the master key that belongs to it"
            ) from None

    def data_key(self, key_id: str, *, create: bool) -> bytes | None:
        """The data key of ``key_id``; None when destroyed (or absent and not ``create``)."""
        cached = self._cache.get(key_id)
        if cached is not None and self._clock() - cached.at < CACHE_S:
            return cached.key
        found = self._row(key_id)
        if found is None and create:
            found = self._create(key_id)
        elif found is None:
            raise PersonalKeyError(f"no personal-data key {key_id}: is the key table from another backup?")
        key = None if found[0] is None else self._unwrap(key_id, found[0])
        self._remember(key_id, key)
        return key

    def _remember(self, key_id: str, key: bytes | None) -> None:
        now = self._clock()
        with self._cache_lock:
            self._cache[key_id] = _Cached(key, now)
            self._cache.move_to_end(key_id)
            while now - next(iter(self._cache.values())).at >= CACHE_S:  # the entry just put stops it
                self._cache.popitem(last=False)

    def _row(self, key_id: str) -> tuple[bytes | None, str | None] | None:
        """The wrapped key and when it was destroyed; None when the table has no row for ``key_id``."""
        with self.db.statement() as tx:
            row = tx.one(f"SELECT wrapped, destroyed_at FROM {KEYS} WHERE key_id = ?", [key_id])
        if row is None:
            return None
        return (None if row[0] is None else bytes(row[0])), row[1]

    def _create(self, key_id: str) -> tuple[bytes | None, str | None]:
        key, nonce = AESGCM.generate_key(256), os.urandom(12)
        wrapped = nonce + self._master.encrypt(nonce, key, WRAP_LABEL + key_id.encode())
        with self.db.statement() as tx:  # one statement, atomic on its own; read to its end (SQLite commits)
            created = tx.all(
                f"INSERT INTO {KEYS} (key_id, wrapped, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key_id) DO NOTHING RETURNING key_id",
                [key_id, wrapped, datetime.now(UTC).isoformat()],
            )
        if created:
            return wrapped, None
        found = self._row(key_id)  # another process created it (or destroyed it) first
        if found is None:
            raise PersonalKeyError(f"the personal-data key {key_id} vanished while it was created")
        return found

    def _unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(wrapped[:12], wrapped[12:], WRAP_LABEL + key_id.encode())
        except InvalidTag:
            raise PersonalKeyError(f"the personal-data master key does not open the key {key_id}") from None

    def destroy(self, key_id: str, now: datetime) -> bool:
        """Destroys the key (also one never created, so none will be); False if it was destroyed before."""
        with self.db.write() as tx:
            if self.db.dialect == "sqlite":
                tx.execute("PRAGMA secure_delete = ON")  # overwrite the wrapped key's old bytes
            row = tx.one(f"SELECT destroyed_at FROM {KEYS} WHERE key_id = ?", [key_id])
            tx.execute(
                f"INSERT INTO {KEYS} (key_id, wrapped, created_at, destroyed_at) VALUES (?, NULL, ?, ?) "
                "ON CONFLICT (key_id) DO UPDATE SET wrapped = NULL, destroyed_at = excluded.destroyed_at",
                [key_id, now.isoformat(), now.isoformat()],
            )
        self._remember(key_id, None)
        self._purge_old_versions()
        return row is None or row[0] is None

    def live_days_before(self, day: str) -> list[str]:
        """The day keys (``day:YYYY-MM-DD``) before ``day`` that are not destroyed yet."""
        with self.db.read() as tx:
            rows = tx.all(
                f"SELECT key_id FROM {KEYS} WHERE key_id LIKE 'day:%' AND key_id < ? "
                "AND destroyed_at IS NULL ORDER BY key_id",
                [f"day:{day}"],
            )
        return [str(row[0]) for row in rows]

    def _purge_old_versions(self) -> None:
        """PostgreSQL keeps a destroyed key's old row version until VACUUM: run it now on this table."""
        if self.db.dialect != "postgres" or not self.db.conninfo:
            return
        with psycopg.connect(self.db.conninfo, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{self.db.schema}"')
            conn.execute(f"VACUUM {KEYS}")
