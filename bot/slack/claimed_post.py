"""Posting a claimed message exactly once, even when Slack took it but the answer was lost.

`chat.postMessage` is not idempotent: after a 5xx, a time-out or a dropped connection the
message may or may not be in the channel. So every claimed send (card, nudge, digest, summary,
completion) carries Slack message metadata naming its claim keys, and an outcome we could not
see is settled by reading the conversation's recent history (`conversations.history`, or
`conversations.replies` for a thread) with `include_all_metadata`: found means sent, absent
means not sent and safe to try again. A claim taken over from a stopped process is looked for
*before* it is sent again.

Reading history needs `channels:history`, `groups:history` and `im:history` (README says why):
the bot reads only conversations it is a member of, only the newest messages, only to find
its own metadata.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

logger = logging.getLogger(__name__)

CLAIM_EVENT = "assessbot_claim"
HISTORY_LIMIT = 100  # the newest messages: a lost answer is looked for at once, not days later
# Slack's answers that mean "maybe": its server failed mid-way, or we never heard back.
UNSURE_ERRORS = {"internal_error", "fatal_error", "request_timeout", "service_unavailable"}


class OutcomeUnknown(SlackClientError):
    """Slack may have posted, and its history could not be read to say: keep the claim (it is
    looked for again before any retry) rather than release it."""


@dataclass(frozen=True)
class Sent:
    channel: str
    ts: str
    found_in_history: bool = False


def claim_metadata(keys: Sequence[str]) -> dict[str, Any]:
    return {"event_type": CLAIM_EVENT, "event_payload": {"claims": list(keys)}}


def outcome_unknown(error: BaseException) -> bool:
    """True when Slack may have posted despite the error (so history must be asked)."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return status >= 500 or error.response.get("error") in UNSURE_ERRORS
    return isinstance(error, SlackClientError | OSError | http.client.HTTPException)


def find_claimed(
    client: WebClient, channel: str, keys: Sequence[str], *, thread_ts: str | None = None
) -> str | None:
    """The ts of a recent message of ours carrying any of `keys`, or None."""
    found = claims_in(client, channel, thread_ts=thread_ts)
    return next((found[key] for key in keys if key in found), None)


def claims_in(client: WebClient, channel: str, *, thread_ts: str | None = None) -> dict[str, str]:
    """Every claim key on the conversation's newest messages (or a thread's first ones), with
    the ts of the message carrying it: one read settles many posts at once."""
    if channel.startswith(("U", "W")):  # a DM addressed by user id: history is by the DM's id
        channel = str(client.conversations_open(users=channel)["channel"]["id"])
    if thread_ts:
        response = client.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=HISTORY_LIMIT
        )
    else:
        response = client.conversations_history(
            channel=channel, include_all_metadata=True, limit=HISTORY_LIMIT
        )
    found: dict[str, str] = {}
    for message in response.get("messages") or []:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") != CLAIM_EVENT:
            continue
        for key in (metadata.get("event_payload") or {}).get("claims") or []:
            found.setdefault(str(key), str(message["ts"]))
    return found


def post_claimed(
    client: WebClient,
    *,
    keys: Sequence[str],
    channel: str,
    thread_ts: str | None = None,
    look_first: bool = False,
    **message: Any,
) -> Sent:
    """Post once. `look_first` for a claim whose earlier attempt may have landed. A post that
    failed without an answer and is not in the history is sent once more at once.

    `channel` is a conversation id, or a user id for their DM with the bot. Raises the send's
    error when the message is known not to be there, or `OutcomeUnknown` when history could
    not be read either (the caller then keeps its claim).
    """
    if look_first:
        found = find_claimed(client, channel, keys, thread_ts=thread_ts)
        if found is not None:
            logger.info("claim %s was already posted (ts %s); not posting again", keys[0], found)
            return Sent(channel, found, found_in_history=True)
    try:
        return _post_settled(client, keys, channel, thread_ts, message)
    except _Absent:
        pass  # known not to be there: the one resend that cannot make a duplicate
    try:
        return _post_settled(client, keys, channel, thread_ts, message)
    except _Absent as absent:
        raise absent.error from None


class _Absent(Exception):
    """The post failed in a way that might have posted, and history says it did not."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _post_settled(
    client: WebClient,
    keys: Sequence[str],
    channel: str,
    thread_ts: str | None,
    message: dict[str, Any],
) -> Sent:
    """One attempt, its outcome settled from history when the answer was lost."""
    try:
        response = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, metadata=claim_metadata(keys), **message
        )
    except Exception as error:
        if not outcome_unknown(error):
            raise
        try:
            found = find_claimed(client, channel, keys, thread_ts=thread_ts)
        except (SlackClientError, OSError, http.client.HTTPException) as unreadable:
            raise OutcomeUnknown(f"{keys[0]}: sent or not, history unreadable") from unreadable
        if found is None:
            raise _Absent(error) from error
        logger.warning(
            "claim %s: Slack posted it but the answer was lost (%s); not posting again",
            keys[0],
            type(error).__name__,
        )
        return Sent(channel, found, found_in_history=True)
    return Sent(str(response.get("channel") or channel), str(response["ts"]))
