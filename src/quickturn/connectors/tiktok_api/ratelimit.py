"""Token-bucket rate limiting per API (the platform's default is 50 QPS per API per app and shop).

Data flow: before each request the client calls ``limiter.acquire(key)`` with
``key = (shop, API path)``; the bucket refills at ``rate`` tokens per second up to
``capacity`` and blocks (sleeps) until a token is free.  Clock and sleep are injectable so
tests run without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable


class TokenBucket:
    """A thread-safe token bucket: ``rate`` tokens per second, bursts up to ``capacity``."""

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(rate, 1.0))
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)

    def try_acquire(self, tokens: float = 1.0) -> float:
        """Take ``tokens`` if available and return 0, else return the seconds to wait."""
        with self._lock:
            self._refill()
            if self._tokens >= tokens - 1e-9:  # tolerate float rounding of the refill
                self._tokens = max(0.0, self._tokens - tokens)
                return 0.0
            return max((tokens - self._tokens) / self.rate, 1e-6)

    def acquire(self, tokens: float = 1.0) -> float:
        """Block until ``tokens`` are taken; return the seconds waited."""
        waited = 0.0
        while True:
            wait = self.try_acquire(tokens)
            if wait <= 0:
                self.waited += waited
                return waited
            self._sleep(wait)
            waited += wait


class RateLimiter:
    """One :class:`TokenBucket` per key (API path and shop), created on first use."""

    def __init__(
        self,
        qps: float = 50.0,
        *,
        per_api: dict[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.qps = qps
        self.per_api = dict(per_api or {})
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, api: str, shop: str = "") -> TokenBucket:
        key = (shop, api)
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                rate = self.per_api.get(api, self.qps)
                b = TokenBucket(rate, clock=self._clock, sleep=self._sleep)
                self._buckets[key] = b
            return b

    def acquire(self, api: str, shop: str = "") -> float:
        return self.bucket(api, shop).acquire()

    @property
    def waited(self) -> float:
        return sum(b.waited for b in self._buckets.values())
