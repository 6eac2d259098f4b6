"""FakeSlack driven by slack_sdk's real WebClient, plus the Block Kit validator's rules."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.fakeslack import FakeSlack, validate_blocks, validate_view
from tests.fakeslack.blockkit import normalize_blocks

BOT = "xoxb-test"
NO_WAIT = FixedValueRetryIntervalCalculator(0.0)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT, app_token="xapp-test") as fake:
        fake.add_user("U1", name="alice", real_name="Alice Jones", tz="America/New_York")
        fake.add_user("U2", name="bob", is_admin=True)
        fake.add_user("U3", name="gone", deleted=True)
        fake.add_channel("C1", "general")
        fake.add_channel("C2", "elsewhere", is_member=False)
        fake.add_channel("G1", "secret", is_private=True, is_member=False)
        fake.add_channel("C3", "small", members=["U1"])
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.api_url, token=BOT)


def error_of(call: Any) -> dict[str, Any]:
    """Run a WebClient call that must fail; return Slack's answer."""
    with pytest.raises(SlackApiError) as info:
        call()
    data = info.value.response.data
    assert isinstance(data, dict)
    assert data["ok"] is False
    return data


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, **extra}


def modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "title": {"type": "plain_text", "text": "Assess"}}
    return {**view, "blocks": list(blocks), **extra}


def text_input(block_id: str = "name", **element: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Name"},
        "element": {"type": "plain_text_input", "action_id": "value", **element},
    }


# -- auth and request parsing -------------------------------------------------------------------


