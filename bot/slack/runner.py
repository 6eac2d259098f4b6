"""`assessbot run`: build everything once, serve Slack, tick the scheduler, stop on a signal.

HTTP mode serves with several worker processes (`bot.slack.prefork`): migrations run once in the
master before any fork, each worker builds its own `ProcessApp`, one of them runs the scheduler.
Socket Mode is one process per replica: the same `ProcessApp`, its scheduler, one connection.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import ConfigError, Settings
from bot.core.housekeeping import run_housekeeping_tick
from bot.deps import Deps
from bot.scheduler import Tick, build_scheduler
from bot.slack.app import build_app
from bot.slack.client import build_web_client
from bot.slack.reminder_job import run_reminders_tick
from bot.slack.server import SocketModeServer, build_wsgi
from bot.slack.summary_job import run_summary_tick
from standards import Catalogue, load_catalogue, load_measure_templates
from storage.db import POOL, make_engine, session_factory
from storage.migrate import upgrade

logger = logging.getLogger(__name__)

LISTENER_THREADS = 32


def build_deps(settings: Settings, catalogue: Catalogue | None = None) -> Deps:
    engine = make_engine(settings.database_url)
    catalogue = load_catalogue(settings.standards_dir) if catalogue is None else catalogue
    return Deps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        catalogue=catalogue,
        process_name=f"{socket.gethostname()}:{os.getpid()}",
        measures=load_measure_templates(catalogue, settings.standards_dir),
    )


def scheduled_ticks(deps: Deps, client: WebClient) -> dict[str, Tick]:
    """Every scheduled job; each decides from the database what (if anything) to send."""
    return {  # people are looked up through the process's one cache, `deps.people`
        "reminders": lambda: run_reminders_tick(deps, client),
        "summary": lambda: run_summary_tick(deps, client),
        "housekeeping": lambda: run_housekeeping_tick(deps),
    }


class ProcessApp:
    """Everything one serving process owns: engine, Slack client, Bolt app, thread pools and
    (in one process per replica) the scheduler. Built after any fork, never shared."""

    def __init__(self, settings: Settings, catalogue: Catalogue) -> None:
        self.deps = build_deps(settings, catalogue)
        self.client = build_web_client(settings)
        # Enough listener threads that an ack never waits for another request's work: each
        # listener only saves and acks, then hands the rest to the small after-ack pool.
        self._listeners = ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="listener"
        )
        self.app = build_app(self.deps, self.client, listener_executor=self._listeners)
        self.wsgi = build_wsgi(self.app, self.deps.engine)
        self._scheduler: BackgroundScheduler | None = None

    def start_scheduler(self) -> None:
        self._scheduler = build_scheduler(
            scheduled_ticks(self.deps, self.client),
            every_minutes=self.deps.settings.tick_minutes,
            clock=self.deps.clock,
        )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        self._listeners.shutdown(wait=True)
        self.deps.after_ack.shutdown(wait=True)  # finish posting what was already acknowledged
        self.deps.slow_work.shutdown(wait=True)
        self.deps.engine.dispose()


def run(settings: Settings) -> int:
    catalogue = load_catalogue(settings.standards_dir)  # a broken standard stops us before a fork
    load_measure_templates(catalogue, settings.standards_dir)  # and so does a broken template
    if settings.socket_mode:
        _migrate(settings)
        return _run_socket_mode(settings, catalogue)
    try:
        from bot.slack.prefork import PreforkServer  # gunicorn: HTTP mode only, POSIX only
    except ImportError:
        raise ConfigError(
            "HTTP mode needs gunicorn, which runs on Linux and macOS, not Windows: set "
            "SLACK_APP_TOKEN for Socket Mode, or run under WSL"
        ) from None
    _migrate(settings)
    server = PreforkServer(
        lambda: ProcessApp(settings, catalogue),
        port=settings.port,
        workers=settings.workers,
        on_exit=lambda: logger.info("assessbot stopped"),
    )
    logger.info(
        "assessbot listening on port %d (HTTP mode, %d worker processes)",
        settings.port,
        settings.workers,
    )
    server.run()  # exits the process through SystemExit: 0 after SIGTERM
    return 0


def _migrate(settings: Settings) -> None:
    """Once per replica, in the one process that exists before workers fork; the engine is
    disposed so no connection (nor pool) is inherited by a child."""
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        _warn_if_connections_may_run_out(engine, settings.workers)
    finally:
        engine.dispose()


def _warn_if_connections_may_run_out(engine: Engine, workers: int) -> None:
    """Each worker has its own pool: say so at start if this replica alone could exhaust
    PostgreSQL's connections under a burst (README, "Workers")."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        limit = int(connection.exec_driver_sql("SHOW max_connections").scalar_one())
    most = (POOL["pool_size"] + POOL["max_overflow"]) * workers
    if most > limit:
        logger.warning(
            "%d workers may open up to %d database connections, more than PostgreSQL's "
            "max_connections=%d: set ASSESSBOT_WORKERS lower or raise max_connections",
            workers,
            most,
            limit,
        )


def _run_socket_mode(settings: Settings, catalogue: Catalogue) -> int:
    assert settings.app_token is not None
    served = ProcessApp(settings, catalogue)
    server = SocketModeServer(served.app, settings.app_token)
    logger.info("assessbot running in Socket Mode")
    served.start_scheduler()
    _on_signals(lambda: server.stop())
    try:
        server.serve_forever()
    finally:
        served.stop()
        logger.info("assessbot stopped")
    return 0


def _on_signals(stop: Callable[[], None]) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
