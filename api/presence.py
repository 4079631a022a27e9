"""Presence: when each device was last heard from, from where and with which client version. Heartbeats
update it without appending events (DESIGN §2); it is derived state, rebuildable and never a record."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class Seen:
    at: datetime
    client_ip: str | None
    client_version: str | None


class Presence(Protocol):
    def touch(self, device_id: UUID, seen: Seen) -> None: ...

    def last_seen(self, device_id: UUID) -> Seen | None: ...

    def online_count(self, since: datetime) -> int: ...


class InProcessPresence:
    """Presence for the embedded default (one process)."""

    def __init__(self) -> None:
        self._seen: dict[UUID, Seen] = {}
        self._lock = threading.Lock()

    def touch(self, device_id: UUID, seen: Seen) -> None:
        with self._lock:
            self._seen[device_id] = seen

    def last_seen(self, device_id: UUID) -> Seen | None:
        with self._lock:
            return self._seen.get(device_id)

    def online_count(self, since: datetime) -> int:
        """Devices heard from at or after ``since``."""
        with self._lock:
            return sum(1 for seen in self._seen.values() if seen.at >= since)