def test_auth_test_answers_with_the_bot_identity(client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["user_id"] == "UBOT"
    assert answer["team_id"] == "T1"
    assert answer["bot_id"]


def test_tokens_are_checked(fake: FakeSlack) -> None:
    wrong = WebClient(base_url=fake.api_url, token="xoxb-wrong")
    assert (
        error_of(lambda: wrong.chat_postMessage(channel="C1", text="x"))["error"] == "invalid_auth"
    )
    anonymous = WebClient(base_url=fake.api_url)
    assert error_of(lambda: anonymous.auth_test())["error"] == "not_authed"
    app_level = WebClient(base_url=fake.api_url, token="xapp-test")
    answer = error_of(lambda: app_level.chat_postMessage(channel="C1", text="x"))
    assert answer["error"] == "not_allowed_token_type"
    bot = WebClient(base_url=fake.api_url, token=BOT)
    assert (
        error_of(lambda: bot.apps_connections_open(app_token=BOT))["error"]
        == "not_allowed_token_type"
    )
    assert error_of(lambda: bot.api_call("chat.nothing"))["error"] == "unknown_method"


def raw_post(fake: FakeSlack, method: str, body: bytes, content_type: str, **headers: str) -> Any:
    request = urllib.request.Request(
        fake.api_url + method, data=body, headers={"Content-Type": content_type, **headers}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200
        return json.loads(answer.read())


def test_token_in_a_json_body_is_refused_like_slack(fake: FakeSlack) -> None:
    body = json.dumps({"token": BOT, "channel": "C1", "text": "hi"}).encode()
    assert raw_post(fake, "chat.postMessage", body, "application/json")["error"] == "not_authed"
    form = f"token={BOT}&channel=C1&text=hi".encode()
    assert raw_post(fake, "chat.postMessage", form, "application/x-www-form-urlencoded")["ok"]


def test_calls_are_recorded_with_parsed_params(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="hi", blocks=[section("hello")])
    client.conversations_open(users="U1")
    client.users_info(user="U1")
    post = fake.calls_to("chat.postMessage")[0]
    assert post.params["blocks"] == [section("hello")]  # JSON body: typed
    assert post.headers["content-type"].startswith("application/json")
    assert post.ok and post.response and post.response["ts"]
    assert fake.calls_to("conversations.open")[0].params == {"users": "U1"}  # form body
    assert [c.method for c in fake.calls] == [
        "chat.postMessage",
        "conversations.open",
        "users.info",
    ]
    fake.clear_calls()
    assert fake.calls == []


# -- chat -----------------------------------------------------------------------------------------


def test_post_message_stores_the_message(fake: FakeSlack, client: WebClient) -> None:
    blocks = [section("hello"), {"type": "actions", "elements": [button(value="1")]}]
    answer = client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert answer["channel"] == "C1"
    stored = fake.message("C1", answer["ts"])
    assert stored["text"] == "fallback" and stored["user"] == "UBOT"
    assert [b["type"] for b in stored["blocks"]] == ["section", "actions"]
    # Slack fills in block_ids and action_ids the app left out
    assert all(b["block_id"] for b in stored["blocks"])
    assert stored["blocks"][1]["elements"][0]["action_id"]
    assert answer["message"]["blocks"] == stored["blocks"]


def test_timestamps_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C1", text=str(i))["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 5
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_errors(client: WebClient) -> None:
    assert (
        error_of(lambda: client.chat_postMessage(channel="C9", text="x"))["error"]
        == "channel_not_found"
    )
    assert (
        error_of(lambda: client.chat_postMessage(channel="C2", text="x"))["error"]
        == "not_in_channel"
    )
    # a private channel the bot is not in is invisible to it
    assert (
        error_of(lambda: client.chat_postMessage(channel="G1", text="x"))["error"]
        == "channel_not_found"
    )
    assert error_of(lambda: client.chat_postMessage(channel="C1"))["error"] == "no_text"
    too_long = "x" * 40_001
    assert (
        error_of(lambda: client.chat_postMessage(channel="C1", text=too_long))["error"]
        == "msg_too_long"
    )
    answer = error_of(lambda: client.chat_postMessage(channel="C1", text="x", blocks="not json"))
    assert answer["error"] == "invalid_blocks_format"


def test_bad_blocks_get_slacks_invalid_blocks_answer(client: WebClient) -> None:
    answer = error_of(
        lambda: client.chat_postMessage(channel="C1", text="x", blocks=[section("y" * 3001)])
    )
    message = "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    assert answer["error"] == "invalid_blocks"
    assert answer["errors"] == [message]
    assert answer["response_metadata"] == {"messages": [f"[ERROR] {message}"]}


def test_threads_user_ids_and_channel_names(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="#general", text="parent")["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=parent)
    client.chat_postMessage(channel="C1", text="orphan", thread_ts="1.000001")  # Slack accepts it
    assert [m["text"] for m in fake.thread("C1", parent)] == ["parent", "reply"]
    assert fake.calls_to("chat.postMessage")[2].params["thread_ts"] == "1.000001"
    dm = client.chat_postMessage(channel="U1", text="to a user id")["channel"]
    assert dm.startswith("D") and dm == fake.im_channel("U1")
    assert [m["text"] for m in fake.messages(dm)] == ["to a user id"]


def test_reply_broadcast_shows_a_thread_reply_in_the_channel_too(
    fake: FakeSlack, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    client.chat_postMessage(channel="C1", text="quiet reply", thread_ts=parent)
    loud = client.chat_postMessage(
        channel="C1", text="loud reply", thread_ts=parent, reply_broadcast=True
    )
    assert loud["message"]["subtype"] == "thread_broadcast"
    client.chat_postMessage(channel="C1", text="no thread", reply_broadcast=True)  # ignored
    assert [m["text"] for m in fake.channel_history("C1")] == ["parent", "loud reply", "no thread"]
    assert [m["text"] for m in fake.thread("C1", parent)] == ["parent", "quiet reply", "loud reply"]
    assert "subtype" not in fake.channel_history("C1")[-1]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_update_keeps_history_and_follows_slacks_block_rules(
    fake: FakeSlack, client: WebClient
) -> None:
    ts = client.chat_postMessage(channel="C1", text="v1", blocks=[section("one")])["ts"]
    client.chat_update(channel="C1", ts=ts, text="v2")  # omitted blocks are kept
    assert fake.message("C1", ts)["blocks"][0]["text"]["text"] == "one"
    client.chat_update(channel="C1", ts=ts, text="v3", blocks=[])  # [] removes them
    stored = fake.message("C1", ts)
    assert stored["text"] == "v3" and "blocks" not in stored
    assert [h["text"] for h in stored["history"]] == ["v1", "v2"]
    assert stored["edited"]["user"] == "UBOT"
    assert (
        error_of(lambda: client.chat_update(channel="C1", ts="1.2", text="x"))["error"]
        == "message_not_found"
    )
    assert error_of(lambda: client.chat_update(channel="C1", ts=ts))["error"] == "no_text"


def test_delete(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="bye")["ts"]
    client.chat_delete(channel="C1", ts=ts)
    assert fake.messages("C1") == []
    assert error_of(lambda: client.chat_delete(channel="C1", ts=ts))["error"] == "message_not_found"


def test_post_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C1", user="U1", text="psst", blocks=[section("s")])
    assert answer["message_ts"]
    assert [e["text"] for e in fake.ephemerals("U1")] == ["psst"]
    assert fake.ephemerals("U2") == []
    assert fake.messages("C1") == []
    cases = {
        "user_not_found": {"channel": "C1", "user": "U9"},
        "channel_not_found": {"channel": "C9", "user": "U1"},
        "not_in_channel": {"channel": "C2", "user": "U1"},
        "user_not_in_channel": {"channel": "C3", "user": "U2"},
    }
    for code, args in cases.items():
        assert (
            error_of(lambda args=args: client.chat_postEphemeral(text="x", **args))["error"] == code
        )
    assert [p["kind"] for p in fake.all_posts()] == ["ephemeral"]


# -- users and conversations ----------------------------------------------------------------------


def test_users_info_is_slack_shaped(client: WebClient) -> None:
    user = client.users_info(user="U1")["user"]
    assert user["id"] == "U1" and user["team_id"] == "T1"
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] in (-5 * 3600, -4 * 3600)
    assert user["profile"]["display_name"] == "alice"
    assert user["profile"]["real_name"] == "Alice Jones"
    assert user["is_bot"] is False and user["deleted"] is False
    assert client.users_info(user="U2")["user"]["is_admin"] is True
    assert client.users_info(user="U3")["user"]["deleted"] is True
    assert error_of(lambda: client.users_info(user="U9"))["error"] == "user_not_found"


def test_conversations(client: WebClient) -> None:
    info = client.conversations_info(channel="C1")["channel"]
    assert info["name"] == "general" and info["is_member"] is True
    assert error_of(lambda: client.conversations_info(channel="C9"))["error"] == "channel_not_found"
    first = client.conversations_open(users="U1")
    second = client.conversations_open(users="U1")
    assert first["channel"]["id"] == second["channel"]["id"]
    assert second["already_open"] is True
    assert client.conversations_info(channel=first["channel"]["id"])["channel"]["is_im"] is True
    client.chat_postMessage(channel=first["channel"]["id"], text="dm")
    assert error_of(lambda: client.conversations_open(users="U9"))["error"] == "user_not_found"
    assert error_of(lambda: client.conversations_open(users="U3"))["error"] == "user_disabled"


# -- views ----------------------------------------------------------------------------------------


def test_views_open_returns_a_full_view(fake: FakeSlack, client: WebClient) -> None:
    payload = modal(
        text_input(),
        submit={"type": "plain_text", "text": "Save"},
        callback_id="cb",
        private_metadata="pm",
    )
    view = client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=payload)["view"]
    assert view["id"].startswith("V") and view["root_view_id"] == view["id"]
    assert view["type"] == "modal" and view["team_id"] == "T1"
    assert view["callback_id"] == "cb" and view["private_metadata"] == "pm"
    assert view["state"] == {"values": {}} and view["hash"]
    assert view["blocks"][0]["block_id"] == "name"
    assert [v["id"] for v in fake.open_views("U1")] == [view["id"]]
    assert fake.view(view["id"])["hash"] == view["hash"]


def test_trigger_ids_work_once_and_for_three_seconds(fake: FakeSlack, client: WebClient) -> None:
    view = modal(section("hi"))
    assert error_of(lambda: client.views_open(trigger_id="123.456.abc", view=view))["error"] == (
        "invalid_trigger_id"
    )
    trigger = fake.issue_trigger_id("U1")
    client.views_open(trigger_id=trigger, view=view)
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=view))["error"] == (
        "exchanged_trigger_id"
    )
    late = fake.issue_trigger_id("U1")
    fake.advance_time(3.1)
    assert (
        error_of(lambda: client.views_open(trigger_id=late, view=view))["error"]
        == "expired_trigger_id"
    )


