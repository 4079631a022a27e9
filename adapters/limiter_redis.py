"""Exact sliding windows in Redis: one Lua script per check (atomic, sent as ``EVALSHA``; loaded again when
Redis has lost it), a sorted set of admitted hit times per key. ``hit_with`` sends the check and the reads
it guards in one round trip. Every Redis error or timeout becomes ``LimiterUnavailable`` for the route's
failure policy."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterable, Sequence
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
        self._sha = client.register_script(CHECK).sha
        # A hit's member in the window: unique per limiter (random), process (a fork shares the random
        # part) and hit (a counter).
        self._nonce = uuid.uuid4().hex[:16]
        self._hits = itertools.count()

    def _key(self, limit: Limit, key: str) -> str:
        return f"{self._prefix}:{limit.name}:{key}"

    def _check_args(self, key: str, limit: Limit, now: float) -> tuple[Any, ...]:
        member = f"{self._nonce}:{os.getpid()}:{next(self._hits)}"
        return (self._sha, 1, self._key(limit, key), repr(now), repr(limit.period_s), limit.count, member)

    def hit(self, key: str, limit: Limit, now: float) -> Decision:
        return self.hit_with(key, limit, now, ())[0]

    def hit_with(
        self, key: str, limit: Limit, now: float, reads: Sequence[str]
    ) -> tuple[Decision, list[bytes | None]]:
        """The check and the values of ``reads`` (one ``MGET``) in one round trip; the values come back
        only when the check admits (refused: an empty list)."""
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
        commands: list[tuple[Any, ...]] = [("EVALSHA", *self._check_args(key, limit, now))]
        if reads:
            commands.append(("MGET", *reads))
        answers = self._round_trip(commands)
        allowed, remaining, retry = answers[0]
        decision = Decision(bool(allowed), int(remaining), max(0.0, float(retry)))
        return decision, list(answers[1]) if reads and decision.allowed else []

    def _round_trip(self, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        """``commands`` in one write on one pooled connection, then their answers in order (what a
        pipeline does, without building one per check). An error answer is raised once every answer is
        read; a broken connection is closed before it goes back to the pool."""
        pool = self._redis.connection_pool
        connection: Any = pool.get_connection()
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            answers = [_answer(connection) for _ in commands]
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)
        for answer in answers:
            if isinstance(answer, redis.ResponseError):
                raise answer
        return answers

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


def _answer(connection: Any) -> Any:
    """One answer off ``connection``; an error answer is returned, not raised, so the rest can be read."""
    try:
        return connection.read_response()
    except redis.ResponseError as error:
        return error
