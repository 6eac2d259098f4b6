"""A `Directory` answered by Slack's users.info, cached so one run asks once per person."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.people import Directory, Person

logger = logging.getLogger(__name__)

CACHE_SECONDS = 600.0


def person_from_slack(user: dict[str, Any]) -> Person:
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user["id"]
    )
    return Person(
        id=user["id"],
        name=str(name),
        team_id=user.get("team_id"),
        tz=user.get("tz"),
        is_admin=bool(user.get("is_admin")),
        is_owner=bool(user.get("is_owner")),
        is_bot=bool(user.get("is_bot")),
        deleted=bool(user.get("deleted")),
    )


class SlackDirectory:
    def __init__(self, client: WebClient, cache_seconds: float = CACHE_SECONDS) -> None:
        self._client = client
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Person | None]] = {}

    def lookup(self, user_id: str) -> Person | None:
        cached = self._cache.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            response = self._client.users_info(user=user_id)
            person: Person | None = person_from_slack(response["user"])
        except SlackApiError as error:
            if error.response.get("error") not in {"user_not_found", "user_not_visible"}:
                raise
            person = None
        self._cache[user_id] = (time.monotonic(), person)
        return person


class ForgivingDirectory:
    """For exports, where names are a nicety: when Slack won't say who someone is, show the id."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    def lookup(self, user_id: str) -> Person | None:
        try:
            return self._directory.lookup(user_id)
        except SlackClientError as error:
            logger.warning("users.info failed (%s); showing the user id instead", error)
            return None


def directory_for_token(token: str, api_url: str | None = None) -> Directory:
    """A forgiving Slack directory for command-line tools run with SLACK_BOT_TOKEN set."""
    from bot.slack.client import web_client

    return ForgivingDirectory(SlackDirectory(web_client(token, api_url or WebClient.BASE_URL)))
