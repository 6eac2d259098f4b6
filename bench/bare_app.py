"""The latency baseline: a bare Bolt app whose listeners only ack, served like `assessbot run`.

Same server (`bot.slack.prefork.PreforkServer` + `build_wsgi`: gunicorn with the same number of
worker processes, `ASSESSBOT_WORKERS`, and the same threads per worker), same Bolt settings
(signature checks, `process_before_response=False`), the same listener pool size as `assessbot
run` (`bot.slack.runner.LISTENER_THREADS` when it sets one, else Bolt's default), the same Web
API client and engine settings from the environment — only the listeners differ (and it runs
no scheduler). So the ratio of our latency to this one is the cost of our own code, not of
Bolt or the server.

    python -m bench.bare_app      # with SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL,
                                  # DATABASE_URL, PORT (and ASSESSBOT_WORKERS) set, like
                                  # `assessbot run`
"""

from __future__ import annotations

import logging
import os
import re
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import Ack, App

from bot.config import load_settings
from bot.slack import runner
from bot.slack.client import build_web_client
from bot.slack.prefork import PreforkServer
from bot.slack.server import build_wsgi
from storage.db import make_engine


def listener_threads() -> int | None:
    """The listener pool `assessbot run` uses (None: Bolt's default of 5)."""
    value = getattr(runner, "LISTENER_THREADS", None)
    return int(value) if value else None


def _listener_pool() -> Executor | None:
    threads = listener_threads()
    if threads is None:
        return None
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="listener")


class BareServed:
    """One worker's bare app, built after the fork like ours."""

    def __init__(self) -> None:
        settings = load_settings(os.environ)
        logging.getLogger("slack_bolt").setLevel(logging.WARNING)
        self._listeners = _listener_pool()
        app = App(
            client=build_web_client(settings),
            signing_secret=settings.signing_secret,
            request_verification_enabled=True,
            token_verification_enabled=True,
            process_before_response=False,
            logger=logging.getLogger("bench.bare"),
            listener_executor=self._listeners,
        )

        @app.command(re.compile(".*"))
        def on_command(ack: Ack) -> None:
            ack()

        @app.action(re.compile(".*"))
        def on_action(ack: Ack) -> None:
            ack()

        @app.view(re.compile(".*"))
        def on_view(ack: Ack) -> None:
            ack()

        self._engine = make_engine(settings.database_url)  # /healthz asks the database, as ours
        self.wsgi = build_wsgi(app, self._engine)

    def start_scheduler(self) -> None:
        """The baseline has nothing to schedule."""

    def stop(self) -> None:
        if self._listeners is not None:
            self._listeners.shutdown(wait=True)
        self._engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(name)s %(message)s")
    settings = load_settings(os.environ)
    logging.getLogger("bench.bare").info(
        "bare Bolt app listening on port %d (%d workers)", settings.port, settings.workers
    )
    PreforkServer(BareServed, port=settings.port, workers=settings.workers).run()


if __name__ == "__main__":
    main()
