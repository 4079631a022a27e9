"""Rate limits are exact sliding windows, in process and in Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.limiter_memory import InProcessLimiter
from adapters.limiter_redis import RedisLimiter, limiter_client
from adapters.read_store import SqliteReadStore
from api.limits import Limiter, RateLimits
from api.problems import ApiError
from domain.rate_windows import Decision, Limit, LimiterUnavailable

LIMIT = Limit("login", 10, 300.0)
REDIS_URL = "redis://127.0.0.1:6379/0"
hit_times = st.lists(st.floats(min_value=0, max_value=2000, allow_nan=False), min_size=1, max_size=120).map(
    sorted
)


def admitted_times(limiter: Limiter, times: list[float], limit: Limit = LIMIT) -> list[float]:
    key = uuid.uuid4().hex
    return [t for t in times if limiter.hit(key, limit, t).allowed]


def busiest_window(admitted: list[float], period: float) -> int:
    """The most admitted hits in any half-open window of length ``period``."""
    return max((sum(1 for t in admitted if start <= t < start + period) for start in admitted), default=0)


@settings(max_examples=300, deadline=None)
@given(times=hit_times)
def test_in_process_never_admits_more_than_the_limit_in_any_window(times: list[float]) -> None:
    """In process: no window of the limit's length ever holds more than the limit."""
    assert busiest_window(admitted_times(InProcessLimiter(), times), LIMIT.period_s) <= LIMIT.count


def test_exact_at_the_window_edge() -> None:
    """A burst at t=0 fills the window; the next hit is admitted exactly one period later, not before."""
    limiter, key = InProcessLimiter(), "edge"
    assert all(limiter.hit(key, LIMIT, 0.0).allowed for _ in range(10))
    refused = limiter.hit(key, LIMIT, 299.999)
    assert not refused.allowed
    assert refused.retry_after_s == pytest.approx(0.001)
    assert limiter.hit(key, LIMIT, 300.0).allowed


@pytest.fixture
def redis_limiter() -> Iterator[RedisLimiter]:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    prefix = f"test:rl:{uuid.uuid4().hex}"
    yield RedisLimiter(client, prefix)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@settings(max_examples=60, deadline=None)
@given(times=hit_times)
def test_redis_never_admits_more_than_the_limit_in_any_window(times: list[float]) -> None:
    """In Redis (one Lua script per check): the same exactness."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    limiter = RedisLimiter(client, f"test:rl:{uuid.uuid4().hex}")
    assert busiest_window(admitted_times(limiter, times), LIMIT.period_s) <= LIMIT.count


# Times in steps of 1/64 s (exact in binary, so hits land exactly on window edges), not necessarily in order:
# threads and processes stamp a hit before their check reaches Redis.
stepped_times = st.lists(st.integers(min_value=0, max_value=64 * 700), min_size=1, max_size=150).map(
    lambda steps: [1_800_000_000.0 + step / 64 for step in steps]
)
limits = st.sampled_from([LIMIT, Limit("api", 3, 60.0), Limit("download", 1, 0.5)])


@settings(max_examples=150, deadline=None)
@given(times=stepped_times, limit=limits, hits_per_key=st.integers(min_value=1, max_value=3))
def test_redis_and_in_process_decide_alike(times: list[float], limit: Limit, hits_per_key: int) -> None:
    """On any sequence of hits (injected clock, some out of order, several keys), both limiters make the
    same decisions: admitted or not, the hits remaining, and the same Retry-After."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    prefix = f"test:rl:{uuid.uuid4().hex}"
    shared, local = RedisLimiter(client, prefix), InProcessLimiter()
    try:
        for i, now in enumerate(times):
            key = f"k{i // hits_per_key % 3}"
            assert shared.hit(key, limit, now) == local.hit(key, limit, now), (i, now)
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_a_late_hit_takes_its_place_in_time(redis_limiter: RedisLimiter) -> None:
    """A hit stamped before the newest one (it reached Redis late) expires at its own time, not later."""
    limit, local = Limit("api", 3, 60.0), InProcessLimiter()
    for now in (100.0, 10.0, 80.0, 90.0, 95.0):
        assert redis_limiter.hit("k", limit, now) == local.hit("k", limit, now), now


