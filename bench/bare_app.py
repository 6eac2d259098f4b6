"""The latency baseline: a bare Bolt app whose listeners only ack, served like `assessbot run`.

Same server (`bot.slack.server.HttpServer` + `build_wsgi`: the same waitress threads), same
Bolt settings (signature checks, `process_before_response=False`), the same listener pool size
as `assessbot run` (`bot.slack.runner.LISTENER_THREADS` when it sets one, else Bolt's default),
the same Web API client and engine settings from the environment — only the listeners differ.
So the ratio of our latency to this one is the cost of our own code, not of Bolt or waitress.

    python -m bench.bare_app      # with SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL,
                                  # DATABASE_URL and PORT set, like `assessbot run`
"""

from __future__ import annotations

import logging
import os
import re
import signal
from concurrent.futures import Executor, ThreadPoolExecutor
from types import FrameType

from slack_bolt import Ack, App

from bot.config import load_settings
from bot.slack import runner
from bot.slack.client import build_web_client
from bot.slack.server import HttpServer, build_wsgi
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


def build_bare_app() -> tuple[App, HttpServer]:
    settings = load_settings(os.environ)
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    app = App(
        client=build_web_client(settings),
        signing_secret=settings.signing_secret,
        request_verification_enabled=True,
        token_verification_enabled=True,
        process_before_response=False,
        logger=logging.getLogger("bench.bare"),
        listener_executor=_listener_pool(),
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

    engine = make_engine(settings.database_url)  # /healthz asks the database, as ours does
    return app, HttpServer(build_wsgi(app, engine), settings.port)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    _app, server = build_bare_app()

    def stop(signum: int, _frame: FrameType | None) -> None:
        server.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logging.getLogger("bench.bare").info("bare Bolt app listening on port %d", server.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
