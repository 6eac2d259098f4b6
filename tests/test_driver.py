"""SlackDriver against a minimal Bolt app: signed HTTP (waitress) and Socket Mode."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from tests.driver import DriverError, SlackDriver, close_socket_mode, serve_wsgi
from tests.fakeslack import FakeSlack

SECRET = "test-signing-secret"
BOT = "xoxb-test"
T = TypeVar("T")


class Recorder:
    """What the app's listeners saw, for the test thread to wait on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seen: dict[str, list[Any]] = {}

    def add(self, kind: str, item: Any) -> None:
        with self._cond:
            self._seen.setdefault(kind, []).append(item)
            self._cond.notify_all()

    def wait(self, kind: str, count: int = 1, timeout: float = 5.0) -> list[Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._seen.get(kind, [])) >= count, timeout):
                raise AssertionError(f"the app saw {self._seen.get(kind, [])} of {kind!r}")
            return list(self._seen[kind])

    def get(self, kind: str) -> list[Any]:
        with self._cond:
            return list(self._seen.get(kind, []))


def eventually(probe: Callable[[], T | None], timeout: float = 5.0) -> T:
    """Poll until ``probe`` returns something truthy (the app works after its ack)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def button(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


CARD: list[dict[str, Any]] = [
    {"type": "section", "block_id": "card", "text": {"type": "mrkdwn", "text": "*Bins*"}},
    {
        "type": "actions",
        "block_id": "choices",
        "elements": [
            button("Approve", "approve", "42"),
            button("Reject", "reject", "42"),
            {
                "type": "static_select",
                "action_id": "score",
                "options": [
                    {"text": {"type": "plain_text", "text": label}, "value": value}
                    for label, value in (("Low", "1"), ("High", "3"))
                ],
            },
        ],
    },
]


def input_block(
    block_id: str, label: str, element: dict[str, Any], optional: bool = False
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": "value", **element},
    }


PHASES = [
    {"text": {"type": "plain_text", "text": p.title()}, "value": p} for p in ("alpha", "beta")
]
MODAL = {
    "type": "modal",
    "callback_id": "add_service",
    "private_metadata": "C1",
    "title": {"type": "plain_text", "text": "Add a service"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        input_block("name", "Name", {"type": "plain_text_input", "max_length": 50}),
        input_block("owners", "Owners", {"type": "multi_users_select"}),
        input_block(
            "phase",
            "Phase",
            {"type": "static_select", "options": PHASES, "initial_option": PHASES[0]},
        ),
        input_block("due", "Due", {"type": "datepicker"}, optional=True),
        input_block("channel", "Channel", {"type": "conversations_select"}, optional=True),
        input_block(
            "checks",
            "Checks",
            {
                "type": "checkboxes",
                "options": [{"text": {"type": "mrkdwn", "text": "*ok*"}, "value": "ok"}],
            },
            optional=True,
        ),
    ],
}
HOME = {
    "type": "home",
    "blocks": [{"type": "actions", "elements": [button("Refresh", "refresh", "home")]}],
}


def build_app(fake: FakeSlack, seen: Recorder, *, signing_secret: str | None = SECRET) -> App:
    app = App(signing_secret=signing_secret, client=WebClient(base_url=fake.api_url, token=BOT))

    @app.command("/assess")
    def assess(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        text = command["text"]
        if text == "open":
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=MODAL)
        elif text == "card":
            ack()
            client.chat_postMessage(channel=command["channel_id"], text="Bins", blocks=CARD)
        elif text == "private card":
            ack()
            respond(text="Just you", blocks=CARD)
        elif text == "home":
            ack()
            client.views_publish(user_id=command["user_id"], view=HOME)
        else:
            ack(text=f"Got {text}")
            respond(text=f"you said {text}")
        seen.add("command", command)

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        seen.add("approve", body)
        if body["container"]["type"] == "message":
            respond(text="Approved", replace_original=True)

    @app.action("refresh")
    def refresh(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen.add("refresh", body)

    @app.action("score")
    def score(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen.add("score", body)

    @app.view("add_service")
    def add_service(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        name = view["state"]["values"]["name"]["value"]["value"]
        seen.add("submission", body)
        if name == "taken":
            ack(response_action="errors", errors={"name": "That name is taken"})
        else:
            ack()

    @app.event("app_mention")
    def mention(body: dict[str, Any], request: BoltRequest) -> None:
        seen.add("mention", (body, dict(request.headers)))

    return app


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT) as fake:
        fake.add_user("U1", name="alice")
        fake.add_user("U2", name="bob")
        fake.add_channel("C1", "team-bins")
        yield fake


@dataclass
class Served:
    driver: SlackDriver
    seen: Recorder
    fake: FakeSlack


@pytest.fixture
def served(fake: FakeSlack) -> Iterator[Served]:
    seen = Recorder()
    with serve_wsgi(SlackRequestHandler(build_app(fake, seen))) as url:
        yield Served(SlackDriver(url, SECRET, fake), seen, fake)


def post_card(served: Served) -> str:
    served.driver.command("card", user="U1", channel="C1")
    card = eventually(lambda: served.fake.messages("C1"))
    return str(card[0]["ts"])


# -- slash commands and signatures ----------------------------------------------------------------


def test_a_signed_command_is_acked_and_respond_lands(served: Served) -> None:
    response = served.driver.command("Bins & <Bags>", user="U1", channel="C1")
    assert response.status == 200
    assert response.body == "Got Bins &amp; &lt;Bags&gt;"  # Slack escapes & < > in command text
    assert not response.timed_out
    (command,) = served.seen.wait("command")
    assert set(command) >= {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert (command["user_name"], command["channel_name"]) == ("alice", "team-bins")
    assert command["response_url"] == served.driver.last_response_url
    assert command["trigger_id"] == served.driver.last_trigger_id
    posts = eventually(lambda: served.fake.response_posts(served.driver.last_response_url))
    assert posts[0].text == "you said Bins &amp; &lt;Bags&gt;"


@pytest.mark.parametrize(
    "knobs",
    [
        {"signed": False},
        {"bad_signature": True},
        {"timestamp_offset": -360},
        {"timestamp_offset": 360},
        {"tamper": True},
    ],
    ids=["unsigned", "bad-signature", "six-minutes-old", "six-minutes-ahead", "tampered"],
)
def test_requests_slack_did_not_sign_are_refused(served: Served, knobs: dict[str, Any]) -> None:
    assert served.driver.command("hello", user="U1", **knobs).status == 401
    event = {"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1", "ts": "1.000001"}
    assert served.driver.event(event, **knobs).status == 401
    assert served.seen.get("command") == [] and served.seen.get("mention") == []


def test_a_four_minute_old_request_is_still_accepted(served: Served) -> None:
    assert served.driver.command("hello", user="U1", timestamp_offset=-240).status == 200


def test_url_verification(served: Served) -> None:
    response = served.driver.url_verification("abc123")
    assert response.status == 200 and response.json() == {"challenge": "abc123"}


# -- buttons and selects ---------------------------------------------------------------------------


def test_click_finds_a_button_by_label(served: Served) -> None:
    ts = post_card(served)
    response = served.driver.click("Approve", user="U2")
    assert response.status == 200
    (body,) = served.seen.wait("approve")
    assert body["type"] == "block_actions"
    assert body["user"] == {"id": "U2", "username": "bob", "name": "bob", "team_id": "T1"}
    assert body["team"]["id"] == "T1" and body["api_app_id"] == served.fake.app_id
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert body["channel"] == {"id": "C1", "name": "team-bins"}
    assert body["message"]["ts"] == ts and body["message"]["blocks"][0]["block_id"] == "card"
    (action,) = body["actions"]
    assert action["action_id"] == "approve" and action["value"] == "42"
    assert action["block_id"] == "choices" and action["type"] == "button"
    assert action["text"]["text"] == "Approve" and float(action["action_ts"]) > 0
    assert body["trigger_id"] and body["response_url"] and body["state"] == {"values": {}}
    # respond(replace_original=True) through the click's response_url replaced the card
    card = eventually(
        lambda: (
            served.fake.message("C1", ts)["text"] == "Approved" and served.fake.message("C1", ts)
        )
    )
    assert "blocks" not in card and card["history"][0]["text"] == "Bins"


def test_click_only_what_the_user_can_see(served: Served) -> None:
    post_card(served)
    with pytest.raises(DriverError, match=r"no a button labelled 'Delete'.*Approve"):
        served.driver.click("Delete", user="U1")
    with pytest.raises(DriverError, match="sees no message"):
        served.driver.click("Approve", user="U1", in_message=("C1", "1.000001"))


def test_click_in_an_ephemeral_message(served: Served) -> None:
    served.driver.command("private card", user="U1", channel="C1")
    eventually(lambda: served.fake.ephemerals("U1"))
    with pytest.raises(DriverError):  # U2 cannot see U1's ephemeral message
        served.driver.click("Approve", user="U2")
    served.driver.click("Approve", user="U1")
    (body,) = served.seen.wait("approve")
    assert body["container"]["is_ephemeral"] is True
    assert "message" not in body
    eventually(lambda: [e for e in served.fake.ephemerals("U1") if e["text"] == "Approved"])


def test_click_on_the_home_tab(served: Served) -> None:
    served.driver.command("home", user="U1")
    eventually(lambda: served.fake.home_view("U1"))
    served.driver.click("Refresh", user="U1")
    (body,) = served.seen.wait("refresh")
    assert body["container"]["type"] == "view"
    assert body["view"]["type"] == "home" and body["view"]["id"] == body["container"]["view_id"]
    assert "response_url" not in body


def test_select_an_option(served: Served) -> None:
    ts = post_card(served)
    served.driver.select("score", "3", user="U1", in_message=("C1", ts))
    (body,) = served.seen.wait("score")
    (action,) = body["actions"]
    assert action["type"] == "static_select"
    assert action["selected_option"] == {
        "text": {"type": "plain_text", "text": "High"},
        "value": "3",
    }
    assert body["state"]["values"]["choices"]["score"]["selected_option"]["value"] == "3"
    with pytest.raises(DriverError, match="not an option"):
        served.driver.select("score", "9", user="U1")


def test_click_action_forges_a_value(served: Served) -> None:
    ts = post_card(served)
    served.driver.click_action("approve", "9999", user="U2", in_message=("C1", ts))
    served.driver.click_action(
        "approve", "1", user="U2", in_message=("C1", "1.000001"), block_id="x"
    )
    first, second = served.seen.wait("approve", count=2)
    assert first["actions"][0]["value"] == "9999" and first["actions"][0]["block_id"] == "choices"
    assert (
        second["container"]["message_ts"] == "1.000001" and second["actions"][0]["block_id"] == "x"
    )


# -- modals ---------------------------------------------------------------------------------------


def open_modal(served: Served) -> dict[str, Any]:
    served.driver.command("open", user="U1", channel="C1")
    views = eventually(lambda: served.fake.open_views("U1"))
    return views[-1]


def test_submit_view_reaches_the_listener_with_slack_shaped_state(served: Served) -> None:
    view = open_modal(served)
    values = {
        "name": "Bins",
        "owners": ["U1", "U2"],
        "due": date(2025, 1, 31),
        "channel": "C1",
        "checks": ["ok"],
    }
    response = served.driver.submit_view(view, values, user="U1")
    assert response.status == 200
    (body,) = served.seen.wait("submission")
    assert body["type"] == "view_submission" and body["user"]["id"] == "U1"
    submitted = body["view"]
    assert submitted["id"] == view["id"] and submitted["type"] == "modal"
    assert submitted["callback_id"] == "add_service" and submitted["private_metadata"] == "C1"
    assert submitted["hash"] == view["hash"] and submitted["root_view_id"] == view["id"]
    state = submitted["state"]["values"]
    assert state["name"]["value"] == {"type": "plain_text_input", "value": "Bins"}
    assert state["owners"]["value"] == {
        "type": "multi_users_select",
        "selected_users": ["U1", "U2"],
    }
    assert state["phase"]["value"] == {
        "type": "static_select",
        "selected_option": PHASES[0],
    }  # initial
    assert state["due"]["value"] == {"type": "datepicker", "selected_date": "2025-01-31"}
    assert state["channel"]["value"] == {
        "type": "conversations_select",
        "selected_conversation": "C1",
    }
    assert state["checks"]["value"]["selected_options"][0]["value"] == "ok"
    assert served.fake.open_views("U1") == []  # the empty ack closed the modal


def test_submit_view_with_raw_state_and_left_out_optionals(served: Served) -> None:
    view = open_modal(served)
    raw = {"value": {"type": "static_select", "selected_option": PHASES[1]}}
    served.driver.submit_view(view["id"], {"name": "Bins", "owners": "U1", "phase": raw}, user="U1")
    (body,) = served.seen.wait("submission")
    state = body["view"]["state"]["values"]
    assert state["phase"]["value"]["selected_option"]["value"] == "beta"
    assert state["due"]["value"] == {"type": "datepicker", "selected_date": None}
    assert state["checks"]["value"] == {"type": "checkboxes", "selected_options": []}


def test_errors_ack_keeps_the_modal_open(served: Served) -> None:
    view = open_modal(served)
    response = served.driver.submit_view(view, {"name": "taken", "owners": ["U1"]}, user="U1")
    assert response.json() == {
        "response_action": "errors",
        "errors": {"name": "That name is taken"},
    }
    assert [v["id"] for v in served.fake.open_views("U1")] == [view["id"]]


def test_submit_view_only_what_slack_would_send(served: Served) -> None:
    view = open_modal(served)
    with pytest.raises(DriverError, match="'owners' is required"):
        served.driver.submit_view(view, {"name": "Bins"}, user="U1")
    with pytest.raises(DriverError, match="no input block"):
        served.driver.submit_view(
            view, {"name": "Bins", "owners": ["U1"], "colour": "red"}, user="U1"
        )
    with pytest.raises(DriverError, match="not an option"):
        served.driver.submit_view(
            view, {"name": "Bins", "owners": ["U1"], "phase": "live"}, user="U1"
        )
    with pytest.raises(DriverError, match="0-50 characters, got 51"):
        served.driver.submit_view(view, {"name": "x" * 51, "owners": ["U1"]}, user="U1")
    with pytest.raises(DriverError, match="not U2's open modal"):
        served.driver.submit_view(view, {"name": "Bins", "owners": ["U1"]}, user="U2")
    assert served.seen.get("submission") == []


def test_close_view(served: Served) -> None:
    view = open_modal(served)
    assert (
        served.driver.close_view(view, user="U1") is None
    )  # no notify_on_close: the app hears nothing
    assert served.fake.open_views("U1") == []


# -- events ---------------------------------------------------------------------------------------


def test_event_retries_carry_slacks_headers(served: Served) -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> hi",
        "channel": "C1",
        "ts": "1.000001",
    }
    assert served.driver.event(event, event_id="Ev01").status == 200
    assert served.driver.event(event, event_id="Ev01", retry_num=1).status == 200
    (first, first_headers), (retry, retry_headers) = served.seen.wait("mention", count=2)
    assert first["event_id"] == retry["event_id"] == "Ev01"
    assert first["type"] == "event_callback" and first["event"] == event
    assert first["authorizations"][0]["user_id"] == "UBOT"
    assert "x-slack-retry-num" not in first_headers
    assert retry_headers["x-slack-retry-num"] == ["1"]
    assert retry_headers["x-slack-retry-reason"] == ["http_timeout"]


# -- Socket Mode ----------------------------------------------------------------------------------


@pytest.fixture
def socket_app(fake: FakeSlack) -> Iterator[Recorder]:
    seen = Recorder()
    handler = SocketModeHandler(build_app(fake, seen, signing_secret=None), "xapp-test")
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert fake.socket_connected(timeout=5)
        yield seen
    finally:
        close_socket_mode(handler, fake)


def test_socket_mode_command_is_acked_over_the_websocket(
    fake: FakeSlack, socket_app: Recorder
) -> None:
    assert fake.calls_to("apps.connections.open")[0].headers["authorization"] == "Bearer xapp-test"
    driver = SlackDriver(None, None, fake)
    payload = driver.command_payload("hello", user="U1", channel="C1")
    envelope_id = fake.socket_send("slash_commands", payload)
    ack = fake.wait_for_ack(envelope_id, timeout=5)
    assert ack == {"envelope_id": envelope_id, "payload": {"text": "Got hello"}}
    (command,) = socket_app.wait("command")
    assert command["user_id"] == "U1"
    posts = eventually(lambda: fake.response_posts(driver.last_response_url))
    assert posts[0].text == "you said hello"


def test_the_driver_speaks_socket_mode_too(fake: FakeSlack, socket_app: Recorder) -> None:
    driver = SlackDriver(None, None, fake)
    response = driver.command("hi", user="U1")
    assert response.status == 200 and response.json() == {"text": "Got hi"}
    driver.command("card", user="U1", channel="C1")
    eventually(lambda: fake.messages("C1"))
    assert driver.click("Approve", user="U2").status == 200
    socket_app.wait("approve")
    event = {"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1", "ts": "1.000001"}
    assert driver.event(event, event_id="Ev02", retry_num=2, retry_reason="timeout").status == 200
    ((body, headers),) = socket_app.wait("mention")
    assert body["event_id"] == "Ev02"
    assert headers["x-slack-retry-num"] == ["2"] and headers["x-slack-retry-reason"] == ["timeout"]
    with pytest.raises(ValueError, match="HTTP mode"):
        driver.command("x", user="U1", bad_signature=True)
