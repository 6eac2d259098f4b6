"""What a listener, a scheduled job or a CLI command needs, built once at start-up."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.core.people import PeopleCache
from standards import Catalogue, MeasureLibrary

AFTER_ACK_THREADS = 2
SLOW_WORK_THREADS = 2


def after_ack_pool() -> Executor:
    """Few threads on purpose: work done after an ack (posting cards, replies) must not take the
    CPU from requests still waiting for theirs, which Slack abandons after 3 seconds."""
    return ThreadPoolExecutor(max_workers=AFTER_ACK_THREADS, thread_name_prefix="after-ack")


def slow_work_pool() -> Executor:
    """Its own few threads for after-ack work that can take seconds or minutes (subcommands
    such as exports, summary uploads, Home tab publishes, and the 429 back-offs they sleep
    out), so it can never hold up the card updates on `after_ack`."""
    return ThreadPoolExecutor(max_workers=SLOW_WORK_THREADS, thread_name_prefix="slow-work")


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalogue: Catalogue
    clock: Clock = system_clock
    process_name: str = "assessbot"
    after_ack: Executor = field(default_factory=after_ack_pool)
    slow_work: Executor = field(default_factory=slow_work_pool)
    # One directory of people per process, shared by listeners and jobs (bot.slack.directory).
    people: PeopleCache = field(default_factory=PeopleCache)
    # Outcome measure templates (#13), loaded once at start-up with the catalogue; empty when a
    # caller (a test, a tool) has no use for them.
    measures: MeasureLibrary = field(default_factory=lambda: MeasureLibrary(()))
