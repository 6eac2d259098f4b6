"""The clock that makes reminders and summaries happen.

APScheduler only ticks: what to send is decided from the database on every tick and each
message is claimed there before it is sent, so a missed tick, a restart or a second replica
changes nothing. That is why the jobs live in memory: APScheduler's own job store could not
give exactly-once delivery across replicas anyway. Never started by one-shot CLI commands.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import Clock

logger = logging.getLogger(__name__)

Tick = Callable[[], object]


def build_scheduler(
    ticks: dict[str, Tick], *, every_minutes: int, clock: Clock
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone="UTC",
    )
    first_run = clock() + timedelta(seconds=10)
    for name, tick in ticks.items():
        scheduler.add_job(
            _logged(name, tick),
            "interval",
            minutes=every_minutes,
            id=name,
            next_run_time=first_run,
        )
    return scheduler


def _logged(name: str, tick: Tick) -> Callable[[], None]:
    def run() -> None:
        started = time.perf_counter()
        try:
            tick()
        except Exception:  # one failed tick must not stop the next
            logger.exception("scheduled %s tick failed; it will run again next tick", name)
            return
        # One line per tick says the scheduler is alive, and in which process it runs.
        took = time.perf_counter() - started
        logger.info("scheduled %s tick done in %.2f s (pid %d)", name, took, os.getpid())

    return run
