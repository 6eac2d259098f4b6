"""Engines and transactions.

SQLite is the zero-setup default; PostgreSQL is for several replicas. The options here are the
ones that keep a Slack bot honest under faults, where Slack gives up on a request after 3 s:

- `Sessions`: `sessions()` is for reading and `sessions.begin()` for writing. On SQLite only
  the writing kind queues on this process's writer lock (`SqliteWriters`); reads see a WAL
  snapshot and never wait behind a click.
- the pool holds a connection for every thread that may want one at once and gives up
  waiting for one inside 2 s;
- on PostgreSQL, `lock_timeout` (every connection) and `statement_timeout` (every writing
  transaction: the work a click waits for) turn a stuck lock or statement into an error the
  listener answers with "Couldn't save that", instead of a hang. Reads, which may be the
  Home tab or the weekly summary of thousands of services after the ack, are not cut short;
- `hide_parameters` (and PostgreSQL's row details dropped): a logged SQL error never shows
  evidence, names or notes;
- a short connect timeout and pre-ping, so an outage fails fast and heals by itself;
- PostgreSQL's JIT off: it compiled plans for longer than our statements run.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 15  # other processes' writers (SQLite's own busy handler)
SQLITE_WRITER_WAIT_SECONDS = 2.5  # this process's writers: no point waiting past Slack's 3 s
POOL_TIMEOUT_SECONDS = 2
# Threads that may hold a connection at once: 32 listener threads (bot.slack.runner), up to
# 32 server threads answering /healthz meanwhile (bot.slack.server), the two after-ack pools
# (bot.deps, 2 + 2) and the scheduler, whose summary reads on two connections at once: 70
# (tests/test_db_under_load.py adds them up). Only 20 stay open; the rest are opened under a
# burst and closed after it.
POOL = {"pool_size": 20, "max_overflow": 50, "pool_timeout": POOL_TIMEOUT_SECONDS}
READ_ONLY_OPTION = "assessbot_read_only"
WRITING_OPTION = "assessbot_writing"
POSTGRES_CONNECT_TIMEOUT_SECONDS = 3
# PostgreSQL: waiting 2 s for a row lock means something is stuck (migrations lift it); no
# statement of a writing transaction takes seconds.
POSTGRES_LOCK_TIMEOUT_MS = 2000
POSTGRES_STATEMENT_TIMEOUT_MS = 2500


def normalise_url(url: str) -> str:
    """Accept the URL forms people paste (postgres://, postgresql://); use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine tuned for this app on SQLite or PostgreSQL."""
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    kwargs.setdefault("hide_parameters", True)
    if backend == "sqlite":
        in_memory = make_url(url).database in (None, "", ":memory:")
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            **({} if in_memory else POOL),
            **kwargs,
        )
        SqliteWriters(engine, None if in_memory else make_url(url).database)
        return engine
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT_SECONDS)
    # JIT off: our reads are many small index lookups, and at 5,000 services the summary's
    # readings statement crossed jit_above_cost and spent 80-170 ms compiling a plan that then
    # ran in less time than that. JIT pays off for long CPU-bound queries (PostgreSQL's docs).
    connect_args.setdefault("options", f"-c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS} -c jit=off")
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args,
        **{**POOL, **kwargs},
    )
    _limit_writing_transactions(engine)
    event.listen(engine, "handle_error", _drop_row_details)
    return engine


