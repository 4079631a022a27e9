"""W6: rate-limit checks per second and their p99 against Redis (BENCHMARKS.md).

``adapters.limiter_redis.RedisLimiter.hit`` (one Lua script per check, sent as ``EVALSHA``: one string per
key holding the admitted hit times still in the window, newest first; a ``GET`` and, when it admits, a
``SET``) through ``limiter_client`` (0.1 s timeout, no retries), as the API builds it, measured in the same
rounds as two bare round trips on the same client and connection pool: ``INCR`` of a key and ``PING``. A
check is usually followed by the read it guards: ``RedisLimiter.hit_with`` reads that state (64 bytes per
address) in the same script, one round trip — as the API's gate reads a bearer request's change counters
with its limit check — measured against a bare ``GET`` of the same state. Each runs at 1 and at 16
threads; 16 threads share the client's pool, as the API's worker threads do.

The checks are shaped like the login limit (``Settings.login_limit``, 10 per 300 s) per client address:
1,000 distinct addresses (``api.client_address.limit_key``), each check on an address drawn at random, on a
synthetic clock that advances a fixed step per check. In the variant that mostly admits, each address comes
back once a minute on average (about 5 hits in a window of 10); in the variant that mostly refuses, every
3 s (100 per window: credential stuffing). Before the warm-up both sets of windows are seeded with hits
spread over the last period (``RedisLimiter.seed``), so the windows are in their steady state from the
first round: expired hits are trimmed by most checks, as in production. ``InProcessLimiter`` on the
admitting shape is measured in the same rounds as context.

Exactness, with an injected clock: ``RedisLimiter`` and ``InProcessLimiter`` each take the same synthetic
sequence of hits per key: bursts just before, at and just after every period boundary (steps of 1/1024 s, so
every sum is exact in binary) and scattered hits between. Reported: the most hits admitted in any window of
the limit's length (it must equal the limit), whether both limiters admitted the same hits, refusals made
while the window had room, and what a fixed-window counter would have let through on the same sequence.

Everything lives in Redis logical DB 9 under a private key prefix; the DB is flushed before and after,
unless it holds keys of anyone else (then the run stops without touching it).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from adapters.limiter_memory import InProcessLimiter
from adapters.limiter_redis import TIMEOUT_S, RedisLimiter, limiter_client
from api.client_address import limit_key
from api.limits import Limiter, parse_limit
from bootstrap.settings import Settings
from domain.rate_windows import Limit, LimiterUnavailable
from tests.bench import harness, measures, report
from tests.bench.harness import Sample

NAME = "w6"
ROUNDS = harness.smoke(9, 1)
CHECKS = harness.smoke(
    8_000, 160
)  # per Redis variant per round, at either concurrency (500 per thread at 16)
IN_PROCESS_CHECKS = harness.smoke(48_000, 160)
WARM_UP_SHARE = 0.125
THREADS = (1, 16)
ADDRESSES = 1_000
ADMIT_INTERVAL_S = 60.0  # one address's mean time between attempts, mostly admitted
REFUSE_INTERVAL_S = 3.0  # ... mostly refused
ORDER_LENGTH = 1 << 16
REDIS_DB = 9
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
BASE_PREFIX = "keyledger-bench:w6"
EPSILON = 2.0**-10
EDGES = 12
EXACT_KEYS = 3
SEED = 6


def default_limit(name: str) -> Limit:
    """A limit as the API configures it by default (``Settings``)."""
    return parse_limit(name, str(Settings.model_fields[f"{name}_limit"].default))


LOGIN = default_limit("login")


def labels() -> dict[str, str]:
    found: dict[str, str] = {}
    for n in THREADS:
        threads = f"{n} thread{'s' if n > 1 else ''}"
        found |= {
            f"ping_{n}": f"Redis PING, {threads}",
            f"incr_{n}": f"Redis INCR, {threads}",
            f"admit_{n}": f"RedisLimiter check, mostly admits, {threads}",
            f"refuse_{n}": f"RedisLimiter check, mostly refuses, {threads}",
            f"get_{n}": f"Redis GET of the state a check guards, {threads}",
            f"guarded_{n}": f"RedisLimiter.hit_with: check + that read in one script (admits), {threads}",
        }
    return found | {
        f"local_{n}": f"InProcessLimiter check, mostly admits, {n} thread{'s' if n > 1 else ''}"
        for n in THREADS
    }


LABELS = labels()
RATIOS: dict[str, tuple[str, str, str]] = {
    f"{key}_{n}": (f"{top}_{n}", f"{bottom}_{n}", f"{n}t: {label}")
    for n in THREADS
    for key, top, bottom, label in (
        ("admit_vs_incr", "admit", "incr", "check (admits) ÷ INCR"),
        ("refuse_vs_incr", "refuse", "incr", "check (refuses) ÷ INCR"),
        ("admit_vs_ping", "admit", "ping", "check (admits) ÷ PING"),
        ("refuse_vs_ping", "refuse", "ping", "check (refuses) ÷ PING"),
        ("incr_vs_ping", "incr", "ping", "INCR ÷ PING"),
        ("guarded_vs_get", "guarded", "get", "check + guarded read ÷ GET alone"),
    )
} | {
    "scaling_admit": ("admit_16", "admit_1", "scaling: check (admits) 16 ÷ 1 thread"),
    "scaling_ping": ("ping_16", "ping_1", "scaling: PING 16 ÷ 1 thread"),
    "local_vs_admit_1": ("local_1", "admit_1", "context 1t: in-process ÷ Redis check (admits)"),
}
P99_RATIOS: dict[str, tuple[str, str, str]] = {
    f"p99_{key}_{n}": (f"{top}_{n}", f"{bottom}_{n}", f"{n}t: p99 latency, {label}")
    for n in THREADS
    for key, top, bottom, label in (
        ("admit_vs_incr", "admit", "incr", "check (admits) ÷ INCR"),
        ("refuse_vs_incr", "refuse", "incr", "check (refuses) ÷ INCR"),
        ("admit_vs_ping", "admit", "ping", "check (admits) ÷ PING"),
        ("guarded_vs_get", "guarded", "get", "check + guarded read ÷ GET alone"),
    )
}


class Arrivals:
    """A synthetic stream of checks: check ``i`` is on ``keys[order[i]]`` at ``start + i * step``. Threads
    draw from one stream; ``itertools.count`` hands out each ``i`` once."""

    def __init__(self, keys: Sequence[str], step_s: float, start: float, rng: random.Random) -> None:
        self._keys = list(keys)
        self._order = [rng.randrange(len(keys)) for _ in range(ORDER_LENGTH)]
        self._step, self._start = step_s, start
        self._counter = itertools.count()

    def next(self) -> tuple[str, float]:
        i = next(self._counter)
        return self._keys[self._order[i % ORDER_LENGTH]], self._start + i * self._step


@dataclass
class Tally:
    """Checks made, admitted and failed (``LimiterUnavailable`` or a Redis error) over the measured rounds."""

    checks: int = 0
    admitted: int = 0
    errors: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, checks: int, admitted: int, errors: int) -> None:
        with self._lock:
            self.checks += checks
            self.admitted += admitted
            self.errors += errors


Operation = Callable[[str, float], bool]


def address_keys() -> list[str]:
    """The login limit's keys for ``ADDRESSES`` distinct IPv4 clients, as ``RateLimits.login`` names them."""
    return [f"ip:{limit_key(f'10.{i // 65_536}.{i // 256 % 256}.{i % 256}')}" for i in range(ADDRESSES)]


