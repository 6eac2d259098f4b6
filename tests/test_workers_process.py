"""`assessbot run` in HTTP mode with several worker processes, as real processes (and the
master's start-up check of the connections they may open).

What is observed is what an operator sees: the `X-Assessbot-Pid` header on each answer, the pid
on every log line, the processes in /proc. Nothing inside the app is stubbed or counted by hand.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.slack.runner import _warn_if_connections_may_run_out
from storage.db import POOL, make_engine
from storage.migrate import current_revision, head_revision
from tests.driver import SlackDriver
from tests.fakeslack import FakeSlack
from tests.harness import CHANNEL, OWNER, SIGNING_SECRET, settings_env
from tests.test_run_process import assessbot_run, base_env, free_port, wait_for, wait_for_health

pytestmark = pytest.mark.slow

TICK_LINE = re.compile(r"\[(\d+)\] INFO bot\.scheduler: scheduled (\w+) tick done")
SCHEDULER_WORKER = re.compile(r"\[\d+\] INFO bot\.slack\.prefork: worker (\d+) serving and running")
SERVING_WORKER = re.compile(r"\[\d+\] INFO bot\.slack\.prefork: worker (\d+) serving")
STOPPED_WORKER = re.compile(r"\[\d+\] INFO bot\.slack\.prefork: worker (\d+) stopped")
ALEMBIC_LINE = re.compile(r"\[(\d+)\] INFO alembic\.")


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def serving_pids(driver: SlackDriver, requests: int) -> Counter[int]:
    """Which process answered each of `requests` signed `/assess help`, 8 at a time."""

    def one(_index: int) -> int:
        response = driver.command("help", user=OWNER, channel=CHANNEL)
        assert response.status == 200, response.body
        return int(response.headers["x-assessbot-pid"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(pool.map(one, range(requests)))


def two_workers(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> tuple[dict[str, str], str]:
    port = free_port()
    env = base_env(**settings_env(fake_slack, database_url, PORT=str(port), ASSESSBOT_WORKERS="2"))
    return env, f"http://127.0.0.1:{port}"


def test_two_workers_both_answer_and_the_scheduler_ticks_once(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    env, url = two_workers(fake_slack, database_url, tmp_path)
    log = tmp_path / "run.log"
    with assessbot_run(env, log) as master:
        wait_for_health(url, master, log)
        wait_for(lambda: len(SERVING_WORKER.findall(log.read_text())) == 2, timeout=30)
        workers = {int(pid) for pid in SERVING_WORKER.findall(log.read_text())}
        assert all(parent_pid(pid) == master.pid for pid in workers)

        driver = SlackDriver(url, SIGNING_SECRET, fake_slack)
        answered: Counter[int] = Counter()
        for _batch in range(10):  # the kernel hands connections to whichever worker is free
            answered += serving_pids(driver, 24)
            if len(answered) == 2:
                break
        assert set(answered) == workers, answered  # both workers answered signed requests
        wait_for(lambda: len(fake_slack.response_posts()) == sum(answered.values()), timeout=30)

        # The first tick is 10 s after the scheduler starts; wait for both jobs, then a little
        # more, so a second process ticking too would have had time to show in the log.
        wait_for(lambda: len(TICK_LINE.findall(log.read_text())) >= 2, timeout=40)
        time.sleep(3)
        text = log.read_text()
        scheduler_workers = [int(pid) for pid in SCHEDULER_WORKER.findall(text)]
        assert len(scheduler_workers) == 1 and scheduler_workers[0] in workers
        ticks = Counter((int(pid), job) for pid, job in TICK_LINE.findall(text))
        assert {pid for pid, _job in ticks} == {scheduler_workers[0]}  # one process ticked
        assert {"reminders", "summary"} <= {job for _pid, job in ticks}
        assert set(ticks.values()) == {1}, ticks  # each job once, not once per worker
        # Migrations ran in the master, before the fork; the master keeps no thread of its own,
        # so forking a replacement worker can never copy a lock another thread holds.
        assert {int(pid) for pid in ALEMBIC_LINE.findall(text)} == {master.pid}
        assert thread_count(master.pid) == 1

        master.send_signal(signal.SIGTERM)
        assert master.wait(timeout=40) == 0, log.read_text()
    text = log.read_text()
    assert {int(pid) for pid in STOPPED_WORKER.findall(text)} == workers
    assert "assessbot stopped" in text and "Traceback" not in text


def test_sigterm_finishes_work_already_acknowledged_in_every_worker(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"  # nothing migrated yet: the master does it
    env, url = two_workers(fake_slack, fresh, tmp_path)
    log = tmp_path / "run.log"
    with assessbot_run(env, log) as master:
        wait_for_health(url, master, log)
        text = log.read_text()
        assert re.search(
            rf"\[{master.pid}\] INFO alembic\.runtime\.migration: Running upgrade", text
        )
        assert {int(pid) for pid in ALEMBIC_LINE.findall(text)} == {master.pid}
        # Every reply to Slack is held back 1 s: the acks come back at once, the replies are
        # still being sent when SIGTERM arrives. Batches until one batch reached both workers;
        # earlier batches are let finish, so what is pending at SIGTERM is one batch's work.
        fake_slack.fail_next("response_url", delay=1.0, times=1000)
        driver = SlackDriver(url, SIGNING_SECRET, fake_slack)
        sent = 0
        for _batch in range(20):
            batch = serving_pids(driver, 6)
            sent += sum(batch.values())
            if len(batch) == 2:
                break
            wait_for(lambda sent=sent: len(fake_slack.response_posts()) == sent, timeout=30)
        assert len(batch) == 2, batch
        master.send_signal(signal.SIGTERM)
        pending = sent - len(fake_slack.response_posts())
        assert master.wait(timeout=40) == 0, log.read_text()
    assert pending > 0  # SIGTERM came while replies were still being sent
    assert len(fake_slack.response_posts()) == sent  # and every one of them was sent
    assert all("assessbot" in json.dumps(post.body) for post in fake_slack.response_posts())
    engine = make_engine(fresh)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_a_replacement_worker_takes_the_scheduler_over(
    fake_slack: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    env, url = two_workers(fake_slack, sqlite_url, tmp_path)
    log = tmp_path / "run.log"
    with assessbot_run(env, log) as master:
        wait_for_health(url, master, log)
        wait_for(lambda: len(SERVING_WORKER.findall(log.read_text())) == 2, timeout=30)
        (first,) = (int(pid) for pid in SCHEDULER_WORKER.findall(log.read_text()))
        os.kill(first, signal.SIGKILL)  # a crash: nothing of its own gets to run
        wait_for(lambda: len(SCHEDULER_WORKER.findall(log.read_text())) == 2, timeout=30)
        text = log.read_text()
        second = int(SCHEDULER_WORKER.findall(text)[1])
        assert second != first and parent_pid(second) == master.pid
        assert len(SERVING_WORKER.findall(text)) == 3  # two at start, one replacement
        wait_for_health(url, master, log)
        master.send_signal(signal.SIGTERM)
        assert master.wait(timeout=40) == 0, log.read_text()


def test_start_up_warns_when_workers_could_exhaust_postgres_connections(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The master's check after migrating, on its own (starting 4+ workers to see one line
    would cost far more than it shows)."""
    engine = make_engine(database_url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                limit = int(connection.exec_driver_sql("SHOW max_connections").scalar_one())
        else:
            limit = 100  # SQLite has no such limit: no warning at any count
        per_worker = POOL["pool_size"] + POOL["max_overflow"]
        with caplog.at_level(logging.WARNING, logger="bot.slack.runner"):
            _warn_if_connections_may_run_out(engine, 1)
            assert caplog.records == []
            _warn_if_connections_may_run_out(engine, limit // per_worker + 1)
    finally:
        engine.dispose()
    warned = [record.getMessage() for record in caplog.records]
    if database_url.startswith("postgresql"):
        assert len(warned) == 1 and f"max_connections={limit}" in warned[0]
    else:
        assert warned == []
