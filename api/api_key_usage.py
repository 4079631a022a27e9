"""When each API key was last used: derived state beside the read models (not an event: a busy script
would flood the log), written at most once a minute per key by each API process."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from uuid import UUID

from projections.base import parse_stamp, text_time
from projections.store import ReadStore

EVERY = timedelta(minutes=1)
DDL = "CREATE TABLE IF NOT EXISTS api_key_usage (id TEXT PRIMARY KEY, last_used_at TEXT NOT NULL)"
UPSERT = (
    "INSERT INTO api_key_usage (id, last_used_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
    "SET last_used_at = excluded.last_used_at WHERE api_key_usage.last_used_at < excluded.last_used_at"
)


class KeyUsage:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self._written: dict[UUID, datetime] = {}
        self._lock = threading.Lock()

    def create_table(self) -> None:
        with self.store.transaction() as tx:
            tx.execute(DDL)

    def touch(self, key_id: UUID, now: datetime) -> None:
        with self._lock:
            last = self._written.get(key_id)
            if last is not None and now - last < EVERY:
                return
            self._written[key_id] = now
        with self.store.transaction() as tx:
            tx.execute(UPSERT, [str(key_id), text_time(now)])

    def last_used(self) -> dict[str, datetime]:
        with self.store.snapshot() as tx:
            rows = tx.all("SELECT id, last_used_at FROM api_key_usage")
        return {str(r[0]): parse_stamp(str(r[1])) for r in rows}