def seed_windows(limiter: Limiter, keys: Sequence[str], per_window: int, now: float, seed: int) -> None:
    """``per_window`` hits per key spread over the last period, at a random phase per key."""
    rng, period = random.Random(seed), LOGIN.period_s
    for key in keys:
        phase = rng.uniform(0.01, 0.99)
        hits = [(f"seed-{j}", now - period + (j + phase) * period / per_window) for j in range(per_window)]
        limiter.seed(key, LOGIN, hits, now)


class Bench:
    """The measured client, the limiters under test and their synthetic streams."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client, self.incr_prefix = client, f"{prefix}:incr"
        self.state_prefix = f"{prefix}:state"
        keys, start = address_keys(), float(int(time.time()))
        self.keys = keys
        client.mset({f"{self.state_prefix}:{key}": "x" * 64 for key in keys})
        self.admitting = RedisLimiter(client, f"{prefix}:admit")
        self.guarding = RedisLimiter(client, f"{prefix}:guard")
        self.refusing = RedisLimiter(client, f"{prefix}:refuse")
        self.local = InProcessLimiter()
        self.streams = {
            "admit": Arrivals(keys, ADMIT_INTERVAL_S / ADDRESSES, start, random.Random(SEED)),
            "refuse": Arrivals(keys, REFUSE_INTERVAL_S / ADDRESSES, start, random.Random(SEED + 1)),
            "local": Arrivals(keys, ADMIT_INTERVAL_S / ADDRESSES, start, random.Random(SEED + 2)),
            "guard": Arrivals(keys, ADMIT_INTERVAL_S / ADDRESSES, start, random.Random(SEED + 7)),
            "bare": Arrivals(keys, 0.0, start, random.Random(SEED + 3)),
        }
        self.tallies: dict[str, Tally] = {}
        per_admit_window = round(LOGIN.period_s / ADMIT_INTERVAL_S)
        seed_windows(self.admitting, keys, per_admit_window, start, SEED + 4)
        seed_windows(self.refusing, keys, LOGIN.count, start, SEED + 5)
        seed_windows(self.local, keys, per_admit_window, start, SEED + 6)
        seed_windows(self.guarding, keys, per_admit_window, start, SEED + 8)

    def ping(self, _key: str, _now: float) -> bool:
        self.client.ping()
        return True

    def incr(self, key: str, _now: float) -> bool:
        # A literal INCR: redis-py's ``incr`` sends INCRBY key 1; ``execute_command`` has no annotations.
        self.client.execute_command("INCR", f"{self.incr_prefix}:{key}")  # type: ignore[no-untyped-call]
        return True

    def get(self, key: str, _now: float) -> bool:
        return self.client.get(f"{self.state_prefix}:{key}") is not None

    def guarded(self, key: str, now: float) -> bool:
        decision, values = self.guarding.hit_with(key, LOGIN, now, [f"{self.state_prefix}:{key}"])
        return decision.allowed and values[0] is not None

    def admit(self, key: str, now: float) -> bool:
        return self.admitting.hit(key, LOGIN, now).allowed

    def refuse(self, key: str, now: float) -> bool:
        return self.refusing.hit(key, LOGIN, now).allowed

    def in_process(self, key: str, now: float) -> bool:
        return self.local.hit(key, LOGIN, now).allowed

    def run(self, name: str, stream: str, workers: int, count: int, operation: Operation) -> Sample:
        """``count`` operations spread over ``workers`` threads, each timed alone; the key and time are
        drawn before the timer starts."""
        tally, arrivals = self.tallies.setdefault(name, Tally()), self.streams[stream]
        per_worker = count // workers

        def work(_index: int, latencies: list[float]) -> None:
            admitted = errors = 0
            for _ in range(per_worker):
                key, now = arrivals.next()
                began = time.perf_counter()
                try:
                    admitted += operation(key, now)
                except (LimiterUnavailable, redis.RedisError):
                    errors += 1
                latencies.append(time.perf_counter() - began)
            tally.add(per_worker, admitted, errors)

        return harness.run_threads(workers, work)

    def variants(self, share: float = 1.0) -> dict[str, Callable[[], Sample]]:
        """Every variant of one round, each ratio's partners side by side; ``share`` scales the counts."""
        checks, local = max(16, round(CHECKS * share)), max(16, round(IN_PROCESS_CHECKS * share))
        found: dict[str, Callable[[], Sample]] = {}
        for n in THREADS:
            for name, stream, count, operation in (
                ("ping", "bare", checks, self.ping),
                ("incr", "bare", checks, self.incr),
                ("admit", "admit", checks, self.admit),
                ("refuse", "refuse", checks, self.refuse),
                ("get", "bare", checks, self.get),
                ("guarded", "guard", checks, self.guarded),
            ):
                found[f"{name}_{n}"] = self.bound(f"{name}_{n}", stream, n, count, operation)
        for n in THREADS:
            found[f"local_{n}"] = self.bound(f"local_{n}", "local", n, local, self.in_process)
        return found

    def bound(
        self, name: str, stream: str, workers: int, count: int, operation: Operation
    ) -> Callable[[], Sample]:
        return lambda: self.run(name, stream, workers, count, operation)


