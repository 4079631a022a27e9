"""Exact sliding windows in Redis: one Lua script per check (atomic, sent as ``EVALSHA``; loaded again when
Redis has lost it) over one string per key: the admitted hits still in the window, newest first, at most
the limit's count, 16 bytes each. A check is a ``GET``, a binary search for the window's edge and, when it
admits, a ``SET … PX`` with ``now`` in its place (at the head, unless a later hit — another thread or
process racing — got there first): two commands, where a sorted set took four with more work each.
``hit_with`` reads the state a check guards in the same script, one round trip. A refusal returns the
oldest hit's exact time, so Retry-After is computed as the in-process limiter computes it. Every Redis
error or timeout (``WRONGTYPE`` included) becomes ``LimiterUnavailable`` for the route's failure policy.

The keys carry the shape's version (``:v2:``): windows of the old shape (sorted sets) are never read, and
expire on their own; the seeded marker is versioned too, so the first process of this shape rebuilds the
login and download windows from the ledger, as after a Redis restart."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from domain.rate_windows import Decision, Limit, LimiterUnavailable

# A window is one string: its admitted hits still in the window, newest first, at most the limit's count,
# each 16 bytes — the time (a big-endian double) and a tag (zero for a live hit, a digest of the ledger
# event's id for a seeded one, so seeding the same event twice adds nothing).
WIDTH = 16
LIVE = bytes(WIDTH - 8)  # a live hit's tag
ENTRIES = """
local function at(s, i) return struct.unpack('>d', string.sub(s, i * 16 + 1, i * 16 + 8)) end
local function live(s, edge)  -- how many entries are newer than edge (newest first: binary search)
  local lo, hi = 0, #s / 16
  if hi == 0 or at(s, hi - 1) > edge then return hi end
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if at(s, mid) > edge then lo = mid + 1 else hi = mid end
  end
  return lo
end
"""
# KEYS: the window, then the keys to read; ARGV: the new entry (now, zero tag), period, count, TTL in ms.
# Admitted: the hits still allowed (with the values read after it, when there are keys to read);
# refused: the time of the oldest hit in the window (8 bytes).
CHECK = (
    ENTRIES
    + """
local now, count = struct.unpack('>d', ARGV[1]), tonumber(ARGV[3])
local s = redis.call('GET', KEYS[1]) or ''
local n = live(s, now - tonumber(ARGV[2]))
if n >= count then return string.sub(s, (n - 1) * 16 + 1, (n - 1) * 16 + 8) end
local j = 0
while j < n and at(s, j) > now do j = j + 1 end
if j == 0 then s = ARGV[1] .. string.sub(s, 1, n * 16)
else s = string.sub(s, 1, j * 16) .. ARGV[1] .. string.sub(s, j * 16 + 1, n * 16) end
redis.call('SET', KEYS[1], s, 'PX', ARGV[4])
if #KEYS == 1 then return count - n - 1 end
local answer = redis.call('MGET', unpack(KEYS, 2))
table.insert(answer, 1, count - n - 1)
return answer
"""
)
# KEYS: the window; ARGV: its edge (now - period), count, TTL in ms, then seeded entries (16 bytes each).
SEED = (
    ENTRIES
    + """
local edge, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local s = redis.call('GET', KEYS[1]) or ''
local kept, seen = {}, {}
for i = 0, #s / 16 - 1 do
  local e = string.sub(s, i * 16 + 1, i * 16 + 16)
  if at(e, 0) > edge then kept[#kept + 1] = e; seen[e] = true end
end
for i = 4, #ARGV do
  if not seen[ARGV[i]] then kept[#kept + 1] = ARGV[i]; seen[ARGV[i]] = true end
end
if #kept == 0 then return 0 end
table.sort(kept, function(a, b) return at(a, 0) > at(b, 0) end)
redis.call('SET', KEYS[1], table.concat(kept, '', 1, math.min(#kept, count)), 'PX', ARGV[3])
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
        self._tails: dict[Limit, bytes] = {}

    def _key(self, limit: Limit, key: str) -> str:
        return f"{self._prefix}:{limit.name}:{key}"

    def _command(self, key: str, limit: Limit, now: float, reads: Sequence[str]) -> bytes:
        """The check as Redis reads it (RESP), packed by hand: this is the hot path, and the script's
        digest, the limit's period, count and TTL are the same bytes every time (packed once per limit)."""
        tail = self._tails.get(limit)
        if tail is None:
            tail = self._tails[limit] = b"".join(
                _bulk(str(v).encode()) for v in (repr(limit.period_s), limit.count, _ttl_ms(limit))
            )
        keys = (self._key(limit, key), *reads)
        head = b"*%d\r\n$7\r\nEVALSHA\r\n%s%s" % (
            len(keys) + 7,
            _bulk(self._sha.encode()),
            _bulk(b"%d" % len(keys)),
        )
        return b"".join(
            (head, *(_bulk(k.encode()) for k in keys), _bulk(struct.pack(">d", now) + LIVE), tail)
        )

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
        answer = self._round_trip(self._command(key, limit, now, reads))
        if isinstance(answer, int):
            return Decision(True, answer, 0.0), []
        if isinstance(answer, list):
            return Decision(True, int(answer[0]), 0.0), list(answer[1:])
        (oldest,) = struct.unpack(">d", answer)
        return Decision(False, 0, max(0.0, oldest + limit.period_s - now)), []

    def _round_trip(self, command: bytes) -> Any:
        """``command`` on one pooled connection and its answer (what ``execute_command`` does, without its
        retries and reply callbacks); a broken connection is closed before it goes back to the pool."""
        pool = self._redis.connection_pool
        connection: Any = pool.get_connection()
        try:
            connection.send_packed_command([command])
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
        entries = [struct.pack(">d", stamp) + _tag(ident) for stamp, ident in recent]
        edge = repr(now - limit.period_s)
        try:
            self._seed(keys=[self._key(limit, key)], args=[edge, limit.count, _ttl_ms(limit), *entries])
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


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


def _tag(ident: str) -> bytes:
    """A seeded hit's tag: a digest of its ledger event's id behind a one, never a live hit's zeros."""
    return b"\x01" + hashlib.blake2b(ident.encode(), digest_size=WIDTH - 9).digest()


def _ttl_ms(limit: Limit) -> int:
    """A window outlives its newest hit by the period (a millisecond more, never less)."""
    return int(limit.period_s * 1000) + 1
