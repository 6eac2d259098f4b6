"""HTTP mode on every core: gunicorn's pre-fork master with threaded (gthread) workers.

Why gunicorn rather than waitress under a process manager of our own: one Python process runs
our code on one core at a time, so using both cores needs processes, and a pre-fork master that
shares one listening socket, restarts a worker that dies, stops them all on SIGTERM after their
in-flight requests and exits 0 is exactly gunicorn's job, well kept and widely deployed. waitress
is one process; around it we would hand-write the forking, reaping, restarting and signalling.
gthread workers keep the threaded model the app was built for (many requests wait on the
database or Slack at once; each ack must not queue behind another request's work).

What must not cross a fork is never made in the master: the master only runs the migrations
(its engine is disposed, every connection closed, before the first fork) and keeps no threads
(gunicorn's control socket thread is switched off), so forking a replacement worker at any time
is safe. Each worker builds its own engine, pools, executors and SQLite writer lock in `load()`,
after the fork — SQLAlchemy's advice is an engine per process, with no connection carried over.

The scheduler runs in exactly one worker per replica: the master marks the first worker it forks
while no live worker has it, so when that worker dies its replacement takes the scheduler over.
Not in the master, because the master forks replacements at any time and must stay
single-threaded for that; not in every worker, because claims would make the extra ticks
harmless but they would still be needless database work on every tick.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, Protocol

from gunicorn.app.base import BaseApplication

from bot.slack.server import SERVER_THREADS, WsgiApp

logger = logging.getLogger(__name__)

# How long the master waits after SIGTERM before it kills a worker: enough for the requests in
# flight (milliseconds) and the acknowledged work `Served.stop()` finishes (seconds).
GRACEFUL_SECONDS = 25
SCHEDULER_MARK = "assessbot_runs_scheduler"


class Served(Protocol):
    """What one worker process serves, built after the fork."""

    wsgi: WsgiApp

    def start_scheduler(self) -> None:
        """Start this replica's scheduler (called in one worker only)."""

    def stop(self) -> None:
        """Finish acknowledged work and release the database (the worker is exiting)."""


class PreforkServer(BaseApplication):  # type: ignore[misc]
    """`assessbot run` in HTTP mode: `run()` returns only through SystemExit (0 on SIGTERM)."""

    def __init__(
        self,
        build: Callable[[], Served],
        *,
        port: int,
        workers: int,
        host: str = "0.0.0.0",
        on_exit: Callable[[], None] = lambda: None,
    ) -> None:
        self._build = build
        self._options: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": SERVER_THREADS,
            "graceful_timeout": GRACEFUL_SECONDS,
            "control_socket_disable": True,  # a thread in the master; we need no live control
            "preload_app": False,  # the app (engine, pools, threads) is built in each worker
            "accesslog": None,
            "loglevel": "info",
            "proc_name": "assessbot",
            "pre_fork": _mark_scheduler_worker,
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
            "on_exit": lambda _arbiter: on_exit(),
        }
        self._served: Served | None = None
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            if name in self.cfg.settings:  # older gunicorn has no control socket setting
                self.cfg.set(name, value)

    def load(self) -> WsgiApp:
        self._served = self._build()  # in the worker, after the fork
        return self._served.wsgi

    def _post_worker_init(self, worker: Any) -> None:
        runs_scheduler = bool(getattr(worker, SCHEDULER_MARK, False))
        logger.info(
            "worker %d serving%s",
            os.getpid(),
            " and running the scheduler" if runs_scheduler else "",
        )
        if runs_scheduler and self._served is not None:
            self._served.start_scheduler()

    def _worker_exit(self, _arbiter: Any, worker: Any) -> None:
        if self._served is not None and worker.pid == os.getpid():  # in the worker itself
            self._served.stop()
            logger.info("worker %d stopped", os.getpid())


def _mark_scheduler_worker(arbiter: Any, worker: Any) -> None:
    """In the master, before forking `worker`: give it the scheduler if no live worker has it."""
    taken = any(getattr(other, SCHEDULER_MARK, False) for other in arbiter.WORKERS.values())
    setattr(worker, SCHEDULER_MARK, not taken)