# --- exactness -------------------------------------------------------------------------------------------


def edge_sequence(limit: Limit, start: float, rng: random.Random) -> list[float]:
    """Bursts at 2 steps before, 1 before, at and 1 after every period boundary, and scattered hits between;
    every time a multiple of ``EPSILON`` from ``start``, so windows' edges compare exactly."""
    times: list[float] = []
    slots = int(limit.period_s / EPSILON)
    for k in range(EDGES):
        edge = start + k * limit.period_s
        for offset in (-2, -1, 0, 1):
            times.extend([edge + offset * EPSILON] * rng.randint(limit.count // 2, limit.count + 2))
        times.extend(edge + rng.randrange(slots) * EPSILON for _ in range(rng.randint(0, limit.count)))
    return sorted(times)


def busiest_window(admitted: Sequence[float], period: float) -> int:
    """The most admitted hits in any half-open window ``[s, s + period)`` (the busiest starts at a hit)."""
    ordered = sorted(admitted)
    return max(
        (bisect.bisect_left(ordered, t + period) - bisect.bisect_left(ordered, t) for t in ordered), default=0
    )


def refusals_with_room(times: Sequence[float], allowed: Sequence[bool], limit: Limit) -> int:
    """Refusals made while fewer than ``limit.count`` hits had been admitted in ``(t - period, t]``."""
    so_far: list[float] = []  # admitted, in order (``times`` is sorted)
    wrong = 0
    for t, ok in zip(times, allowed, strict=True):
        if ok:
            so_far.append(t)
        elif len(so_far) - bisect.bisect_right(so_far, t - limit.period_s) < limit.count:
            wrong += 1
    return wrong


def fixed_window(times: Sequence[float], limit: Limit, start: float) -> list[float]:
    """What a counter per fixed window (aligned on ``start``) would admit: the edge case exactness avoids."""
    counts: dict[int, int] = {}
    admitted: list[float] = []
    for t in times:
        window = math.floor((t - start) / limit.period_s)
        if counts.get(window, 0) < limit.count:
            counts[window] = counts.get(window, 0) + 1
            admitted.append(t)
    return admitted


def exactness(client: redis.Redis, prefix: str) -> list[dict[str, Any]]:
    """Each default limit, ``EXACT_KEYS`` keys, the same edge sequences through both limiters."""
    rng, start = random.Random(SEED), 1_800_000_000.0
    shared = RedisLimiter(client, f"{prefix}:exact")
    found: list[dict[str, Any]] = []
    for name in ("login", "api", "download"):
        limit, local = default_limit(name), InProcessLimiter()
        worst = {"redis": 0, "in_process": 0, "fixed_window": 0}
        wrong = {"redis": 0, "in_process": 0}
        hits, same = 0, True
        for k in range(EXACT_KEYS):
            times = edge_sequence(limit, start, rng)
            on_redis = [shared.hit(f"key-{k}", limit, t).allowed for t in times]
            on_local = [local.hit(f"key-{k}", limit, t).allowed for t in times]
            hits, same = hits + len(times), same and on_redis == on_local
            for which, flags in (("redis", on_redis), ("in_process", on_local)):
                admitted = [t for t, ok in zip(times, flags, strict=True) if ok]
                worst[which] = max(worst[which], busiest_window(admitted, limit.period_s))
                wrong[which] += refusals_with_room(times, flags, limit)
            fixed = busiest_window(fixed_window(times, limit, start), limit.period_s)
            worst["fixed_window"] = max(worst["fixed_window"], fixed)
        ok = worst["redis"] == worst["in_process"] == limit.count and same and not any(wrong.values())
        found.append(
            {
                "limit": name,
                "count": limit.count,
                "period_s": limit.period_s,
                "keys": EXACT_KEYS,
                "hits": hits,
                "max_admitted_in_any_window": worst,
                "same_admitted_hits": same,
                "refusals_with_room": wrong,
                "ok": ok,
            }
        )
    return found


def exactness_lines(checks: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"exactness (injected clock; bursts at -2, -1, 0, +1 steps of 1/1024 s around each of {EDGES} period "
        "boundaries per key, scattered hits between; max admitted in any window of the limit's length):"
    ]
    for c in checks:
        worst, wrong = c["max_admitted_in_any_window"], c["refusals_with_room"]
        lines.append(
            f"  check {c['limit']} {c['count']}/{c['period_s']:g} s, {c['keys']} keys, {c['hits']:,} hits: "
            f"RedisLimiter {worst['redis']}, InProcessLimiter {worst['in_process']} (limit {c['count']}); "
            f"same admitted hits: {'yes' if c['same_admitted_hits'] else 'NO'}; refusals with room left: "
            f"{wrong['redis']}/{wrong['in_process']}; a fixed window would admit {worst['fixed_window']} "
            f"-> {'OK' if c['ok'] else 'FAIL'}"
        )
    return lines


# --- Redis housekeeping and the run ------------------------------------------------------------------------


def flush_private_db(admin: redis.Redis) -> None:
    """Empties DB ``REDIS_DB`` when every key in it is this benchmark's; stops the run otherwise."""
    foreign = [key for key in admin.scan_iter(count=1_000) if not key.startswith(BASE_PREFIX.encode())]
    if foreign:
        raise SystemExit(
            f"Redis DB {REDIS_DB} holds {len(foreign)} key(s) that are not this benchmark's "
            f"(e.g. {foreign[0]!r}); not flushing it"
        )
    admin.flushdb()


COMMANDS = ("ping", "incr", "evalsha", "get", "mget")


def command_stats(admin: redis.Redis) -> dict[str, dict[str, int]]:
    stats: dict[str, Any] = admin.info("commandstats")
    return {
        c: {"calls": int(s["calls"]), "usec": int(s["usec"])}
        for c in COMMANDS
        if (s := stats.get(f"cmdstat_{c}")) is not None
    }


def server_time_per_call(
    before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """Redis's own time per command over the rounds (server-wide: other clients' calls count too)."""
    found: dict[str, Any] = {}
    for c in COMMANDS:
        calls = after.get(c, {}).get("calls", 0) - before.get(c, {}).get("calls", 0)
        usec = after.get(c, {}).get("usec", 0) - before.get(c, {}).get("usec", 0)
        found[c] = {"calls": calls, "usec_per_call": round(usec / calls, 2) if calls else None}
    return found


def measure(admin: redis.Redis, prefix: str) -> dict[str, Any]:
    client = limiter_client(REDIS_URL)
    try:
        bench = Bench(client, prefix)
        print("  warm-up", flush=True)
        for run in bench.variants(WARM_UP_SHARE).values():
            run()
        bench.tallies.clear()
        stats_before = command_stats(admin)
        rounds, loads = harness.interleave(bench.variants(), ROUNDS)
        stats_after = command_stats(admin)
        print("  exactness", flush=True)
        checks = exactness(client, prefix)
        return {
            "rounds": rounds,
            "loads": loads,
            "tallies": bench.tallies,
            "server": server_time_per_call(stats_before, stats_after),
            "exactness": checks,
        }
    finally:
        client.close()


def tally_summary(tallies: dict[str, Tally]) -> dict[str, Any]:
    return {
        name: {
            "checks": t.checks,
            "admitted_share": round(t.admitted / t.checks, 4) if t.checks else None,
            "errors": t.errors,
        }
        for name, t in tallies.items()
    }


def context(results: dict[str, Any]) -> list[str]:
    before, after, tallies = results["machine_before"], results["machine_after"], results["checks"]
    server = results["redis_server_us_per_call"]
    shares = ", ".join(
        f"{v} {n}t {tallies[f'{v}_{n}']['admitted_share']:.1%}" for v in ("admit", "refuse") for n in THREADS
    )
    errors = sum(t["errors"] for t in tallies.values())
    per_call = ", ".join(
        f"{c.upper()} {s['usec_per_call']} µs" for c, s in server.items() if s["usec_per_call"] is not None
    )
    return [
        f"W6 rate-limit checks against Redis: {CHECKS:,} operations per Redis variant per round "
        f"({IN_PROCESS_CHECKS:,} in process), {ROUNDS} interleaved rounds after a warm-up of "
        f"{WARM_UP_SHARE:.1%} of that",
        f"Redis {results['redis_version']} at {REDIS_URL} (DB flushed before and after), prefix "
        f"{results['prefix']}; limiter_client: {TIMEOUT_S} s timeout, no retries; PING and INCR on the "
        f"same client and connection pool; redis-py "
        f"{redis.__version__}",
        f"login limit {LOGIN.count}/{LOGIN.period_s:g} s over {ADDRESSES:,} addresses, synthetic clock: "
        f"mean {ADMIT_INTERVAL_S:g} s between an address's checks (admits) or {REFUSE_INTERVAL_S:g} s "
        "(refuses); windows seeded to steady state before the warm-up",
        f"admitted share: {shares}; errors (timeouts etc.): {errors}",
        f"Redis server time per call over the rounds (server-wide, context): {per_call}",
        f"machine: {before['cores']} cores, load average {before['load_average']} before and "
        f"{after['load_average']} after; Python {before['python']}",
        f"1-minute load before each round: {results['load_1min_before_each_round']}",
    ]


def main() -> None:
    print(f"W6 rate limits: RedisLimiter vs INCR and PING, {ROUNDS} interleaved rounds", flush=True)
    before = harness.machine()
    prefix = f"{BASE_PREFIX}:{uuid.uuid4().hex[:12]}"
    admin = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    flush_private_db(admin)
    try:
        measured = measure(admin, prefix)
        version = str(admin.info("server")["redis_version"])
    finally:
        flush_private_db(admin)
        admin.close()
    rounds: list[dict[str, Sample]] = measured["rounds"]
    results: dict[str, Any] = {
        "workload": "W6 rate-limit checks against Redis",
        "rounds": ROUNDS,
        "redis_version": version,
        "redis_url": REDIS_URL,
        "prefix": prefix,
        "limit": {"count": LOGIN.count, "period_s": LOGIN.period_s, "addresses": ADDRESSES},
        "mean_interval_per_address_s": {"admit": ADMIT_INTERVAL_S, "refuse": REFUSE_INTERVAL_S},
        "machine_before": before,
        "machine_after": harness.machine(),
        "load_1min_before_each_round": measured["loads"],
        "checks": tally_summary(measured["tallies"]),
        "redis_server_us_per_call": measured["server"],
        "variants": {
            name: {"label": label, **harness.summarise_variant([r[name] for r in rounds])}
            for name, label in LABELS.items()
        },
        "ratios": {
            key: {"label": f"rate, {label}", **harness.summarise_ratio(rounds, top, bottom)}
            for key, (top, bottom, label) in RATIOS.items()
        }
        | {
            key: {"label": label, **measures.latency_ratio(rounds, top, bottom, 0.99)}
            for key, (top, bottom, label) in P99_RATIOS.items()
        },
        "exactness": measured["exactness"],
    }
    print(report.render(results, harness.previous(NAME), context(results)))
    print("\n" + "\n".join(exactness_lines(results["exactness"])))
    print(f"\nwritten to {harness.write(NAME, results)}")


if __name__ == "__main__":
    main()