def test_an_invalid_view_is_refused_before_the_trigger_is_used(
    fake: FakeSlack, client: WebClient
) -> None:
    trigger = fake.issue_trigger_id("U1")
    bad = modal(section("hi"))
    bad["title"]["text"] = "x" * 25
    answer = error_of(lambda: client.views_open(trigger_id=trigger, view=bad))
    assert answer == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {
            "messages": ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"]
        },
    }
    assert client.views_open(trigger_id=trigger, view=modal(section("hi")))["ok"]


def test_push_update_and_stack_limit(fake: FakeSlack, client: WebClient) -> None:
    root = client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=modal(section("1")))[
        "view"
    ]
    second = client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=modal(section("2")))[
        "view"
    ]
    assert second["root_view_id"] == root["id"] and second["previous_view_id"] == root["id"]
    client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=modal(section("3")))
    answer = error_of(
        lambda: client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=modal(section("4")))
    )
    assert answer["error"] == "push_limit_reached"
    updated = client.views_update(view_id=root["id"], hash=root["hash"], view=modal(section("1b")))[
        "view"
    ]
    assert updated["id"] == root["id"] and updated["hash"] != root["hash"]
    stale = error_of(
        lambda: client.views_update(view_id=root["id"], hash=root["hash"], view=modal(section("x")))
    )
    assert stale["error"] == "hash_conflict"
    assert (
        error_of(lambda: client.views_update(view_id="V404", view=modal(section("x"))))["error"]
        == "not_found"
    )


def test_views_update_by_external_id(fake: FakeSlack, client: WebClient) -> None:
    client.views_open(
        trigger_id=fake.issue_trigger_id("U1"), view=modal(section("1"), external_id="ext-1")
    )
    view = client.views_update(external_id="ext-1", view=modal(section("2"), external_id="ext-1"))[
        "view"
    ]
    assert view["blocks"][0]["text"]["text"] == "2"
    answer = error_of(
        lambda: client.views_open(
            trigger_id=fake.issue_trigger_id("U2"), view=modal(section("1"), external_id="ext-1")
        )
    )
    assert answer["error"] == "duplicate_external_id"


def test_views_publish_home(fake: FakeSlack, client: WebClient) -> None:
    home = {"type": "home", "blocks": [section(f"row {i}") for i in range(100)]}
    view = client.views_publish(user_id="U1", view=home)["view"]
    assert view["type"] == "home" and "title" not in view
    again = client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("new")]})[
        "view"
    ]
    assert again["id"] == view["id"]
    home_view = fake.home_view("U1")
    assert home_view is not None and home_view["blocks"][0]["text"]["text"] == "new"
    assert (
        error_of(lambda: client.views_publish(user_id="U9", view=home))["error"] == "user_not_found"
    )
    answer = error_of(lambda: client.views_publish(user_id="U1", view=modal(section("x"))))
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be a valid enum value [json-pointer:/view/type]"
    ]
    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    answer = error_of(lambda: client.views_publish(user_id="U1", view=too_many))
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
    ]


def test_slack_sdk_view_models_are_accepted(fake: FakeSlack, client: WebClient) -> None:
    view = View(
        type="modal",
        callback_id="add",
        title="Add a service",
        submit="Save",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id="name", label="Name", element=PlainTextInputElement(action_id="value")
            ),
            InputBlock(
                block_id="owners",
                label="Owners",
                element=UserMultiSelectElement(action_id="value", placeholder="Pick people"),
                optional=True,
            ),
        ],
    )
    assert client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=view)["ok"]


# -- files ----------------------------------------------------------------------------------------


def test_files_upload_v2_round_trip(fake: FakeSlack, client: WebClient) -> None:
    content = bytes(range(256)) * 40
    answer = client.files_upload_v2(
        channel="C1", content=content, filename="report.bin", title="Report", initial_comment="Here"
    )
    assert answer["file"]["title"] == "Report"
    (uploaded,) = fake.uploaded_files()
    file_id, filename, title, channel_id, comment, data = uploaded
    assert (filename, title, channel_id, comment) == ("report.bin", "Report", "C1", "Here")
    assert data == content and file_id == answer["file"]["id"]
    (share,) = fake.messages("C1")
    assert share["text"] == "Here" and share["files"][0]["id"] == file_id
    assert fake.calls_to("files.getUploadURLExternal")[0].params["length"] == str(len(content))


def test_file_upload_errors(fake: FakeSlack, client: WebClient) -> None:
    answer = error_of(lambda: client.files_upload_v2(channel="U1", content="x", filename="a.txt"))
    assert (
        answer["error"] == "invalid_arguments"
    )  # a user id is not a channel id: open the DM first
    assert "json-pointer:/channel_id" in answer["response_metadata"]["messages"][0]
    assert error_of(lambda: client.files_upload_v2(channel="C2", content="x", filename="a.txt"))[
        "error"
    ] == ("not_in_channel")
    assert error_of(lambda: client.files_upload_v2(channel="C7", content="x", filename="a.txt"))[
        "error"
    ] == ("invalid_channel")
    never_uploaded = client.files_getUploadURLExternal(filename="b.txt", length=3)["file_id"]
    answer = error_of(
        lambda: client.files_completeUploadExternal(files=[{"id": never_uploaded}], channel_id="C1")
    )
    assert answer["error"] == "file_not_found"
    assert error_of(lambda: client.files_getUploadURLExternal(filename="c.txt", length=0))[
        "error"
    ] == ("missing_argument")


