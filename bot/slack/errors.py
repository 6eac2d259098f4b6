"""Turning failures into words for the person waiting in Slack.

Listeners catch expected failures themselves: in Bolt, a listener that raises just after
`ack()` can lose the acknowledgement, and the person sees nothing at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)

COULD_NOT_SAVE = ":warning: Couldn't save that, please try again in a moment."
SLACK_FAILED = ":warning: Slack didn't accept that message. Please try again in a moment."
NOT_IN_CHANNEL = (
    ":wave: I'm not in <#{channel}> yet, so I can't post there. Invite me with "
    "`/invite @assessbot` in that channel, then try again."
)

DATABASE_ERRORS = (OperationalError, DBAPIError)
# Every way a Web API call can fail: Slack said no (SlackApiError), or it never answered —
# time-outs and dropped connections surface as OSError subclasses from urllib.
SLACK_CALL_ERRORS = (SlackClientError, OSError)
CHANNEL_ERRORS = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def slack_error_code(error: BaseException) -> str:
    """Slack's error name, or a word for a call that never got an answer."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "unknown_error"))
    return "no_response"


def not_in_channel_text(channel_id: str) -> str:
    return NOT_IN_CHANNEL.format(channel=channel_id)


@contextmanager
def tell_user_on_failure(tell: Callable[[str], Any], what: str) -> Iterator[None]:
    """Run a listener's work; on a database or Slack failure, log it and tell the person."""
    try:
        yield
    except DATABASE_ERRORS:
        logger.warning("database unavailable while %s", what, exc_info=True)
        _tell_quietly(tell, COULD_NOT_SAVE)
    except SLACK_CALL_ERRORS as error:
        code = slack_error_code(error)
        logger.warning("Slack refused a call while %s: %s", what, code)
        _tell_quietly(tell, SLACK_FAILED + f" (Slack said `{code}`)")


def _tell_quietly(tell: Callable[[str], Any], text: str) -> None:
    try:
        tell(text)
    except Exception:  # the person cannot be reached either; the log has the cause
        logger.warning("could not tell the user about a failure", exc_info=True)
