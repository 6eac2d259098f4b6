"""Wiring: the Bolt app with every feature's listeners registered.

This module only assembles; behaviour lives in the listener modules (one per feature) and in
`bot.core`. Bolt's own logger is turned down because at INFO it logs the body of a request that
failed signature checks, and bodies hold what people typed.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack.acks import AckWaitingExecutor, signal_acks
from bot.slack.listeners import (
    actions,
    assessment,
    commands,
    events,
    export,
    outcomes,  # outcome measures (#13)
    reminders,
    report,
    restore,
    reviews,
    services,
    summary,
)
from bot.slack.router import CommandRouter

logger = logging.getLogger(__name__)

FEATURES = (
    services,
    assessment,
    events,
    reminders,
    summary,
    export,
    restore,
    actions,
    reviews,
    report,
    outcomes,
)


def build_app(
    deps: Deps,
    client: WebClient,
    router: CommandRouter | None = None,
    listener_executor: Executor | None = None,
) -> App:
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    bolt_logger = logging.getLogger("assessbot.bolt")
    bolt_logger.setLevel(logging.WARNING)  # Bolt's middleware loggers copy this level
    # Bolt's own default pool when none is given (5 threads), wrapped so acks go back at once.
    pool = listener_executor if listener_executor is not None else ThreadPoolExecutor(5)
    app = App(
        client=client,
        signing_secret=deps.settings.signing_secret,
        request_verification_enabled=not deps.settings.socket_mode,
        # auth.test at start-up proves the token works before we accept traffic.
        token_verification_enabled=True,
        process_before_response=False,
        logger=bolt_logger,
        listener_executor=AckWaitingExecutor(pool),
    )
    signal_acks(app)
    router = router if router is not None else CommandRouter()
    for feature in FEATURES:
        feature.register(app, deps, router)
    commands.register(app, deps, router)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        logger.error(
            "unhandled error in a listener (%s)",
            body.get("type") or body.get("command"),
            exc_info=error,
        )

    return app