def _drop_row_details(context: Any) -> None:
    """PostgreSQL explains a constraint failure with the row's values ("DETAIL: Failing row
    contains (…)"), which `hide_parameters` cannot hide. Keep only the first line of the
    message; the detail stays available as `error.orig.diag.message_detail`."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            error.args = (error.args[0].split("\n", 1)[0], *error.args[1:])


def _limit_writing_transactions(engine: Engine) -> None:
    """`Sessions.begin()` transactions get a statement time-out for themselves only."""

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(WRITING_OPTION, False):
            connection.exec_driver_sql(
                f"SET LOCAL statement_timeout = {POSTGRES_STATEMENT_TIMEOUT_MS}"
            )


class SqliteWriters:
    """SQLite has one write lock; this process's writers queue for it on a Python lock.

    A writer that finds SQLite's lock taken sleeps in SQLite's busy handler (up to 100 ms at a
    time) rather than queueing: under a burst of clicks a few waited past Slack's 3 s. So a
    writing transaction (`Sessions.begin()`) takes this lock, then `BEGIN IMMEDIATE`; the next
    writer wakes the moment it ends. Reading transactions take neither: `BEGIN` (deferred)
    reads a WAL snapshot while a writer works.

    Other processes on the same file (gunicorn workers) queue on `ProcessWriterLock`, within
    the same 2.5 s. A thread that already holds the lock and opens a second writing session
    would wait for itself; it gets an error at once instead of a hang. A second *reading*
    session is fine.
    """

    HOLDER = "assessbot_holds_write_lock"

    def __init__(self, engine: Engine, database: str | None = None) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._across = ProcessWriterLock(database) if database else None
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine, "begin", self._on_begin)
        event.listen(engine, "commit", self._on_end)
        event.listen(engine, "rollback", self._on_end)
        # a connection returned mid-transaction (closed without ending)
        event.listen(engine, "checkin", lambda _dbapi, record: self._release(record.info))

    @staticmethod
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take control of pysqlite's transactions (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    def _on_begin(self, connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        if self._owner == threading.get_ident():
            raise RuntimeError(
                "a second writing transaction on a thread that holds SQLite's write lock "
                "would wait for itself: finish the first one before opening another"
            )
        started = time.monotonic()
        if not self._lock.acquire(timeout=SQLITE_WRITER_WAIT_SECONDS):
            raise _locked()
        self._owner = threading.get_ident()
        connection.info[self.HOLDER] = True
        try:
            left = SQLITE_WRITER_WAIT_SECONDS - (time.monotonic() - started)
            if self._across is not None and not self._across.acquire(left):
                raise _locked()
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release(connection.info)
            raise

    def _on_end(self, connection: Any) -> None:
        self._release(connection.info)

    def _release(self, info: dict[str, Any]) -> None:
        if info.pop(self.HOLDER, False):
            if self._across is not None:
                self._across.release()
            self._owner = None
            self._lock.release()


class Sessions(sessionmaker[Session]):
    """`sessions()` opens a session for reading; `sessions.begin()` a writing transaction.

    The distinction is what lets SQLite readers skip the writer lock (`SqliteWriters`). On
    PostgreSQL both are the same. Writing through `sessions()` still works (SQLite takes its
    lock at the first write), it just doesn't queue politely.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(
            engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        self.writer = engine.execution_options(**{WRITING_OPTION: True})

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self(bind=self.writer) as session, session.begin():
            yield session


def session_factory(engine: Engine) -> Sessions:
    return Sessions(engine)


def read_only_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for long reads (exports): no writer lock on SQLite, no statement time-out on
    PostgreSQL. Writing through them is a bug."""
    return sessionmaker(
        engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
    )


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with sessions.begin() as session:
        yield session


def database_answers(engine: Engine) -> bool:
    """True when the database accepts a trivial query now (for /healthz)."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception:  # any driver error means "not healthy"
        return False
    return True


def _locked() -> OperationalError:
    """What SQLite itself raises when its lock stays taken: callers already answer it."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


class ProcessWriterLock:
    """The write lock shared by every process on one SQLite file (gunicorn workers, the CLI).

    Between processes SQLite's own busy handler is all there is, and it sleeps 25-100 ms at a
    time once a wait has lasted a few tries: with two workers taking clicks, a few of them
    waited past Slack's 3 s. An exclusive `flock` on a file beside the database, asked for every
    millisecond, hands the lock over within about a millisecond of its release. Each process
    opens the file itself (a descriptor inherited across fork would share one lock), and only
    a thread holding the in-process lock asks, so at most one waiter per process polls.
    """

    POLL_SECONDS = 0.001

    def __init__(self, database: str) -> None:
        self._path = f"{database}-writer.lock"
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> bool:
        fd = self._descriptor()
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(self.POLL_SECONDS)

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)