def test_upload_length_must_match(fake: FakeSlack, client: WebClient) -> None:
    url = client.files_getUploadURLExternal(filename="a.txt", length=5)["upload_url"]
    assert url.startswith(fake.base_url)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(url, data="héllo".encode()), timeout=5)
    assert info.value.code == 400


# -- faults and rate limits ------------------------------------------------------------------------


def test_429_retry_after_is_honoured_by_the_rate_limit_handler(
    fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.random.random", lambda: 0.0)
    client = WebClient(
        base_url=fake.api_url, token=BOT, retry_handlers=[RateLimitErrorRetryHandler()]
    )
    fake.fail_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C1", text="eventually")["ok"]
    assert time.monotonic() - started >= 1.0
    first, second = fake.calls_to("chat.postMessage")
    assert first.status == 429 and first.error == "ratelimited"
    assert second.at - first.at >= 1.0 and second.ok


def test_429_without_a_handler_surfaces_as_ratelimited(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", retry_after=30)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="x")
    assert info.value.response.status_code == 429
    assert info.value.response["error"] == "ratelimited"
    assert info.value.response.headers["Retry-After"] == "30"


def test_server_errors(fake: FakeSlack) -> None:
    handler = ServerErrorRetryHandler(interval_calculator=NO_WAIT)
    retrying = WebClient(base_url=fake.api_url, token=BOT, retry_handlers=[handler])
    fake.fail_next("chat.postMessage", status=503)
    assert retrying.chat_postMessage(channel="C1", text="x")["ok"]
    plain = WebClient(base_url=fake.api_url, token=BOT)
    fake.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as info:
        plain.chat_postMessage(channel="C1", text="x")
    assert info.value.response.status_code == 500
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [503, 200, 500]


def test_dropped_connections(fake: FakeSlack) -> None:
    # like the default client, which retries a connection error once (here without the pause)
    handler = ConnectionErrorRetryHandler(interval_calculator=NO_WAIT)
    default = WebClient(base_url=fake.api_url, token=BOT, retry_handlers=[handler])
    fake.fail_next("chat.postMessage", drop=True)
    assert default.chat_postMessage(channel="C1", text="x")["ok"]
    assert len(fake.calls_to("chat.postMessage")) == 2
    no_retry = WebClient(base_url=fake.api_url, token=BOT, retry_handlers=[])
    fake.fail_next("chat.postMessage", drop=True)
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        no_retry.chat_postMessage(channel="C1", text="x")


def test_injected_errors_delays_and_wildcards(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("users.info", error="fatal_error", times=2)
    assert error_of(lambda: client.users_info(user="U1"))["error"] == "fatal_error"
    assert error_of(lambda: client.users_info(user="U1"))["error"] == "fatal_error"
    assert client.users_info(user="U1")["ok"]
    fake.fail_next("*", error="team_added_to_org")
    assert error_of(lambda: client.auth_test())["error"] == "team_added_to_org"
    fake.fail_next("auth.test", delay=0.2)
    started = time.monotonic()
    assert client.auth_test()["ok"]
    assert time.monotonic() - started >= 0.2
    timing_out = WebClient(base_url=fake.api_url, token=BOT, timeout=0.2, retry_handlers=[])  # type: ignore[arg-type]
    fake.fail_next("auth.test", delay=0.6)
    with pytest.raises(TimeoutError):
        timing_out.auth_test()
    with pytest.raises(ValueError):
        fake.fail_next("auth.test")


def test_channel_posting_limit(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit_channels(per_second=0.2, burst=1)  # slow enough for a loaded machine
    assert client.chat_postMessage(channel="C1", text="1")["ok"]
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="2")
    assert info.value.response.status_code == 429
    assert 1 <= int(info.value.response.headers["Retry-After"]) <= 5
    client.chat_postMessage(channel="U1", text="another channel is fine")
    fake.rate_limit_channels(None)
    assert client.chat_postMessage(channel="C1", text="3")["ok"]


def test_method_tier_limit(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit("users.info", per_minute=6, burst=2)
    client.users_info(user="U1")
    client.users_info(user="U1")
    with pytest.raises(SlackApiError) as info:
        client.users_info(user="U1")
    assert info.value.response.status_code == 429
    assert int(info.value.response.headers["Retry-After"]) >= 1


def test_faults_on_uploads_and_response_urls(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("upload", status=500)
    with pytest.raises(urllib.error.HTTPError):  # slack_sdk's upload step lets urllib raise
        client.files_upload_v2(channel="C1", content="x", filename="a.txt")
    assert fake.uploaded_files() == []
    hook = WebhookClient(fake.new_response_url(channel="C1", user="U1"))
    fake.fail_next("response_url", status=503)
    assert hook.send(text="x").status_code == 503
    assert hook.send(text="x").status_code == 200


def test_concurrent_posts_are_all_recorded(fake: FakeSlack, client: WebClient) -> None:
    stamps: list[str] = []

    def post(i: int) -> None:
        stamps.append(client.chat_postMessage(channel="C1", text=str(i))["ts"])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(stamps)) == 20
    assert len(fake.messages("C1")) == 20 and len(fake.calls) == 20


# -- response_url ---------------------------------------------------------------------------------


def test_response_url_posts_are_recorded_and_limited(fake: FakeSlack) -> None:
    url = fake.new_response_url(channel="C1", user="U1")
    hook = WebhookClient(url)
    for i in range(5):
        answer = hook.send(text=f"answer {i}")
        assert (answer.status_code, answer.body) == (200, "ok")
    sixth = hook.send(text="one too many")
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    assert [p.text for p in fake.response_posts(url)] == [f"answer {i}" for i in range(5)]
    assert len(fake.response_posts(url, include_rejected=True)) == 6
    assert [e["text"] for e in fake.ephemerals("U1")] == [f"answer {i}" for i in range(5)]


def test_response_url_rejects_bad_payloads(fake: FakeSlack) -> None:
    hook = WebhookClient(fake.new_response_url(channel="C1", user="U1"))
    bad = hook.send(text="x", blocks=[section("y" * 3001)])
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    (rejected,) = fake.response_posts(include_rejected=True)
    assert rejected.error and "json-pointer:/blocks/0/text/text" in rejected.error
    empty = hook.send_dict({"response_type": "ephemeral"})
    assert (empty.status_code, empty.body) == (400, "no_text")
    assert fake.response_posts() == []


def test_response_url_expires_after_30_minutes(fake: FakeSlack) -> None:
    hook = WebhookClient(fake.new_response_url(channel="C1", user="U1"))
    fake.advance_time(30 * 60 + 1)
    answer = hook.send(text="late")
    assert (answer.status_code, answer.body) == (404, "expired_url")


def test_response_url_replaces_deletes_and_posts_in_channel(
    fake: FakeSlack, client: WebClient
) -> None:
    ts = client.chat_postMessage(channel="C1", text="card", blocks=[section("card")])["ts"]
    clicked = WebhookClient(fake.new_response_url(channel="C1", user="U1", message_ts=ts))
    clicked.send(text="done", replace_original=True, blocks=[section("done")])
    card = fake.message("C1", ts)
    assert card["text"] == "done" and card["history"][0]["text"] == "card"
    clicked.send(text="shout", response_type="in_channel")
    assert [m["text"] for m in fake.messages("C1")] == ["done", "shout"]
    clicked.send_dict({"delete_original": True})
    assert [m["text"] for m in fake.messages("C1")] == ["shout"]
    command = WebhookClient(fake.new_response_url(channel="C1", user="U1"))
    command.send(text="working…")
    command.send(text="finished", replace_original=True)
    assert [e["text"] for e in fake.ephemerals("U1")] == ["finished"]


# -- Socket Mode at the protocol level -------------------------------------------------------------


def test_socket_mode_hello_envelopes_and_acks(fake: FakeSlack) -> None:
    url = WebClient(base_url=fake.api_url).apps_connections_open(app_token="xapp-test")["url"]
    assert url.startswith("ws://127.0.0.1:") and "ticket=" in url
    with connect(url) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"]["app_id"] == fake.app_id
        assert fake.socket_connected(timeout=5)
        envelope_id = fake.socket_send(
            "events_api", {"type": "event_callback"}, retry_attempt=1, retry_reason="timeout"
        )
        envelope = json.loads(ws.recv(timeout=5))
        assert envelope == {
            "envelope_id": envelope_id,
            "type": "events_api",
            "payload": {"type": "event_callback"},
            "accepts_response_payload": False,
            "retry_attempt": 1,
            "retry_reason": "timeout",
        }
        ws.send(json.dumps({"envelope_id": envelope_id, "payload": {"text": "ok"}}))
        assert fake.wait_for_ack(envelope_id, timeout=5)["payload"] == {"text": "ok"}
        ws.ping()
    with pytest.raises(InvalidStatus):  # a ticket connects once
        connect(url, open_timeout=5)
    deadline = time.monotonic() + 5
    while fake.socket_connection_count and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(TimeoutError):  # nobody connected
        fake.socket_send("slash_commands", {}, timeout=0.1)


# -- Block Kit rules ------------------------------------------------------------------------------

P = "[json-pointer:"
LONG = "x" * 4000


def opts(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"text": {"type": "plain_text", "text": f"o{i}"}, "value": f"v{i}", **extra}
        for i in range(n)
    ]


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def select(**extra: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", "options": opts(3), **extra}


CONFIRM = {
    "title": {"type": "plain_text", "text": "Sure?"},
    "text": {"type": "mrkdwn", "text": "Really?"},
    "confirm": {"type": "plain_text", "text": "Yes"},
    "deny": {"type": "plain_text", "text": "No"},
}

MESSAGE_VIOLATIONS: list[tuple[str, list[Any], str]] = [
    (
        "too many blocks",
        [{"type": "divider"}] * 51,
        "no more than 50 items allowed [json-pointer:/blocks]",
    ),
    ("blocks not a list", {"type": "divider"}, "must be an array [json-pointer:/blocks]"),  # type: ignore[list-item]
    (
        "unknown block type",
        [{"type": "video"}],
        "failed to match all allowed schemas [json-pointer:/blocks/0]",
    ),
    ("missing type", [{"text": "x"}], "missing required field: type [json-pointer:/blocks/0]"),
    (
        "unknown block key",
        [{"type": "divider", "foo": 1}],
        "invalid additional property: foo [json-pointer:/blocks/0]",
    ),
    (
        "long block_id",
        [{"type": "divider", "block_id": "b" * 256}],
        "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ),
    (
        "duplicate block_id",
        [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}],
        "duplicate block_id: a [json-pointer:/blocks/1/block_id]",
    ),
    (
        "section without text",
        [{"type": "section"}],
        "must provide either text or fields [json-pointer:/blocks/0]",
    ),
    (
        "section text",
        [section("y" * 3001)],
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ),
    (
        "empty text",
        [section("")],
        "must be more than 0 characters [json-pointer:/blocks/0/text/text]",
    ),
    (
        "too many fields",
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ),
    (
        "long field",
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ),
    (
        "input as accessory",
        [{**section("s"), "accessory": {"type": "plain_text_input", "action_id": "a"}}],
        "failed to match all allowed schemas [json-pointer:/blocks/0/accessory]",
    ),
    (
        "emoji on mrkdwn",
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x", "emoji": True}}],
        "invalid additional property: emoji [json-pointer:/blocks/0/text]",
    ),
    (
        "unknown text type",
        [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
        "must be a valid enum value [json-pointer:/blocks/0/text/type]",
    ),
    (
        "mrkdwn header",
        [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
        "must be a valid enum value [json-pointer:/blocks/0/text/type]",
    ),
    (
        "long header",
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    (
        "empty context",
        [{"type": "context", "elements": []}],
        "must provide at least 1 items [json-pointer:/blocks/0/elements]",
    ),
    (
        "big context",
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ),
    (
        "button in context",
        [{"type": "context", "elements": [button()]}],
        "failed to match all allowed schemas [json-pointer:/blocks/0/elements/0]",
    ),
    (
        "empty actions",
        [actions()],
        "must provide at least 1 items [json-pointer:/blocks/0/elements]",
    ),
    (
        "big actions",
        [actions(*[button(action_id=f"b{i}") for i in range(26)])],
        "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
    ),
    (
        "text input in actions",
        [actions({"type": "plain_text_input", "action_id": "t"})],
        "failed to match all allowed schemas [json-pointer:/blocks/0/elements/0]",
    ),
    (
        "long button text",
        [actions(button("b" * 76))],
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ),
    (
        "mrkdwn button text",
        [actions({"type": "button", "text": {"type": "mrkdwn", "text": "b"}})],
        "must be a valid enum value [json-pointer:/blocks/0/elements/0/text/type]",
    ),
    (
        "button without text",
        [actions({"type": "button", "action_id": "a"})],
        "missing required field: text [json-pointer:/blocks/0/elements/0]",
    ),
    (
        "long action_id",
        [actions(button(action_id="a" * 256))],
        "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
    ),
    (
        "duplicate action_id",
        [actions(button(action_id="go"), button("Stop", action_id="go"))],
        "duplicate action_id: go [json-pointer:/blocks/0/elements/1/action_id]",
    ),
    (
        "long value",
        [actions(button(value="v" * 2001))],
        "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ),
    (
        "long url",
        [actions(button(url="u" * 3001))],
        "must be less than 3001 characters [json-pointer:/blocks/0/elements/0/url]",
    ),
    (
        "bad style",
        [actions(button(style="secondary"))],
        "must be a valid enum value [json-pointer:/blocks/0/elements/0/style]",
    ),
    (
        "block_id on an element",
        [actions(button(block_id="b"))],
        "invalid additional property: block_id [json-pointer:/blocks/0/elements/0]",
    ),
    (
        "long confirm title",
        [actions(button(confirm={**CONFIRM, "title": {"type": "plain_text", "text": "t" * 101}}))],
        "must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]",
    ),
    (
        "long confirm text",
        [actions(button(confirm={**CONFIRM, "text": {"type": "mrkdwn", "text": "t" * 301}}))],
        "must be less than 301 characters [json-pointer:/blocks/0/elements/0/confirm/text/text]",
    ),
    (
        "long confirm button",
        [actions(button(confirm={**CONFIRM, "confirm": {"type": "plain_text", "text": "y" * 31}}))],
        "must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/confirm/text]",
    ),
    (
        "confirm without deny",
        [actions(button(confirm={k: v for k, v in CONFIRM.items() if k != "deny"}))],
        "missing required field: deny [json-pointer:/blocks/0/elements/0/confirm]",
    ),
    (
        "long option text",
        [
            actions(
                select(options=[{"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}])
            )
        ],
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/options/0/text/text]",
    ),
    (
        "long option value",
        [
            actions(
                select(options=[{"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}])
            )
        ],
        "must be less than 151 characters [json-pointer:/blocks/0/elements/0/options/0/value]",
    ),
    (
        "too many options",
        [actions(select(options=opts(101)))],
        "no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]",
    ),
    (
        "long placeholder",
        [actions(select(placeholder={"type": "plain_text", "text": "p" * 151}))],
        "must be less than 151 characters [json-pointer:/blocks/0/elements/0/placeholder/text]",
    ),
    (
        "initial option not an option",
        [
            actions(
                select(initial_option={"text": {"type": "plain_text", "text": "zz"}, "value": "zz"})
            )
        ],
        "must match one of the provided options [json-pointer:/blocks/0/elements/0/initial_option]",
    ),
    (
        "options and groups",
        [
            actions(
                select(
                    option_groups=[
                        {"label": {"type": "plain_text", "text": "g"}, "options": opts(1)}
                    ]
                )
            )
        ],
        "must provide exactly one of options or option_groups [json-pointer:/blocks/0/elements/0]",
    ),
    (
        "mrkdwn select option",
        [actions(select(options=[{"text": {"type": "mrkdwn", "text": "o"}, "value": "v"}]))],
        "must be a valid enum value [json-pointer:/blocks/0/elements/0/options/0/text/type]",
    ),
    (
        "overflow with one option",
        [actions({"type": "overflow", "action_id": "o", "options": opts(1)})],
        "must provide at least 2 items [json-pointer:/blocks/0/elements/0/options]",
    ),
    (
        "overflow with six options",
        [actions({"type": "overflow", "action_id": "o", "options": opts(6)})],
        "no more than 5 items allowed [json-pointer:/blocks/0/elements/0/options]",
    ),
    (
        "radio buttons with eleven options",
        [actions({"type": "radio_buttons", "action_id": "r", "options": opts(11)})],
        "no more than 10 items allowed [json-pointer:/blocks/0/elements/0/options]",
    ),
    (
        "checkbox initial not an option",
        [
            actions(
                {
                    "type": "checkboxes",
                    "action_id": "c",
                    "options": opts(2),
                    "initial_options": opts(3)[2:],
                }
            )
        ],
        "must match one of the provided options"
        " [json-pointer:/blocks/0/elements/0/initial_options/0]",
    ),
    (
        "bad date",
        [actions({"type": "datepicker", "action_id": "d", "initial_date": "2025/01/31"})],
        r"input must match regex pattern: ^\d{4}-\d{2}-\d{2}$"
        " [json-pointer:/blocks/0/elements/0/initial_date]",
    ),
    (
        "users not a list",
        [actions({"type": "multi_users_select", "action_id": "u", "initial_users": "U1"})],
        "must be an array [json-pointer:/blocks/0/elements/0/initial_users]",
    ),
    (
        "long image url",
        [{"type": "image", "image_url": "i" * 3001, "alt_text": "a"}],
        "must be less than 3001 characters [json-pointer:/blocks/0/image_url]",
    ),
    (
        "long alt text",
        [{"type": "image", "image_url": "https://x/y.png", "alt_text": "a" * 2001}],
        "must be less than 2001 characters [json-pointer:/blocks/0/alt_text]",
    ),
    (
        "image without alt text",
        [{"type": "image", "image_url": "https://x/y.png"}],
        "missing required field: alt_text [json-pointer:/blocks/0]",
    ),
    (
        "rich text with unknown part",
        [{"type": "rich_text", "elements": [{"type": "rich_text_table", "elements": []}]}],
        "must be a valid enum value [json-pointer:/blocks/0/elements/0/type]",
    ),
    (
        "long input label",
        [{**text_input(), "label": {"type": "plain_text", "text": "l" * 2001}}],
        "must be less than 2001 characters [json-pointer:/blocks/0/label/text]",
    ),
    (
        "input without element",
        [{"type": "input", "label": {"type": "plain_text", "text": "l"}}],
        "missing required field: element [json-pointer:/blocks/0]",
    ),
    (
        "long hint",
        [{**text_input(), "hint": {"type": "plain_text", "text": "h" * 2001}}],
        "must be less than 2001 characters [json-pointer:/blocks/0/hint/text]",
    ),
    (
        "optional not a boolean",
        [{**text_input(), "optional": "yes"}],
        "must be a boolean [json-pointer:/blocks/0/optional]",
    ),
    (
        "max_length over 3000",
        [text_input(max_length=3001)],
        "must be less than or equal to 3000 [json-pointer:/blocks/0/element/max_length]",
    ),
    (
        "initial value over max_length",
        [text_input(max_length=10, initial_value="v" * 11)],
        "must be less than 11 characters [json-pointer:/blocks/0/element/initial_value]",
    ),
]


@pytest.mark.parametrize(
    ("blocks", "error"),
    [case[1:] for case in MESSAGE_VIOLATIONS],
    ids=[c[0] for c in MESSAGE_VIOLATIONS],
)
def test_block_kit_violations(blocks: list[Any], error: str) -> None:
    assert error in validate_blocks(blocks)


VIEW_VIOLATIONS: list[tuple[str, Any, str]] = [
    (
        "long title",
        modal(section("s"), title={"type": "plain_text", "text": "t" * 25}),
        "must be less than 25 characters [json-pointer:/view/title/text]",
    ),
    (
        "no title",
        {"type": "modal", "blocks": []},
        "missing required field: title [json-pointer:/view]",
    ),
    (
        "mrkdwn title",
        modal(section("s"), title={"type": "mrkdwn", "text": "t"}),
        "must be a valid enum value [json-pointer:/view/title/type]",
    ),
    (
        "long submit",
        modal(text_input(), submit={"type": "plain_text", "text": "s" * 25}),
        "must be less than 25 characters [json-pointer:/view/submit/text]",
    ),
    (
        "long close",
        modal(section("s"), close={"type": "plain_text", "text": "c" * 25}),
        "must be less than 25 characters [json-pointer:/view/close/text]",
    ),
    (
        "inputs without submit",
        modal(text_input()),
        "missing required field: submit [json-pointer:/view]",
    ),
    (
        "long metadata",
        modal(section("s"), private_metadata="m" * 3001),
        "must be less than 3001 characters [json-pointer:/view/private_metadata]",
    ),
    (
        "long callback_id",
        modal(section("s"), callback_id="c" * 256),
        "must be less than 256 characters [json-pointer:/view/callback_id]",
    ),
    (
        "long external_id",
        modal(section("s"), external_id="e" * 256),
        "must be less than 256 characters [json-pointer:/view/external_id]",
    ),
    (
        "too many blocks",
        modal(*[{"type": "divider"}] * 101),
        "no more than 100 items allowed [json-pointer:/view/blocks]",
    ),
    (
        "unknown type",
        {"type": "dialog", "blocks": []},
        "must be a valid enum value [json-pointer:/view/type]",
    ),
    (
        "unknown key",
        modal(section("s"), colour="red"),
        "invalid additional property: colour [json-pointer:/view]",
    ),
    (
        "title on home",
        {"type": "home", "title": {"type": "plain_text", "text": "t"}, "blocks": []},
        "invalid additional property: title [json-pointer:/view]",
    ),
    (
        "deep option",
        modal(
            section("s"),
            {
                "type": "input",
                "block_id": "b",
                "label": {"type": "plain_text", "text": "l"},
                "element": select(
                    initial_option={"text": {"type": "plain_text", "text": "o" * 76}, "value": "v0"}
                ),
            },
            submit={"type": "plain_text", "text": "Go"},
        ),
        "must be less than 76 characters"
        " [json-pointer:/view/blocks/1/element/initial_option/text/text]",
    ),
]


@pytest.mark.parametrize(
    ("view", "error"), [case[1:] for case in VIEW_VIOLATIONS], ids=[c[0] for c in VIEW_VIOLATIONS]
)
def test_view_violations(view: Any, error: str) -> None:
    assert error in validate_view(view)


def rich_message() -> list[dict[str, Any]]:
    """Every block and element a message may carry, at the limits."""
    options = opts(100)
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150, "emoji": True}},
        {
            "type": "section",
            "block_id": "b" * 255,
            "text": {"type": "mrkdwn", "text": "s" * 3000, "verbatim": False},
            "accessory": button(
                "b" * 75, action_id="a" * 255, value="v" * 2000, style="primary", confirm=CONFIRM
            ),
        },
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10,
            "expand": True,
        },
        {
            "type": "section",
            "text": {"type": "plain_text", "text": "with an image"},
            "accessory": {
                "type": "image",
                "image_url": "https://example.com/a.png",
                "alt_text": "a",
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "ctx"},
                {"type": "plain_text", "text": "ctx", "emoji": True},
                {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a"},
            ],
        },
        {"type": "divider"},
        actions(
            button("Approve", action_id="approve", style="primary", value="1"),
            button("Reject", action_id="reject", style="danger"),
            button("Docs", action_id="docs", url="https://example.com"),
            select(
                options=options,
                initial_option=options[7],
                placeholder={"type": "plain_text", "text": "p" * 150},
            ),
            {
                "type": "static_select",
                "action_id": "grouped",
                "option_groups": [
                    {"label": {"type": "plain_text", "text": "g"}, "options": opts(3)}
                ],
            },
            {
                "type": "multi_static_select",
                "action_id": "many",
                "options": opts(3),
                "initial_options": opts(2),
            },
            {
                "type": "overflow",
                "action_id": "more",
                "options": opts(5, url="https://example.com"),
            },
            {"type": "datepicker", "action_id": "when", "initial_date": "2025-01-31"},
            {"type": "timepicker", "action_id": "time", "initial_time": "09:30"},
            {"type": "users_select", "action_id": "who", "initial_user": "U1"},
            {
                "type": "multi_users_select",
                "action_id": "whom",
                "initial_users": ["U1", "U2"],
                "max_selected_items": 3,
            },
            {
                "type": "conversations_select",
                "action_id": "where",
                "default_to_current_conversation": True,
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            },
            {"type": "channels_select", "action_id": "chan", "initial_channel": "C1"},
            {"type": "multi_channels_select", "action_id": "chans", "initial_channels": ["C1"]},
            {"type": "multi_conversations_select", "action_id": "convs"},
            {"type": "external_select", "action_id": "ext", "min_query_length": 2},
            {
                "type": "radio_buttons",
                "action_id": "radio",
                "options": opts(10, description={"type": "plain_text", "text": "d"}),
                "initial_option": opts(1)[0],
            },
            {
                "type": "checkboxes",
                "action_id": "check",
                "options": [{"text": {"type": "mrkdwn", "text": "*c*"}, "value": "c"}],
            },
        ),
        {
            "type": "image",
            "image_url": "https://example.com/a.png",
            "alt_text": "a" * 2000,
            "title": {"type": "plain_text", "text": "t"},
        },
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "hi "},
                        {"type": "user", "user_id": "U1"},
                    ],
                },
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": "a"}]}
                    ],
                },
            ],
        },
    ]


def test_valid_messages_pass() -> None:
    blocks = rich_message()
    assert validate_blocks(blocks) == []
    full = blocks + [{"type": "divider"}] * (50 - len(blocks))
    assert validate_blocks(full) == []
    assert validate_blocks([]) == []


def test_valid_message_is_accepted_by_the_api(fake: FakeSlack, client: WebClient) -> None:
    assert client.chat_postMessage(channel="C1", text="all of it", blocks=rich_message())["ok"]


def test_slack_sdk_block_models_pass() -> None:
    blocks = [
        HeaderBlock(text="Service assessment"),
        SectionBlock(
            text=MarkdownTextObject(text="*Bins*"),
            accessory=ButtonElement(text="Open", action_id="open", value="42", style="primary"),
        ),
        DividerBlock(),
        ContextBlock(elements=[MarkdownTextObject(text="Updated today")]),
        ActionsBlock(
            elements=[
                ButtonElement(text="Yes", action_id="yes", value="y"),
                StaticSelectElement(
                    action_id="score",
                    placeholder="Score",
                    options=[Option(value=str(i), text=str(i)) for i in range(1, 6)],
                ),
            ]
        ),
    ]
    assert validate_blocks([b.to_dict() for b in blocks]) == []


def test_valid_views_pass() -> None:
    inputs = [
        text_input("name", max_length=100, initial_value="Bins", min_length=1, multiline=True),
        {
            "type": "input",
            "block_id": "owners",
            "label": {"type": "plain_text", "text": "Owners"},
            "hint": {"type": "plain_text", "text": "h" * 2000},
            "optional": True,
            "element": {"type": "multi_users_select", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "phase",
            "label": {"type": "plain_text", "text": "Phase"},
            "element": select(),
        },
        {
            "type": "input",
            "block_id": "due",
            "dispatch_action": False,
            "label": {"type": "plain_text", "text": "Due"},
            "element": {"type": "datepicker", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "channel",
            "label": {"type": "plain_text", "text": "Channel"},
            "element": {
                "type": "conversations_select",
                "action_id": "value",
                "response_url_enabled": True,
            },
        },
        {
            "type": "input",
            "block_id": "email",
            "label": {"type": "plain_text", "text": "Email"},
            "element": {"type": "email_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "count",
            "label": {"type": "plain_text", "text": "Count"},
            "element": {
                "type": "number_text_input",
                "action_id": "value",
                "is_decimal_allowed": False,
            },
        },
        {
            "type": "input",
            "block_id": "agree",
            "label": {"type": "plain_text", "text": "Agree"},
            "element": {"type": "checkboxes", "action_id": "value", "options": opts(2)},
        },
    ]
    view = modal(
        *inputs,
        *[section(f"row {i}") for i in range(100 - len(inputs))],
        title={"type": "plain_text", "text": "t" * 24},
        submit={"type": "plain_text", "text": "s" * 24},
        close={"type": "plain_text", "text": "c" * 24},
        private_metadata="m" * 3000,
        callback_id="c" * 255,
        external_id="e" * 255,
        notify_on_close=True,
        clear_on_close=False,
    )
    assert validate_view(view) == []
    assert validate_view({"type": "home", "blocks": rich_message(), "private_metadata": ""}) == []


def test_normalize_blocks_fills_ids_without_touching_the_input() -> None:
    blocks = [
        section("s"),
        actions(button(), button("Two", action_id="two")),
        {"type": "divider", "block_id": "keep"},
    ]
    normal = normalize_blocks(blocks)
    assert "block_id" not in blocks[0]
    assert normal[2]["block_id"] == "keep"
    assert len({b["block_id"] for b in normal}) == 3
    first, second = normal[1]["elements"]
    assert first["action_id"] and second["action_id"] == "two"
    assert validate_blocks(normal) == []
