"""Answering Slack the moment a listener acks, not up to 10 ms later.

Bolt (HTTP mode, `process_before_response=False`) runs each listener on the listener pool and
has the request's thread poll `ack.response` every 10 ms until it is set. So every ack waited
for the next poll, and under load each of those wake-ups also queued for the interpreter lock
behind the work after other requests' acks. Here the request's thread instead sleeps on an
event that the listener's `ack()` (or its end, if it raised first) sets: Bolt's poll then finds
the answer already there and never sleeps. Behaviour is Bolt's own otherwise: the same
listener thread, the same time-out (Bolt's 3 s poll still applies when nothing acks).

The event travels from the request's thread to `submit` in a thread-local, set by a global
middleware: Bolt runs the middleware and then submits the listener on that same thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltRequest, BoltResponse

T = TypeVar("T")
# Bolt's own wait for an ack (a listener's `ack_timeout`, 3 s): an ack later than that is
# given up on exactly as before, when Bolt's poll stops.
ACK_WAIT_SECONDS = 3.0

_waiting = threading.local()


class SignallingAck(Ack):
    """Bolt's `ack`, which also wakes the thread waiting to send the answer."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.done = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.done.set()


class AckWaitingExecutor(Executor):
    """The listener pool, whose `submit` (on a request's thread) returns once the listener has
    acked or finished, so Bolt's 10 ms poll that follows finds the answer at once."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        ack: SignallingAck | None = getattr(_waiting, "ack", None)
        _waiting.ack = None  # one listener per request; anything else submitted runs as is
        if ack is None:
            return self._inner.submit(fn, *args, **kwargs)

        def run() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                ack.done.set()  # raised before acking: Bolt's runner answers with an error

        future = self._inner.submit(run)
        ack.done.wait(ACK_WAIT_SECONDS)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def signal_acks(app: App) -> None:
    """Give every request an ack that wakes its thread (see the module docstring)."""

    @app.middleware
    def with_signalling_ack(req: BoltRequest, next: Callable[[], None]) -> None:
        ack = SignallingAck()
        req.context["ack"] = ack
        _waiting.ack = ack
        next()
