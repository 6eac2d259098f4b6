"""Two real processes tick at the same moment against one PostgreSQL: every nudge goes out once.

Each process is started with `spawn` (a fresh interpreter, its own engine, connection pool and
WebClient), waits at a barrier, then runs the same `run_reminders_tick` the scheduler runs. The
fake Slack counts what arrives; a short delay on every post keeps both processes busy at once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from multiprocessing.queues import Queue
from typing import Any

import pytest

from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.fakeslack import FakeSlack
from tests.reminder_seed import PROCESS_TEST_NOW, add_service, delivered, tick_in_process

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

NOW = PROCESS_TEST_NOW
SERVICES = 50
OWNERS = [f"U{n:02d}" for n in range(25)]
CHANNELS = [f"C{n}" for n in range(5)]


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    name = f"assessbot_reminders_{os.getpid()}"
    url = create_postgres_database(postgres_server, name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_postgres_database(postgres_server, name)


def test_two_processes_send_each_nudge_exactly_once(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    with session_factory(engine).begin() as session:
        service_ids = [
            add_service(
                session,
                f"Service {n:02d}",
                next_due_on=NOW.date() - timedelta(days=n % 10),
                owners=(OWNERS[n % 25], OWNERS[(n + 1) % 25]),
                channel=CHANNELS[n % 5],
            ).id
            for n in range(SERVICES)
        ]
    engine.dispose()
    with FakeSlack() as fake:
        for owner in OWNERS:
            fake.add_user(owner)
        for channel in CHANNELS:
            fake.add_channel(channel, channel.lower())
        fake.fail_next("chat.postMessage", delay=0.02, times=1000)
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(2)
        queue: Queue[dict[str, Any]] = context.Queue()
        processes = [
            context.Process(
                target=tick_in_process, args=(fake.api_url, postgres_url, name, barrier, queue)
            )
            for name in ("replica-a", "replica-b")
        ]
        for process in processes:
            process.start()
        results = [queue.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=10)
            assert process.exitcode == 0
        counts = delivered(fake, OWNERS)

    per_nudge = Counter(counts.values())
    assert per_nudge == {1: SERVICES * 3}, per_nudge  # two owners' DMs and one channel post each
    expected_services = {key[1] for key in counts}
    assert expected_services == set(service_ids)
    assert sum(r["sent"] for r in results) == SERVICES * 3
    assert sum(r["released"] for r in results) == 0
    assert results[0]["pid"] != results[1]["pid"]
    print("\ntwo-process tick:", results)
