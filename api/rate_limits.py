"""Rate limits as exact sliding windows: a hit is admitted only if fewer than ``count`` hits were admitted
in the last ``period`` seconds, so no window of that length ever holds more than ``count`` (a fixed window
lets twice the limit through across its edge). In-process here; Redis in ``rate_limits_redis``."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    period_s: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after_s: float


class LimiterUnavailable(Exception):
    """The shared limiter (Redis) did not answer in time."""


class Limiter(Protocol):
    def hit(self, key: str, limit: Limit, now: float) -> Decision: ...

    def seed(self, key: str, limit: Limit, hits: Iterable[tuple[str, float]], now: float) -> None:
        """Adds hits recorded elsewhere (the ledger's events: a unique id and a time) to a window, as after
        a restart; seeding the same hits twice adds nothing."""
        ...

    def is_seeded(self) -> bool: ...

    def mark_seeded(self) -> None: ...


def decide(stamps: deque[float], limit: Limit, now: float) -> Decision:
    """The sliding-window rule on one key's admitted hit times (oldest first); admits by appending ``now``."""
    while stamps and stamps[0] <= now - limit.period_s:
        stamps.popleft()
    if len(stamps) < limit.count:
        stamps.append(now)
        return Decision(True, limit.count - len(stamps), 0.0)
    return Decision(False, 0, stamps[0] + limit.period_s - now)


class InProcessLimiter:
    """Exact windows in this process's memory (the embedded default, and the fallback when Redis fails)."""

    def __init__(self) -> None:
        self._windows: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._seeded = False

    def hit(self, key: str, limit: Limit, now: float) -> Decision:
        with self._lock:
            return decide(self._windows.setdefault(f"{limit.name}:{key}", deque()), limit, now)

    def seed(self, key: str, limit: Limit, hits: Iterable[tuple[str, float]], now: float) -> None:
        with self._lock:
            window = self._windows.setdefault(f"{limit.name}:{key}", deque())
            if window:  # this process already counts live hits; seeding is for an empty window
                return
            recent = sorted(stamp for _, stamp in dict(hits).items() if stamp > now - limit.period_s)
            window.extend(recent[-limit.count :])

    def is_seeded(self) -> bool:
        return self._seeded

    def mark_seeded(self) -> None:
        self._seeded = True
