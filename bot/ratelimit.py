"""A per-user token bucket for expensive queries (search, free text, inline, profiles).

It knows nothing about Telegram: a key is any hashable (a user id), and the clock is injectable
so tests step time by hand instead of sleeping. A limited user is told once per cooldown, not
once per message, so a flood of questions does not become a flood of "slow down" replies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Allowance:
    """The outcome of one request: allowed, or refused with how long to wait and whether to say so."""

    allowed: bool
    retry_after: float = 0.0
    notify: bool = False


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    notified_until: float = 0.0


class RateLimiter:
    """``burst`` requests at once, refilled at ``rate`` per second, per key."""

    def __init__(self, burst: int = 20, rate: float = 1.0, *,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("burst must be >= 1 and rate > 0")
        self.burst = float(burst)
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[Hashable, _Bucket] = {}

    def hit(self, key: Hashable, cost: float = 1.0) -> Allowance:
        """Spend ``cost`` tokens for ``key`` if it has them."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(tokens=self.burst, updated=now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return Allowance(allowed=True)
        retry_after = (cost - bucket.tokens) / self.rate
        notify = now >= bucket.notified_until
        if notify:
            # Stay quiet until the bucket has refilled enough for the next request.
            bucket.notified_until = now + retry_after
        return Allowance(allowed=False, retry_after=retry_after, notify=notify)

    def _prune(self, now: float) -> None:
        """Forget keys whose buckets are full again: they hold no information."""
        full = [k for k, b in self._buckets.items()
                if b.tokens + (now - b.updated) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # everyone is busy: drop the oldest
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k].updated)
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
