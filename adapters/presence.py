"""Presence (``domain.heartbeats.Presence``): when each device was last heard from, from where and with
which client version. Heartbeats update it without appending events; it is derived state, rebuildable and
never a record: in this process for the embedded default, in Redis when several processes share it."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from uuid import UUID

import redis

from domain.heartbeats import Seen


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


log = logging.getLogger("keyledger.presence")
PRESENCE_TTL_S = 7 * 24 * 3600


class RedisPresence:
    """Presence shared by every API and worker process: a hash per device and a sorted set by time.
    It is derived state: losing it only means devices look silent until their next heartbeat, so a Redis
    failure is logged and never fails the heartbeat that touched it (heartbeats fail open)."""

    def __init__(self, client: redis.Redis, prefix: str = "keyledger:presence") -> None:
        self._redis = client
        self._prefix = prefix

    def touch(self, device_id: UUID, seen: Seen) -> None:
        key = f"{self._prefix}:{device_id}"
        pipe = self._redis.pipeline()
        pipe.hset(
            key,
            mapping={
                "at": seen.at.isoformat(),
                "ip": seen.client_ip or "",
                "version": seen.client_version or "",
            },
        )
        pipe.expire(key, PRESENCE_TTL_S)
        pipe.zadd(f"{self._prefix}:seen", {str(device_id): seen.at.timestamp()})
        try:
            pipe.execute()
        except redis.RedisError:
            log.warning("presence not recorded: Redis unavailable")

    def last_seen(self, device_id: UUID) -> Seen | None:
        try:
            found = self._redis.hgetall(f"{self._prefix}:{device_id}")
        except redis.RedisError:
            log.warning("presence unknown: Redis unavailable")
            return None
        if not found:
            return None
        values = {_text(k): _text(v) for k, v in found.items()}
        return Seen(
            datetime.fromisoformat(values["at"]), values.get("ip") or None, values.get("version") or None
        )

    def online_count(self, since: datetime) -> int:
        try:
            return int(self._redis.zcount(f"{self._prefix}:seen", since.timestamp(), "+inf"))
        except redis.RedisError:
            log.warning("devices online unknown: Redis unavailable")
            return 0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