def test_windows_of_the_old_shape_are_left_alone() -> None:
    """A sorted-set window left by the previous version under the old key neither breaks nor counts in
    a check (the key shape is versioned), and the seeded marker is versioned with it."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    prefix = f"test:rl:{uuid.uuid4().hex}"
    client.zadd(f"{prefix}:login:k", {f"old:{i}": 1.0 for i in range(10)})
    client.set(f"{prefix}:seeded", "1")
    limiter = RedisLimiter(client, prefix)
    try:
        assert limiter.hit("k", LIMIT, 2.0) == Decision(True, 9, 0.0)
        assert not limiter.is_seeded()
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_seeding_merges_with_live_hits_in_order(redis_limiter: RedisLimiter) -> None:
    """Seeded hits join the live ones in time order; hits older than the window are dropped."""
    limit = Limit("login", 4, 100.0)
    assert redis_limiter.hit("k", limit, 1000.0).allowed
    redis_limiter.seed("k", limit, [("a", 950.0), ("b", 1005.0), ("c", 850.0)], 1000.0)
    assert redis_limiter.hit("k", limit, 1010.0) == Decision(True, 0, 0.0)
    refused = redis_limiter.hit("k", limit, 1020.0)
    assert refused == Decision(False, 0, 30.0)
    assert redis_limiter.hit("k", limit, 1050.0).allowed


def test_seeding_keeps_live_hits_made_at_the_same_time(redis_limiter: RedisLimiter) -> None:
    """Live hits that share a time stay two hits when a seed merges with them."""
    limit = Limit("login", 3, 100.0)
    assert redis_limiter.hit("k", limit, 1000.0).allowed
    assert redis_limiter.hit("k", limit, 1000.0).allowed
    redis_limiter.seed("k", limit, [("a", 990.0)], 1000.0)
    assert redis_limiter.hit("k", limit, 1001.0) == Decision(False, 0, 89.0)


def test_redis_and_in_process_agree(redis_limiter: RedisLimiter) -> None:
    """Both limiters admit exactly the same hits of one sequence."""
    times = [i * 17.3 for i in range(80)]
    assert admitted_times(redis_limiter, times) == admitted_times(InProcessLimiter(), times)


def test_seeding_restores_a_window(redis_limiter: RedisLimiter) -> None:
    """Hits seeded from the ledger count against the limit as if Redis had never lost them; seeding the
    same hits twice counts them once."""
    now = 1000.0
    redis_limiter.seed("k", LIMIT, [(str(i), now - 10 * i) for i in range(10)], now)
    redis_limiter.seed("k", LIMIT, [(str(i), now - 10 * i) for i in range(10)], now)
    assert not redis_limiter.hit("k", LIMIT, now).allowed
    assert not redis_limiter.is_seeded()
    redis_limiter.mark_seeded()
    assert redis_limiter.is_seeded()


def test_unreachable_redis_fails_fast() -> None:
    """With Redis gone, a check raises LimiterUnavailable within the short timeout instead of hanging."""
    limiter = RedisLimiter(limiter_client("redis://127.0.0.1:1/0"))
    began = time.monotonic()
    with pytest.raises(LimiterUnavailable):
        limiter.hit("k", LIMIT, 0.0)
    assert time.monotonic() - began < 2.0


def test_download_limit_fails_closed_and_login_falls_back(tmp_path: Path) -> None:
    """With the shared limiter down, downloads are refused (503), logins use the strict local limit."""
    down = RedisLimiter(limiter_client("redis://127.0.0.1:1/0"))
    limits = RateLimits(
        down,
        InProcessLimiter(),
        Limit("login", 4, 300),
        Limit("api", 10, 60),
        Limit("download", 20, 3600),
        SqliteReadStore(tmp_path / "rm.sqlite3"),
    )
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ApiError) as refused:
        limits.download("account", "/client/files/{id}", now)
    assert refused.value.status == 503
    limits.login("198.51.100.1", "account", "/auth/login", now)
    limits.login("198.51.100.1", "account", "/auth/login", now)
    with pytest.raises(ApiError) as limited:
        limits.login("198.51.100.1", "account", "/auth/login", now)
    assert limited.value.status == 429
    limits.api("token", "/client/license", now)


def test_check_and_guarded_reads_in_one_round_trip(redis_limiter: RedisLimiter) -> None:
    """``hit_with`` admits exactly as ``hit`` does and returns the values read only when it admits."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    guarded = f"test:guarded:{uuid.uuid4().hex}"
    client.set(guarded, b"state", ex=60)
    limit = Limit("login", 2, 300.0)
    try:
        answers = [
            redis_limiter.hit_with("k", limit, 1.0 + i, [guarded, guarded + ":none"]) for i in range(3)
        ]
    finally:
        client.delete(guarded)
    assert [d.allowed for d, _ in answers] == [True, True, False]
    assert [values for _, values in answers] == [[b"state", None], [b"state", None], []]


def test_a_lost_script_is_loaded_again(redis_limiter: RedisLimiter) -> None:
    """After ``SCRIPT FLUSH`` (a Redis restart) the next check loads the script and counts as before."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    limit = Limit("login", 2, 300.0)
    assert redis_limiter.hit("k", limit, 1.0).allowed
    client.script_flush()
    assert redis_limiter.hit_with("k", limit, 2.0, ["test:nothing"])[0].allowed
    client.script_flush()
    assert not redis_limiter.hit("k", limit, 3.0).allowed
