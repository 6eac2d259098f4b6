"""`assessbot run`: build everything once, serve Slack, tick the scheduler, stop on a signal."""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

from slack_sdk import WebClient

from bot.config import Settings
from bot.core.housekeeping import run_housekeeping_tick
from bot.deps import Deps
from bot.scheduler import Tick, build_scheduler
from bot.slack.app import build_app
from bot.slack.client import build_web_client
from bot.slack.reminder_job import run_reminders_tick
from bot.slack.server import HttpServer, SocketModeServer, build_wsgi
from bot.slack.summary_job import run_summary_tick
from standards import load_catalogue, load_measure_templates
from storage.db import make_engine, session_factory
from storage.migrate import upgrade

logger = logging.getLogger(__name__)

LISTENER_THREADS = 32


def build_deps(settings: Settings) -> Deps:
    engine = make_engine(settings.database_url)
    catalogue = load_catalogue(settings.standards_dir)
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


def run(settings: Settings) -> int:
    deps = build_deps(settings)
    upgrade(deps.engine)
    client = build_web_client(settings)
    # Enough listener threads that an ack never waits for another request's work: each
    # listener only saves and acks, then hands the rest to the small after-ack pool.
    listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    app = build_app(deps, client, listener_executor=listeners)
    server: HttpServer | SocketModeServer
    if settings.socket_mode:
        assert settings.app_token is not None
        server = SocketModeServer(app, settings.app_token)
        logger.info("assessbot running in Socket Mode")
    else:
        server = HttpServer(build_wsgi(app, deps.engine), settings.port)
        logger.info("assessbot listening on port %d (HTTP mode)", server.port)
    scheduler = build_scheduler(
        scheduled_ticks(deps, client), every_minutes=settings.tick_minutes, clock=deps.clock
    )
    scheduler.start()
    _on_signals(lambda: server.stop())
    try:
        server.serve_forever()
    finally:
        scheduler.shutdown(wait=False)
        listeners.shutdown(wait=True)
        deps.after_ack.shutdown(wait=True)  # finish posting what was already acknowledged
        deps.slow_work.shutdown(wait=True)
        deps.engine.dispose()
        logger.info("assessbot stopped")
    return 0


def _on_signals(stop: Callable[[], None]) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
