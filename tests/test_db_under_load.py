"""The database never makes anyone wait longer than Slack does, and never leaks what people
typed into logs; SQLite readers never queue behind writers."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.housekeeping import run_housekeeping_tick
from bot.slack.errors import COULD_NOT_SAVE
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import Answer, Assessment, ProcessedEvent, Service
from tests.harness import CHANNEL, OWNER, RunningApp
from tests.test_assessment_e2e import newest_card, register

SECRET = "Evidence: Mrs Jones of 12 Acacia Avenue"


def test_sql_errors_never_show_the_values(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("assessbot.test")
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        try:
            # services.team_id is NOT NULL: the insert fails, carrying SECRET as a parameter.
            connection.execute(
                text("INSERT INTO services (name, team_id) VALUES (:name, NULL)"),
                {"name": SECRET},
            )
        except DBAPIError:
            logger.exception("saving failed")
            raise
    assert SECRET not in str(raised.value)
    assert "hidden" in str(raised.value)
    assert caplog.records and all(SECRET not in record.getMessage() for record in caplog.records)
    assert SECRET not in caplog.text


def test_a_row_locked_from_outside_becomes_couldnt_save_within_3s(
    slack_app_each_db: RunningApp, database_url: str
) -> None:
    """PostgreSQL: a 60-second SELECT … FOR UPDATE from another connection. SQLite has no row
    locks: another writer of this process sits on the write lock for 60 seconds instead."""
    app = slack_app_each_db
    register(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    card = newest_card(app)
    with app.deps.sessions() as session:
        assessment_id = session.scalars(select(Assessment.id)).one()
    release = threading.Event()
    holding = threading.Event()

    def hold_the_lock() -> None:
        if app.deps.engine.dialect.name == "postgresql":
            dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(dsn) as outside, outside.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM assessments WHERE id = %s FOR UPDATE", (assessment_id,)
                )
                holding.set()
                release.wait(60)
                outside.rollback()
        else:
            with app.deps.sessions.begin() as session:
                session.execute(text("UPDATE assessments SET status = status"))
                holding.set()
                release.wait(60)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(10)
        response = app.driver.click("Met", user=OWNER, in_message=(CHANNEL, card["ts"]))
    finally:
        release.set()
        holder.join(timeout=10)
    assert response.status == 200
    assert response.elapsed < 3.0, f"acked after {response.elapsed:.2f}s"
    assert COULD_NOT_SAVE in [post.body.get("text") for post in app.fake.response_posts()]
    with app.deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 0


def test_sqlite_reads_never_wait_for_a_writer(sessions: sessionmaker[Session]) -> None:
    """A writer holds its transaction open until the reader has finished: if reads took the
    write lock this would wait for itself and the writer's time-out would fail the test."""
    read_done = threading.Event()
    outcome: dict[str, object] = {}

    def writer() -> None:
        with sessions.begin() as session:
            session.execute(text("DELETE FROM processed_events"))
            outcome["reader_finished_first"] = read_done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.2)  # let the writer take its lock first
    with sessions() as session:
        session.scalar(select(func.count()).select_from(Service))
    read_done.set()
    thread.join(timeout=15)
    assert outcome == {"reader_finished_first": True}


def test_a_second_session_on_the_same_thread_cannot_deadlock(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        session.execute(text("DELETE FROM processed_events"))
        with sessions() as reader:  # a read inside a write: fine on both databases
            assert reader.scalar(select(func.count()).select_from(Service)) == 0
        if session.get_bind().dialect.name == "sqlite":
            started = time.monotonic()
            with pytest.raises(RuntimeError, match="wait for itself"), sessions.begin() as inner:
                inner.execute(text("DELETE FROM processed_events"))
            assert time.monotonic() - started < 1.0


def test_housekeeping_forgets_event_ids_older_than_a_day(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    now = app.clock()
    with app.deps.sessions.begin() as session:
        for n, age in enumerate([timedelta(days=3), timedelta(hours=25), timedelta(hours=2)]):
            session.add(ProcessedEvent(event_id=f"Ev{n}", team_id="T1", received_at=now - age))
    assert run_housekeeping_tick(app.deps) == 2
    with app.deps.sessions() as session:
        assert session.scalars(select(ProcessedEvent.event_id)).all() == ["Ev2"]


def test_the_pool_has_a_connection_for_every_thread_that_may_want_one() -> None:
    from bot.deps import AFTER_ACK_THREADS, SLOW_WORK_THREADS
    from bot.slack.runner import LISTENER_THREADS
    from bot.slack.server import SERVER_THREADS
    from storage.db import POOL, POOL_TIMEOUT_SECONDS

    scheduler = 2  # the summary reads its outcomes on a second connection (PostgreSQL)
    threads = LISTENER_THREADS + SERVER_THREADS + AFTER_ACK_THREADS + SLOW_WORK_THREADS + scheduler
    assert POOL["pool_size"] + POOL["max_overflow"] >= threads
    assert POOL["pool_timeout"] == POOL_TIMEOUT_SECONDS < 3  # gives up inside Slack's 3 s


@pytest.mark.postgres
def test_postgres_time_limits_are_for_writes_and_lock_waits(migrated_postgres: str) -> None:
    """A click's transaction may not run past Slack's patience; a long read after the ack (the
    Home tab or the summary of thousands of services) is not cut short."""
    engine = make_engine(migrated_postgres)
    sessions = session_factory(engine)
    try:
        with sessions.begin() as writing:
            assert writing.scalar(text("SHOW statement_timeout")) == "2500ms"
            assert writing.scalar(text("SHOW lock_timeout")) == "2s"
        with sessions() as reading:
            assert reading.scalar(text("SHOW statement_timeout")) == "0"
            assert reading.scalar(text("SHOW lock_timeout")) == "2s"
        with sessions.begin() as again:  # SET LOCAL ended with the transaction; set again
            assert again.scalar(text("SHOW statement_timeout")) == "2500ms"
    finally:
        engine.dispose()


HOLD_WRITE_LOCK = """
import sys, time
from sqlalchemy import text
from storage.db import make_engine, session_factory
sessions = session_factory(make_engine(sys.argv[1]))
with sessions.begin() as session:
    session.execute(text("DELETE FROM processed_events"))
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold_write_lock(url: str, seconds: float) -> subprocess.Popen[str]:
    """Another process (as a second gunicorn worker would be) in a writing transaction."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, url, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_sqlite_writer_waits_for_another_process_then_goes_on(tmp_path: Path) -> None:
    """Two processes on one file take turns (how quickly the lock is handed over is measured
    in bench/, by the latency benchmark's SQLite tail with two workers)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    upgrade(engine)
    holder = _hold_write_lock(url, 0.5)
    try:
        started = time.monotonic()
        with session_factory(engine).begin() as session:
            session.execute(text("DELETE FROM processed_events"))  # the transaction begins here
            waited = time.monotonic() - started
        assert holder.wait(timeout=10) == 0
        ended = time.monotonic() - started
    finally:
        holder.kill()
        engine.dispose()
    assert 0.3 < waited < ended  # it did wait for the other process, and then went on


def test_sqlite_writer_blocked_by_another_process_gives_up_within_3s(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    upgrade(engine)
    holder = _hold_write_lock(url, 20)
    try:
        started = time.monotonic()
        locked = pytest.raises(OperationalError, match="database is locked")
        with locked, session_factory(engine).begin() as session:
            session.execute(text("DELETE FROM processed_events"))
        assert time.monotonic() - started < 3.0
    finally:
        holder.kill()
        engine.dispose()
