"""Exact sliding windows in Redis: one Lua script per check (atomic, sent as ``EVALSHA``; loaded again when
Redis has lost it) over a list per key of the admitted hit times still in the window, newest first. A check
drops the expired times from the tail, admits iff fewer than the limit remain, and pushes ``now`` at the
head: a few O(1) list commands instead of sorted-set work (a time older than the head — threads or
processes racing — is inserted in its place, so the list stays ordered). ``hit_with`` reads the state a
check guards in the same script, in one round trip. Every Redis error or timeout (``WRONGTYPE`` included)
becomes ``LimiterUnavailable`` for the route's failure policy.

The keys carry the shape's version (``:v2:``): windows of the old shape (sorted sets) are never read, and
expire on their own; the seeded marker is versioned too, so the first process of this shape rebuilds the
login and download windows from the ledger, as after a Redis restart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from domain.rate_windows import Decision, Limit, LimiterUnavailable

# A time in the list is ``repr(float)``, or ``repr(float)|ident`` when seeded from a ledger event.
STAMP = "local function stamp(e) return tonumber(e) or tonumber(string.match(e, '^[^|]+')) end\n"
# KEYS: the window, then the keys to read; ARGV: now, period, count, the window's TTL in ms.
# Admitted: the hits still allowed (with the values read after it, when there are keys to read);
# refused: the oldest time in the window.
CHECK = (
    STAMP
    + """
local key, now, count = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[3])
local edge = now - tonumber(ARGV[2])
local tail = redis.call('LINDEX', key, -1)
while tail and stamp(tail) <= edge do
  redis.call('RPOP', key)
  tail = redis.call('LINDEX', key, -1)
end
local n = redis.call('LLEN', key)
if n >= count then return tail end
local head = n > 0 and redis.call('LINDEX', key, 0)
if not head or stamp(head) <= now then
  redis.call('LPUSH', key, ARGV[1])
else
  local i, at = 1, redis.call('LINDEX', key, 1)
  while at and stamp(at) > now do i = i + 1; at = redis.call('LINDEX', key, i) end
  if at then redis.call('LINSERT', key, 'BEFORE', at, ARGV[1]) else redis.call('RPUSH', key, ARGV[1]) end
end
redis.call('PEXPIRE', key, ARGV[4])
if #KEYS == 1 then return count - n - 1 end
local answer = redis.call('MGET', unpack(KEYS, 2))
table.insert(answer, 1, count - n - 1)
return answer
"""
)
# KEYS: the window; ARGV: the window's edge (now - period), its TTL in ms, then the seeded times.
SEED = (
    STAMP
    + """
local key, edge = KEYS[1], tonumber(ARGV[1])
local kept, seen = {}, {}
for _, e in ipairs(redis.call('LRANGE', key, 0, -1)) do
  if stamp(e) > edge and not seen[e] then kept[#kept + 1] = e; seen[e] = true end
end
for i = 3, #ARGV do
  if not seen[ARGV[i]] then kept[#kept + 1] = ARGV[i]; seen[ARGV[i]] = true end
end
if #kept == 0 then return 0 end
table.sort(kept, function(a, b) return stamp(a) > stamp(b) end)
redis.call('DEL', key)
redis.call('RPUSH', key, unpack(kept))
redis.call('PEXPIRE', key, ARGV[2])
return #kept
"""
)
SHAPE = "v2"  # the windows' key version: v1 were sorted sets
SEEDED = "seeded"
TIMEOUT_S = 0.1


def limiter_client(url: str, timeout_s: float = TIMEOUT_S) -> redis.Redis:
    """A Redis client for rate limits: a short timeout and no retries, so a dead Redis costs one timeout."""
    return redis.Redis.from_url(
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0)
    )


class RedisLimiter:
    def __init__(self, client: redis.Redis, prefix: str = "keyledger:rl") -> None:
        self._redis = client
        self._prefix = f"{prefix}:{SHAPE}"
        self._sha = client.register_script(CHECK).sha
        self._seed = client.register_script(SEED)
        self._args: dict[Limit, tuple[str, int, int]] = {}

    def _key(self, limit: Limit, key: str) -> str:
        return f"{self._prefix}:{limit.name}:{key}"

    def _limit_args(self, limit: Limit) -> tuple[str, int, int]:
        """The period, count and TTL of ``limit`` as the script takes them (made once per limit)."""
        found = self._args.get(limit)
        if found is None:
            found = self._args[limit] = (repr(limit.period_s), limit.count, _ttl_ms(limit))
        return found

    def hit(self, key: str, limit: Limit, now: float) -> Decision:
        return self.hit_with(key, limit, now, ())[0]

    def hit_with(
        self, key: str, limit: Limit, now: float, reads: Sequence[str]
    ) -> tuple[Decision, list[bytes | None]]:
        """The check and the values of ``reads``, read in the same script; the values come back only when
        the check admits (refused: an empty list)."""
        for attempt in range(2):
            try:
                return self._send(key, limit, now, reads)
            except redis.exceptions.NoScriptError:
                if attempt:
                    raise LimiterUnavailable("Redis lost the limit script twice") from None
                self._load()
            except redis.RedisError as error:
                raise LimiterUnavailable(str(error)) from None
        raise AssertionError("unreachable")

    def _send(
        self, key: str, limit: Limit, now: float, reads: Sequence[str]
    ) -> tuple[Decision, list[bytes | None]]:
        command = ("EVALSHA", self._sha, 1 + len(reads), self._key(limit, key), *reads, repr(now))
        answer = self._round_trip((*command, *self._limit_args(limit)))
        if isinstance(answer, int):
            return Decision(True, answer, 0.0), []
        if isinstance(answer, list):
            return Decision(True, int(answer[0]), 0.0), list(answer[1:])
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        oldest = float(text.split("|", 1)[0])
        return Decision(False, 0, max(0.0, oldest + limit.period_s - now)), []

    def _round_trip(self, command: tuple[Any, ...]) -> Any:
        """``command`` on one pooled connection and its answer (what ``execute_command`` does, without its
        retries and reply callbacks); a broken connection is closed before it goes back to the pool."""
        pool = self._redis.connection_pool
        connection: Any = pool.get_connection()
        try:
            connection.send_command(*command)
            return connection.read_response()
        except redis.ResponseError:
            raise
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)

    def _load(self) -> None:
        try:
            self._sha = self._redis.script_load(CHECK)
        except redis.RedisError as error:
            raise LimiterUnavailable(str(error)) from None

    def seed(self, key: str, limit: Limit, hits: Iterable[tuple[str, float]], now: float) -> None:
        recent = sorted((stamp, ident) for ident, stamp in hits if stamp > now - limit.period_s)[
            -limit.count :
        ]
        if not recent:
            return
        entries = [f"{stamp!r}|{ident}" for stamp, ident in recent]
        try:
            self._seed(
                keys=[self._key(limit, key)], args=[repr(now - limit.period_s), _ttl_ms(limit), *entries]
            )
        except redis.RedisError as error:
            raise LimiterUnavailable(str(error)) from None

    def is_seeded(self) -> bool:
        try:
            return bool(self._redis.exists(f"{self._prefix}:{SEEDED}"))
        except redis.RedisError as error:
            raise LimiterUnavailable(str(error)) from None

    def mark_seeded(self) -> None:
        try:
            self._redis.set(f"{self._prefix}:{SEEDED}", "1")
        except redis.RedisError as error:
            raise LimiterUnavailable(str(error)) from None


def _ttl_ms(limit: Limit) -> int:
    """A window outlives its newest hit by the period (a millisecond more, never less)."""
    return int(limit.period_s * 1000) + 1
