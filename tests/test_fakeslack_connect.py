"""The fake's Slack Connect pieces peer review needs: team.info for another organisation,
conversations.members (a shared channel lists people of other workspaces; other channels hold
only the workspace's own people), and chat.getPermalink — each refusing what Slack refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token="xoxb-test") as fake:
        fake.add_team("TKENT", "Kent County Council")
        fake.add_user("U1", name="olive")
        fake.add_user("U2", name="tariq")
        fake.add_user("UGONE", name="gone", deleted=True)
        fake.add_user("UPRIYA", team_id="TKENT", name="Priya")
        fake.add_channel("C1", "team")
        fake.add_channel("CSHARED", "shared", members=["U1", "UPRIYA", "UBOT"])
        fake.add_channel("GSECRET", "secret", is_private=True, is_member=False)
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.api_url, token="xoxb-test")


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return str(info.value.response["error"])


def test_team_info_names_this_workspace_and_connected_organisations(client: WebClient) -> None:
    assert client.team_info(team="TKENT")["team"]["name"] == "Kent County Council"
    assert client.team_info()["team"]["id"] == "T1"
    assert error_of(lambda: client.team_info(team="TNOPE")) == "team_not_found"


def test_users_of_another_workspace_carry_their_own_team_id(client: WebClient) -> None:
    assert client.users_info(user="UPRIYA")["user"]["team_id"] == "TKENT"


def test_members_of_shared_and_ordinary_channels(client: WebClient) -> None:
    assert client.conversations_members(channel="CSHARED")["members"] == ["U1", "UBOT", "UPRIYA"]
    ordinary = client.conversations_members(channel="C1")["members"]
    assert "UPRIYA" not in ordinary and "UGONE" not in ordinary and "U2" in ordinary
    first = client.conversations_members(channel="CSHARED", limit=2)
    assert first["members"] == ["U1", "UBOT"]
    cursor = first["response_metadata"]["next_cursor"]
    rest = client.conversations_members(channel="CSHARED", limit=2, cursor=cursor)
    assert rest["members"] == ["UPRIYA"] and rest["response_metadata"]["next_cursor"] == ""
    assert error_of(lambda: client.conversations_members(channel="GSECRET")) == "channel_not_found"
    assert error_of(lambda: client.conversations_members(channel="CNOPE")) == "channel_not_found"
    assert error_of(lambda: client.conversations_members(channel="C1", limit=0)) == "invalid_limit"


def test_permalinks_only_for_messages_that_exist(client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="hello")["ts"]
    link = client.chat_getPermalink(channel="C1", message_ts=ts)["permalink"]
    assert link == f"https://assessbot-test.slack.com/archives/C1/p{ts.replace('.', '')}"
    missing = lambda: client.chat_getPermalink(channel="C1", message_ts="1.000001")  # noqa: E731
    assert error_of(missing) == "message_not_found"
    hidden = lambda: client.chat_getPermalink(channel="GSECRET", message_ts=ts)  # noqa: E731
    assert error_of(hidden) == "channel_not_found"
