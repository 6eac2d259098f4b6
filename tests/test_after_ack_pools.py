"""Slow after-ack work (exports, summary uploads, Home publishes, 429 back-offs) has its own
bounded pool, so it can fill that pool and card updates still run at once."""

from __future__ import annotations

import threading

from bot.config import load_settings
from bot.deps import SLOW_WORK_THREADS, Deps
from bot.slack.after_ack import later
from standards import Catalogue
from storage.db import make_engine, session_factory
from tests.reminder_seed import job_env


def test_slow_work_cannot_starve_card_updates(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    deps = Deps(
        settings=load_settings(job_env("http://127.0.0.1:9/api/", sqlite_url)),
        engine=engine,
        sessions=session_factory(engine),
        catalogue=Catalogue(()),
    )
    release = threading.Event()
    card_updated = threading.Event()
    try:
        for _ in range(SLOW_WORK_THREADS * 3):  # more slow work than the slow pool has threads
            later(deps, "exporting", lambda: release.wait(30), slow=True)
        later(deps, "updating the thread", card_updated.set)
        assert card_updated.wait(5), "a card update queued behind slow work"
    finally:
        release.set()
        deps.after_ack.shutdown(wait=True)
        deps.slow_work.shutdown(wait=True)
        engine.dispose()
