"""Exact sliding windows in Redis: one Lua script per check (atomic), a sorted set of admitted hit times
per key. Every Redis error or timeout becomes ``LimiterUnavailable`` for the route's failure policy."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from domain.rate_windows import Decision, Limit, LimiterUnavailable

CHECK = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[1])
if n < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000))
  return {1, tonumber(ARGV[3]) - n - 1, '0'}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, tostring(tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1]))}
"""
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
        self._prefix = prefix
        self._check = client.register_script(CHECK)

    def _key(self, limit: Limit, key: str) -> str:
        return f"{self._prefix}:{limit.name}:{key}"

    def hit(self, key: str, limit: Limit, now: float) -> Decision:
        try:
            allowed, remaining, retry = self._check(
                keys=[self._key(limit, key)],
                args=[repr(now), repr(limit.period_s), limit.count, uuid.uuid4().hex],
            )
        except redis.RedisError as error:
            raise LimiterUnavailable(str(error)) from None
        return Decision(bool(allowed), int(remaining), max(0.0, float(retry)))

    def seed(self, key: str, limit: Limit, hits: Iterable[tuple[str, float]], now: float) -> None:
        recent = sorted((stamp, ident) for ident, stamp in hits if stamp > now - limit.period_s)[
            -limit.count :
        ]
        if not recent:
            return
        members: dict[Any, float] = {f"seed:{ident}": stamp for stamp, ident in recent}
        try:
            pipe = self._redis.pipeline()
            pipe.zadd(self._key(limit, key), members)
            pipe.pexpire(self._key(limit, key), int(limit.period_s * 1000) + 1)
            pipe.execute()
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
