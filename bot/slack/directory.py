"""A `Directory` answered by Slack (users.info, users.list), through the process's one cache.

Every listener thread and scheduled job shares `Deps.people`, so a person is asked about once
per ten minutes per process, not once per request. Lookups made while someone waits for an
ack are `quick`: a short time-out and no retries, because Slack abandons the request after 3
seconds anyway and sleeping out a 429 would only keep a thread busy for nothing. Scheduled
jobs are patient and use the app's client with its retry handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.people import Directory, PeopleCache, Person

logger = logging.getLogger(__name__)

CACHE_SECONDS = 600.0
QUICK_TIMEOUT_SECONDS = 2
# Above this many unknown people, one users.list walk (200 a page, Tier 2) beats a users.info
# each (Tier 4, but one round trip per person).
PAGE_THRESHOLD = 20
PAGE_SIZE = 200


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


def quick_client(client: WebClient) -> WebClient:
    """The same token and API, but failing inside Slack's 3 s instead of retrying."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=QUICK_TIMEOUT_SECONDS,
        retry_handlers=[],
    )


class SlackDirectory:
    def __init__(
        self,
        client: WebClient,
        *,
        team_id: str = "",
        cache: PeopleCache | None = None,
        quick: bool = False,
    ) -> None:
        self._given = client
        self._quick = quick
        self._team_id = team_id
        self._cache = cache if cache is not None else PeopleCache(CACHE_SECONDS)

    @cached_property
    def _client(self) -> WebClient:
        """Built on the first cache miss: most lookups are hits, and a WebClient costs."""
        return quick_client(self._given) if self._quick else self._given

    def lookup(self, user_id: str) -> Person | None:
        hit, person = self._cache.get(self._team_id, user_id)
        if hit:
            return person
        try:
            response = self._client.users_info(user=user_id)
            person = person_from_slack(response["user"])
        except SlackApiError as error:
            if error.response.get("error") not in {"user_not_found", "user_not_visible"}:
                raise
            person = None
        self._cache.put(self._team_id, user_id, person)
        return person

    def warm(self, user_ids: Iterable[str]) -> None:
        """Before looking up many people (a cold start of the reminders), page users.list once.

        Anyone the list did not include (Slack Connect guests, say) is still asked about one by
        one in `lookup`. A failed walk is only logged: the lookups that follow will say more.
        """
        missing = set(self._cache.missing(self._team_id, user_ids))
        if len(missing) < PAGE_THRESHOLD:
            return
        cursor: str | None = None
        try:
            while True:
                page = self._client.users_list(limit=PAGE_SIZE, cursor=cursor)
                for user in page.get("members") or []:
                    self._cache.put(self._team_id, user["id"], person_from_slack(user))
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        except (SlackClientError, OSError) as error:
            logger.warning("users.list failed (%s); looking people up one by one", error)


def request_directory(cache: PeopleCache, client: WebClient, team_id: str) -> SlackDirectory:
    """The directory for a listener: shared cache, quick lookups, keyed by the workspace."""
    return SlackDirectory(client, team_id=team_id, cache=cache, quick=True)


class ForgivingDirectory:
    """For exports, where names are a nicety: when Slack won't say who someone is, show the id."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    def lookup(self, user_id: str) -> Person | None:
        try:
            return self._directory.lookup(user_id)
        except (SlackClientError, OSError) as error:
            logger.warning("users.info failed (%s); showing the user id instead", error)
            return None


def directory_for_token(token: str, api_url: str | None = None) -> Directory:
    """A forgiving Slack directory for command-line tools run with SLACK_BOT_TOKEN set."""
    from bot.slack.client import web_client

    return ForgivingDirectory(SlackDirectory(web_client(token, api_url or WebClient.BASE_URL)))
