"""Fault injection and rate limiting for the fake Web API."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """What to do to the next call(s) of one method.

    ``delay`` sleeps first; then ``drop`` closes the connection without an answer, or
    ``retry_after`` answers 429 with ``Retry-After``, or ``status`` answers that HTTP status,
    or ``error`` answers ``{"ok": false, "error": error}`` with HTTP 200.  A fault with only
    ``delay`` delays a call that is otherwise handled normally. With ``user`` set, only a
    call whose ``user`` argument is that id takes the fault (users.info for one person).
    ``accept_then_drop`` handles the call (a post is made) and then closes the connection
    without answering: the app cannot tell whether it worked.
    """

    error: str | None = None
    status: int | None = None
    retry_after: int | None = None
    drop: bool = False
    delay: float | None = None
    user: str | None = None
    accept_then_drop: bool = False


class FaultPlan:
    """Queued faults per method (``"*"`` matches every method). Not thread-safe by itself."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[Fault]] = {}

    def add(self, method: str, fault: Fault, times: int) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self._queued.setdefault(method, deque()).extend([fault] * times)

    def take(self, method: str, user: str | None = None) -> Fault | None:
        for key in (method, "*"):
            queue = self._queued.get(key)
            for fault in list(queue or ()):
                if fault.user is None or fault.user == user:
                    assert queue is not None
                    queue.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        self._queued.clear()


class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> int | None:
        """None when a token was available, else the whole seconds to wait (>= 1)."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rate))


@dataclass(frozen=True)
class Limit:
    per_second: float
    burst: int


class RateLimiter:
    """Per-method limits (workspace-wide) and the special per-channel posting limit."""

    def __init__(self) -> None:
        self.method_limits: dict[str, Limit] = {}
        self.channel_limit: Limit | None = None
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def check(self, method: str, channel: str | None, now: float) -> int | None:
        """None when the call may proceed, else the Retry-After seconds."""
        checks: list[tuple[tuple[str, str], Limit]] = []
        if method in self.method_limits:
            checks.append(((method, ""), self.method_limits[method]))
        if method == "chat.postMessage" and channel and self.channel_limit is not None:
            checks.append(((method, channel), self.channel_limit))
        for key, limit in checks:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(limit.per_second, limit.burst, now)
            wait = bucket.take(now)
            if wait is not None:
                return wait
        return None

    def set_channel_limit(self, limit: Limit | None) -> None:
        self.channel_limit = limit
        self._buckets = {k: b for k, b in self._buckets.items() if k[1] == ""}

    def set_method_limit(self, method: str, limit: Limit | None) -> None:
        if limit is None:
            self.method_limits.pop(method, None)
        else:
            self.method_limits[method] = limit
        self._buckets.pop((method, ""), None)
