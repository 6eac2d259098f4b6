"""Naming a channel for reports: `#name` from conversations.info, or its id when Slack won't say.

Reports are read outside Slack, where `<#C123>` means nothing, so the channel's name is looked
up once per report. A failure is not worth refusing a report over: the id is shown instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient

from bot.slack.errors import SLACK_CALL_ERRORS

logger = logging.getLogger(__name__)


def channel_namer(client: WebClient) -> Callable[[str], str]:
    names: dict[str, str] = {}

    def name(channel_id: str) -> str:
        if channel_id not in names:
            try:
                info = client.conversations_info(channel=channel_id)
                found = (info.get("channel") or {}).get("name")
                names[channel_id] = f"#{found}" if found else channel_id
            except SLACK_CALL_ERRORS as error:
                logger.warning("conversations.info failed for a report: %s", error)
                names[channel_id] = channel_id
        return names[channel_id]

    return name


def channel_namer_for_token(token: str, api_url: str | None = None) -> Callable[[str], str]:
    """For command-line tools run with SLACK_BOT_TOKEN set."""
    from bot.slack.client import web_client

    return channel_namer(web_client(token, api_url or WebClient.BASE_URL))


def workspace_name(client: WebClient) -> str | None:
    """The workspace's name from auth.test (which needs no extra scope), or None."""
    try:
        answer = client.auth_test()
    except SLACK_CALL_ERRORS as error:
        logger.warning("auth.test failed while naming the workspace: %s", error)
        return None
    name = answer.get("team")
    return str(name) if name else None
