"""Rate limits as exact sliding windows: a hit is admitted only if fewer than ``count`` hits were admitted
in the last ``period`` seconds, so no window of that length ever holds more than ``count`` (a fixed window
lets twice the limit through across its edge). The rule is pure: the limiters (in-process and Redis, in
``adapters``) keep the admitted hit times and apply it."""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass


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
    """A shared limiter (Redis) did not answer in time: the route's failure policy decides."""


def decide(stamps: deque[float], limit: Limit, now: float) -> Decision:
    """The sliding-window rule on one key's admitted hit times (oldest first); admits by adding ``now`` in
    its place (at the end, unless a later time was admitted first)."""
    while stamps and stamps[0] <= now - limit.period_s:
        stamps.popleft()
    if len(stamps) < limit.count:
        if stamps and now < stamps[-1]:
            stamps.insert(bisect.bisect_right(stamps, now), now)
        else:
            stamps.append(now)
        return Decision(True, limit.count - len(stamps), 0.0)
    return Decision(False, 0, stamps[0] + limit.period_s - now)
