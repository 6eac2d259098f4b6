"""A replica for the outcome tests' two-process tick: a fresh interpreter, its own engine,
pool and WebClient, one reminder tick at a chosen moment. Lives outside the test modules so
the spawned interpreter need not import pytest."""

from __future__ import annotations

import os
from datetime import datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from tests.reminder_seed import FakeClock, job_deps, slack_client


def tick_at(
    api_url: str,
    database_url: str,
    name: str,
    moment: str,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    from bot.slack.reminder_job import run_reminders_tick

    deps = job_deps(
        api_url, database_url, FakeClock(datetime.fromisoformat(moment)), process_name=name
    )
    client = slack_client(api_url)
    barrier.wait(timeout=60)
    report = run_reminders_tick(deps, client)
    deps.engine.dispose()
    results.put({"name": name, "pid": os.getpid(), "sent": report.sent, "lost": report.lost_races})
