"""Work that happens after Slack has its acknowledgement.

Acks wait for a free listener thread; if that thread also posted cards and replies, a burst of
clicks would queue acks behind slow work and Slack would give up after 3 seconds. So listeners
save, ack, and hand the rest to the small after-ack pool (`Deps.after_ack`). Modals are the
exception: `trigger_id` lives 3 seconds, so listeners open them straight away.

Two bounded pools rather than Bolt's lazy listeners: in HTTP mode Bolt runs lazy listeners on
the same executor as the listeners that ack, so a minute-long export there would take a thread
an ack needs. `slow=True` sends work that may take long (subcommands, exports, summary uploads,
Home publishes) to `Deps.slow_work`; thread updates after a click keep `Deps.after_ack` to
themselves and never queue behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.deps import Deps
from bot.slack.errors import tell_user_on_failure

logger = logging.getLogger(__name__)


def _nobody(_text: str) -> None:
    return None


def later(
    deps: Deps,
    what: str,
    work: Callable[[], object],
    tell: Callable[[str], Any] = _nobody,
    *,
    slow: bool = False,
) -> None:
    """Run `work` after the ack; failures are logged and told, never lost in a Future."""

    def run() -> None:
        try:
            with tell_user_on_failure(tell, what):
                work()
        except Exception:
            logger.exception("unexpected failure while %s", what)

    (deps.slow_work if slow else deps.after_ack).submit(run)
