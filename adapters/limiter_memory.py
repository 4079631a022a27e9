"""Exact sliding windows in this process's memory: the embedded default, and the strict fallback while
the shared limiter (Redis) is down."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Sequence

from domain.rate_windows import Decision, Limit, decide


class InProcessLimiter:
    """Exact windows in this process's memory (the embedded default, and the fallback when Redis fails)."""

    def __init__(self) -> None:
        self._windows: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._seeded = False

    def hit(self, key: str, limit: Limit, now: float) -> Decision:
        with self._lock:
            return decide(self._windows.setdefault(f"{limit.name}:{key}", deque()), limit, now)

    def hit_with(
        self, key: str, limit: Limit, now: float, _reads: Sequence[str]
    ) -> tuple[Decision, list[bytes | None]]:
        """The check alone: this process keeps no shared keys (the caller reads them itself)."""
        return self.hit(key, limit, now), []

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
