"""Idempotent HTTP responses, shared by every API process (a table beside the read models): a claim
while the first request runs, then the exact response (status, headers, body) sealed with AES-GCM, kept
for ``WINDOW`` and then deleted. A claim whose request has run longer than ``STALE_CLAIM`` is presumed
dead (its process crashed) and can be taken over."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from projections.base import text_time
from projections.store import ReadStore

WINDOW = timedelta(hours=24)
STALE_CLAIM = timedelta(seconds=60)
PURGE_EVERY_S = 60.0
DDL = (
    "CREATE TABLE IF NOT EXISTS idempotent_responses (id TEXT PRIMARY KEY, request_digest TEXT NOT NULL,"
    " state TEXT NOT NULL, owner TEXT NOT NULL, claimed_at TEXT NOT NULL, expires_at TEXT,"
    " response TEXT)",
    "CREATE INDEX IF NOT EXISTS idempotent_responses_expiry ON idempotent_responses (expires_at)",
)


class Seal(Protocol):
    """Authenticated encryption of a stored response (``adapters.response_seal``)."""

    def seal(self, plaintext: bytes, associated: bytes) -> str: ...

    def open(self, sealed: str, associated: bytes) -> bytes: ...


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claim:
    record_id: str
    owner: str


@dataclass(frozen=True)
class Outcome:
    """What a request under a key may do: run (``claim``), be answered (``replay``), or neither."""

    claim: Claim | None = None
    replay: StoredResponse | None = None
    in_flight: bool = False
    reused: bool = False


class IdempotencyStore:
    def __init__(self, store: ReadStore, seal: Seal) -> None:
        self.store, self.seal = store, seal
        self._purged_at = 0.0
        self._lock = threading.Lock()

    def create_tables(self) -> None:
        with self.store.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)

    def claim(self, record_id: str, request_digest: str, now: datetime) -> Outcome:
        """Claims ``record_id`` for this request, or says why not (replay, in flight, reused)."""
        self._purge(now)
        owner = secrets.token_hex(16)
        with self.store.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotent_responses WHERE id = ? AND ((state = 'running' AND claimed_at < ?)"
                " OR (state = 'done' AND expires_at < ?))",
                [record_id, text_time(now - STALE_CLAIM), text_time(now)],
            )
            tx.execute(
                "INSERT INTO idempotent_responses (id, request_digest, state, owner, claimed_at)"
                " VALUES (?, ?, 'running', ?, ?) ON CONFLICT (id) DO NOTHING",
                [record_id, request_digest, owner, text_time(now)],
            )
            row = tx.one(
                "SELECT request_digest, state, owner, response FROM idempotent_responses WHERE id = ?",
                [record_id],
            )
        assert row is not None  # noqa: S101 -- inserted or already there, in this very transaction
        digest, state, found_owner, sealed = (str(row[0]), str(row[1]), str(row[2]), row[3])
        if found_owner == owner:
            return Outcome(claim=Claim(record_id, owner))
        if not secrets.compare_digest(digest, request_digest):
            return Outcome(reused=True)
        if state != "done" or sealed is None:
            return Outcome(in_flight=True)
        return Outcome(replay=self._open(record_id, str(sealed)))

    def complete(self, claim: Claim, response: StoredResponse, now: datetime) -> None:
        """Keeps the first response (sealed) for ``WINDOW``."""
        plain = json.dumps(
            {"status": response.status, "headers": response.headers, "body": response.body.hex()}
        ).encode()
        sealed = self.seal.seal(plain, claim.record_id.encode())
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE idempotent_responses SET state = 'done', response = ?, expires_at = ?"
                " WHERE id = ? AND owner = ?",
                [sealed, text_time(now + WINDOW), claim.record_id, claim.owner],
            )

    def release(self, claim: Claim) -> None:
        """Forgets a claim whose request did not succeed: a retry runs again."""
        with self.store.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotent_responses WHERE id = ? AND owner = ?", [claim.record_id, claim.owner]
            )

    def _open(self, record_id: str, sealed: str) -> StoredResponse:
        data = json.loads(self.seal.open(sealed, record_id.encode()))
        headers = [(str(k), str(v)) for k, v in data["headers"]]
        return StoredResponse(int(data["status"]), headers, bytes.fromhex(data["body"]))

    def _purge(self, now: datetime) -> None:
        """Deletes every response past its window (at most once a minute per process)."""
        with self._lock:
            if time.monotonic() - self._purged_at < PURGE_EVERY_S:
                return
            self._purged_at = time.monotonic()
        with self.store.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotent_responses WHERE state = 'done' AND expires_at < ?", [text_time(now)]
            )
