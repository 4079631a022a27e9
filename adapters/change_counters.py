"""Change counters (``api.fresh_state.ChangeCounters``): a number per aggregate, bumped by every commit that
changes it, read by API processes to tell whether the copy they hold is still the latest.

``RedisChangeCounters`` is shared by every process: ``INCR`` per changed aggregate, ``MGET`` to read, and
an epoch key (a random value set once) read with them, so counters that Redis lost (a restart, an expiry)
never match a tag taken before. A bump that fails is kept and sent before the next command this process
sends to Redis (every request sends one). ``LocalChangeCounters`` is the embedded default's: one process,
a dict. ``NoChangeCounters``: PostgreSQL without Redis, where other processes write unseen."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from uuid import UUID

import redis

COUNTER_TTL_S = 24 * 3600  # refreshed by each bump; API processes drop their copies well before


class RedisChangeCounters:
    def __init__(self, client: redis.Redis, prefix: str = "keyledger:changes") -> None:
        self._redis, self._prefix = client, prefix
        self._epoch_key = f"{prefix}:epoch"
        self._pending: set[UUID] = set()
        self._lock = threading.Lock()

    def _key(self, ident: UUID) -> str:
        return f"{self._prefix}:{ident}"

    def _send_pending(self, pipe: redis.client.Pipeline) -> list[UUID]:
        with self._lock:
            pending, self._pending = list(self._pending), set()
        for ident in pending:
            pipe.incr(self._key(ident))
            pipe.expire(self._key(ident), COUNTER_TTL_S)
        return pending

    def _keep(self, idents: Sequence[UUID]) -> None:
        with self._lock:
            self._pending.update(idents)

    def bump(self, idents: Sequence[UUID]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        sent = [*self._send_pending(pipe), *idents]
        for ident in idents:
            pipe.incr(self._key(ident))
            pipe.expire(self._key(ident), COUNTER_TTL_S)
        try:
            pipe.execute()
        except redis.RedisError:
            self._keep(sent)

    def read(self, idents: Sequence[UUID]) -> list[str] | None:
        """A tag per aggregate (epoch and counter), or None when Redis cannot be asked."""
        pipe = self._redis.pipeline(transaction=False)
        pending = self._send_pending(pipe)
        pipe.set(self._epoch_key, secrets.token_hex(8), nx=True)
        pipe.mget([self._epoch_key, *(self._key(i) for i in idents)])
        try:
            values = pipe.execute()[-1]
        except redis.RedisError:
            self._keep(pending)
            return None
        return self.tags(values)

    def shared_keys(self, idents: Sequence[UUID]) -> list[str] | None:
        with self._lock:
            if self._pending:
                return None
        return [self._epoch_key, *(self._key(i) for i in idents)]

    def tags(self, values: Sequence[bytes | None]) -> list[str] | None:
        """A tag per aggregate from the values of ``shared_keys`` (the epoch first); None without an epoch."""
        epoch, *counters = values
        if epoch is None:  # Redis lost it: ``read`` sets a new one
            return None
        return [f"{_text(epoch)}:{_text(c or b'0')}" for c in counters]


class LocalChangeCounters:
    """Counters of this process alone (the embedded default: every writer is in this process)."""

    def __init__(self) -> None:
        self._counts: dict[UUID, int] = {}
        self._lock = threading.Lock()

    def bump(self, idents: Sequence[UUID]) -> None:
        with self._lock:
            for ident in idents:
                self._counts[ident] = self._counts.get(ident, 0) + 1

    def read(self, idents: Sequence[UUID]) -> list[str] | None:
        with self._lock:
            return [str(self._counts.get(ident, 0)) for ident in idents]

    def shared_keys(self, _: Sequence[UUID]) -> list[str] | None:
        return None

    def tags(self, _: Sequence[bytes | None]) -> list[str] | None:
        return None


class NoChangeCounters:
    """Several processes and nothing shared to count in (PostgreSQL without Redis): no copy is ever
    trusted, every request reads the write model."""

    def bump(self, _: Sequence[UUID]) -> None:
        return

    def read(self, _: Sequence[UUID]) -> list[str] | None:
        return None

    def shared_keys(self, _: Sequence[UUID]) -> list[str] | None:
        return None

    def tags(self, _: Sequence[bytes | None]) -> list[str] | None:
        return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
