"""Token buckets, in memory, one set per gateway replica.

A bucket holds up to `burst` tokens and refills at `rate` per second; a request takes one.
With N replicas behind a load balancer the effective limit is up to N times the setting,
which is the accepted trade for no shared state on every request (see docs/api.md).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class TokenBuckets:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        # key → (tokens, when they were counted); least recently used first. An evicted key
        # comes back with a full bucket, which is where an idle key's bucket would be anyway.
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    def take(self, key: Hashable) -> float:
        """Take a token: 0 when allowed, else the seconds until one is available."""
        now = self._clock()
        tokens, counted_at = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - counted_at) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return 0.0 if allowed else (1.0 - tokens) / self.rate


def retry_after(seconds: float) -> str:
    """Retry-After in whole seconds, at least 1 (RFC 9110)."""
    return str(max(1, math.ceil(seconds)))
