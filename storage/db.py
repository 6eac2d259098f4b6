"""Engines and transactions.

SQLite is the zero-setup default; PostgreSQL is for several replicas. The engine options here
are the ones that keep a Slack bot honest under faults: a short connect timeout and pre-ping so
a database outage fails fast and heals by itself, and on SQLite `BEGIN IMMEDIATE` plus a busy
timeout so two writers queue instead of failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 15
# Up to 30 connections per process: the HTTP server's and listeners' threads plus the
# scheduler may all want one at once under a burst of clicks.
POOL = {"pool_size": 10, "max_overflow": 20}
READ_ONLY_OPTION = "assessbot_read_only"
POSTGRES_CONNECT_TIMEOUT_SECONDS = 3


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
    if backend == "sqlite":
        in_memory = make_url(url).database in (None, "", ":memory:")
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            **({} if in_memory else POOL),
            **kwargs,
        )
        _make_sqlite_transactional(engine)
        return engine
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT_SECONDS)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args,
        **{**POOL, **kwargs},
    )


def _make_sqlite_transactional(engine: Engine) -> None:
    """Take the write lock at BEGIN so read-then-write transactions cannot deadlock.

    pysqlite's own transaction handling starts transactions lazily and in DEFERRED mode; this is
    SQLAlchemy's documented recipe for taking control of it.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    # SQLite has one write lock, and a writer that finds it taken sleeps in SQLite's busy
    # handler (up to 100 ms at a time) rather than queueing: under a burst of clicks a few
    # waited past Slack's 3 s. Writers of this process queue on a Python lock instead, and
    # wake the moment the previous transaction ends. Waiting is bounded like SQLite's own.
    writers = threading.Lock()
    holder = "assessbot_holds_write_lock"

    def release(info: dict[str, Any]) -> None:
        if info.pop(holder, False):
            writers.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS):
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        connection.info[holder] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            release(connection.info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        release(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        release(record.info)  # a connection returned mid-transaction (closed without ending)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_only_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for long reads (exports): on SQLite they don't take the write lock, so a big
    export never makes people's clicks wait. Writing through them is a bug."""
    return session_factory(engine.execution_options(**{READ_ONLY_OPTION: True}))


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with sessions() as session, session.begin():
        yield session


def database_answers(engine: Engine) -> bool:
    """True when the database accepts a trivial query now (for /healthz)."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception:  # any driver error means "not healthy"
        return False
    return True
