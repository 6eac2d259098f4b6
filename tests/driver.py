"""SlackDriver: plays Slack towards a Bolt app under test.

HTTP mode (``app_url`` given) POSTs signed requests to ``{app_url}/slack/events`` exactly as
Slack does; Socket Mode (``app_url=None``) sends the same payloads as envelopes over the
FakeSlack WebSocket and waits for the app's ack. Payloads are Slack-shaped, and the driver only
lets a test do what a Slack user could do: click a button that is on screen, pick an option that
exists, submit a modal whose required inputs are filled. ``click_action`` forges clicks for
security tests.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from datetime import time as dtime
from typing import Any, Literal, TypedDict, Unpack
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakeslack import BOT_USER_ID, FakeSlack, InvalidAck, Surface
from tests.fakeslack.blockkit import TEXT_INPUT_TYPES, FoundElement, iter_elements

Json = dict[str, Any]
VERIFICATION_TOKEN = "fakeslack-verification-token"
ACK_DEADLINE = 3.0  # seconds Slack waits for an acknowledgement
_MISSING: Any = object()


class SignOptions(TypedDict, total=False):
    """Knobs for security tests (HTTP mode only)."""

    signed: bool  # False: no X-Slack-Signature header
    bad_signature: bool  # signed with the wrong secret
    timestamp_offset: int  # seconds added to the request timestamp (-360: six minutes old)
    tamper: bool  # change the body after signing it


class DriverError(AssertionError):
    """The test asked for something a Slack user could not do, or the app answered in a way
    Slack would refuse."""


@dataclass(frozen=True)
class Response:
    status: int  # HTTP status; in Socket Mode 200 once acked, 0 when no ack came
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def timed_out(self) -> bool:
        """Slack gives up after 3 seconds (the user sees an error; events are retried)."""
        return self.status == 0 or self.elapsed > ACK_DEADLINE


class SlackDriver:
    def __init__(
        self,
        app_url: str | None,
        signing_secret: str | None,
        fake: FakeSlack,
        *,
        team_id: str | None = None,
        socket_ack_timeout: float = 5.0,
    ) -> None:
        if app_url is not None and not signing_secret:
            raise ValueError("HTTP mode needs the signing secret")
        self.app_url = app_url.rstrip("/") if app_url else None
        self.signing_secret = signing_secret
        self.fake = fake
        self.team_id = team_id or fake.team_id
        self.socket_ack_timeout = socket_ack_timeout
        self.last_response_url: str | None = None
        self.last_trigger_id: str | None = None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def socket_mode(self) -> bool:
        return self.app_url is None

    # -- slash commands -------------------------------------------------------------------------

    def command_payload(
        self,
        text: str,
        *,
        user: str,
        channel: str = "C1",
        command: str = "/assess",
        team_id: str | None = None,
        escape: bool = True,
    ) -> dict[str, str]:
        """A slash command's fields. Slack escapes ``& < >`` in ``text`` (``escape=False`` sends
        text that is already formatted, such as ``<@U1|alice>``)."""
        team = team_id or self.team_id
        self.last_response_url = self.fake.new_response_url(channel=channel, user=user)
        self.last_trigger_id = self.fake.issue_trigger_id(user)
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "team_domain": self.fake.team_domain,
            "channel_id": channel,
            "channel_name": self._channel_name(channel),
            "user_id": user,
            "user_name": self._user_name(user),
            "command": command,
            "text": html.escape(text, quote=False) if escape else text,
            "api_app_id": self.fake.app_id,
            "is_enterprise_install": "false",
            "response_url": self.last_response_url,
            "trigger_id": self.last_trigger_id,
        }

    def command(
        self,
        text: str,
        *,
        user: str,
        channel: str = "C1",
        command: str = "/assess",
        team_id: str | None = None,
        escape: bool = True,
        **sign: Unpack[SignOptions],
    ) -> Response:
        fields = self.command_payload(
            text, user=user, channel=channel, command=command, team_id=team_id, escape=escape
        )
        return self._deliver("slash_commands", fields, urlencode(fields), sign=sign)

    # -- interactivity ----------------------------------------------------------------------------

    def click(
        self,
        label: str,
        *,
        user: str,
        in_message: tuple[str, str] | None = None,
        value: str | None = None,
        team_id: str | None = None,
        **sign: Unpack[SignOptions],
    ) -> Response:
        """Click the button showing ``label`` (and ``value``, to tell twins apart) in the given
        message, or on the newest surface ``user`` can see: messages, their ephemerals, their
        open modal, their Home tab."""

        def wanted(el: FoundElement) -> bool:
            return el.label == label and (value is None or el.element.get("value") == value)

        surface, found = self._find(user, in_message, wanted, f"a button labelled {label!r}")
        action = self._action(found)
        return self._send_action(surface, action, user=user, team_id=team_id, sign=sign)

    def select(
        self,
        action_id: str,
        option_value: str,
        *,
        user: str,
        in_message: tuple[str, str] | None = None,
        team_id: str | None = None,
        **sign: Unpack[SignOptions],
    ) -> Response:
        """Pick an option in a static_select / radio_buttons / overflow (block_actions)."""

        def wanted(el: FoundElement) -> bool:
            return el.action_id == action_id and el.type in (
                "static_select",
                "radio_buttons",
                "overflow",
            )

        surface, found = self._find(
            user, in_message, wanted, f"a select with action_id {action_id!r}"
        )
        option = _option(found.element, option_value)
        action = self._action(found)
        action["selected_option"] = option
        state = {"type": found.type, "selected_option": option}
        extra = {} if found.type == "overflow" else {str(found.block_id): {action_id: state}}
        return self._send_action(
            surface, action, user=user, team_id=team_id, sign=sign, state=extra
        )

    def click_action(
        self,
        action_id: str,
        value: str | None,
        *,
        user: str,
        in_message: tuple[str, str] | None = None,
        block_id: str | None = None,
        team_id: str | None = None,
        **sign: Unpack[SignOptions],
    ) -> Response:
        """A button click with a chosen ``value`` (forgery for security tests). Uses the element
        with that action_id when one is on screen, else a message ``in_message`` (which need not
        exist) with a made-up block."""

        def wanted(el: FoundElement) -> bool:
            return el.action_id == action_id and block_id in (None, el.block_id)

        try:
            surface, found = self._find(user, in_message, wanted, f"action_id {action_id!r}")
            action = self._action(found)
        except DriverError:
            if in_message is None:
                raise
            channel, ts = in_message
            surface = Surface("message", time.time(), [], channel=channel, ts=ts)
            text = {"type": "plain_text", "text": "forged", "emoji": True}
            action = {"action_id": action_id, "block_id": block_id or "forged", "text": text}
            action.update(type="button", action_ts=_action_ts())
        if value is None:
            action.pop("value", None)
        else:
            action["value"] = value
        return self._send_action(surface, action, user=user, team_id=team_id, sign=sign)

    def block_actions_payload(
        self,
        surface: Surface,
        action: Json,
        *,
        user: str,
        team_id: str | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> Json:
        team = team_id or self.team_id
        self.last_trigger_id = self.fake.issue_trigger_id(user)
        payload: Json = {
            "type": "block_actions",
            "user": self._user_object(user, team),
            "api_app_id": self.fake.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.last_trigger_id,
            "team": {"id": team, "domain": self.fake.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": dict(state or {})},
            "actions": [action],
        }
        if surface.kind in ("message", "ephemeral"):
            channel, ts = surface.channel or "", surface.ts or ""
            ephemeral = surface.kind == "ephemeral"
            container: Json = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            if surface.thread_ts:
                container["thread_ts"] = surface.thread_ts
            payload["container"] = container
            payload["channel"] = {"id": channel, "name": self._channel_name(channel)}
            if surface.message is not None:
                payload["message"] = surface.message
            self.last_response_url = self.fake.new_response_url(
                channel=channel, user=user, message_ts=ts, is_ephemeral=ephemeral
            )
            payload["response_url"] = self.last_response_url
        else:
            view = dict(surface.view or {})
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
        return payload

    def _send_action(
        self,
        surface: Surface,
        action: Json,
        *,
        user: str,
        team_id: str | None,
        sign: SignOptions,
        state: Mapping[str, Any] | None = None,
    ) -> Response:
        payload = self.block_actions_payload(
            surface, action, user=user, team_id=team_id, state=state
        )
        return self._deliver(
            "interactive", payload, urlencode({"payload": json.dumps(payload)}), sign=sign
        )

    def _find(
        self,
        user: str,
        in_message: tuple[str, str] | None,
        wanted: Callable[[FoundElement], bool],
        what: str,
    ) -> tuple[Surface, FoundElement]:
        surfaces = self.fake.surfaces(user)
        if in_message is not None:
            channel, ts = in_message
            surfaces = [s for s in surfaces if (s.channel, s.ts) == (channel, ts)]
            if not surfaces:
                raise DriverError(f"{user} sees no message {ts} in {channel}")
        for surface in reversed(surfaces):
            for found in iter_elements(surface.blocks):
                if wanted(found):
                    return surface, found
        seen = [
            f"{e.type}:{e.label or e.action_id}" for s in surfaces for e in iter_elements(s.blocks)
        ]
        raise DriverError(f"{user} sees no {what}; elements on screen: {seen}")

    @staticmethod
    def _action(found: FoundElement) -> Json:
        element = found.element
        action: Json = {
            "action_id": found.action_id,
            "block_id": found.block_id,
            "type": found.type,
            "action_ts": _action_ts(),
        }
        if found.type == "button":
            action["text"] = element["text"]
            if "value" in element:
                action["value"] = element["value"]
            if "style" in element:
                action["style"] = element["style"]
        return action

    # -- modals -----------------------------------------------------------------------------------

    def submit_view(
        self,
        view: str | Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        *,
        user: str,
        team_id: str | None = None,
        **sign: Unpack[SignOptions],
    ) -> Response:
        """Submit the user's open modal. ``values`` maps block_id to a simple value (text, option
        value, user ids, a date…) converted by the input's element type, or to
        ``{action_id: value-or-Slack-state}``. Inputs left out keep their initial values; a
        required input left empty raises DriverError, as Slack would not let the user submit.
        The app's ack is then applied to the fake's modal stack (close, errors, update, push)."""
        view_id = view if isinstance(view, str) else str(view["id"])
        top = [v["id"] for v in self.fake.open_views(user)][-1:]
        if top != [view_id]:
            raise DriverError(f"view {view_id} is not {user}'s open modal (open: {top})")
        current = self.fake.view(view_id)
        payload = self.view_submission_payload(current, values or {}, user=user, team_id=team_id)
        response = self._deliver(
            "interactive", payload, urlencode({"payload": json.dumps(payload)}), sign=sign
        )
        if response.status == 200:
            try:
                ack = response.json() if response.body.strip() else None
                self.fake.apply_view_ack(view_id, ack)
            except (InvalidAck, ValueError) as e:
                raise DriverError(f"Slack would refuse this view_submission ack: {e}") from e
        return response

    def view_submission_payload(
        self,
        view: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        user: str,
        team_id: str | None = None,
    ) -> Json:
        team = team_id or self.team_id
        full = dict(view)
        full["state"] = {"values": view_state(view, values)}
        self.last_trigger_id = self.fake.issue_trigger_id(user)
        return {
            "type": "view_submission",
            "team": {"id": team, "domain": self.fake.team_domain},
            "user": self._user_object(user, team),
            "api_app_id": self.fake.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.last_trigger_id,
            "view": full,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def close_view(
        self, view: str | Mapping[str, Any], *, user: str, **sign: Unpack[SignOptions]
    ) -> Response | None:
        """The user closes the modal; the app hears ``view_closed`` only with notify_on_close."""
        view_id = view if isinstance(view, str) else str(view["id"])
        current = self.fake.view(view_id)
        self.fake.close_view(view_id)
        if not current.get("notify_on_close"):
            return None
        team = self.team_id
        payload = {
            "type": "view_closed",
            "team": {"id": team, "domain": self.fake.team_domain},
            "user": self._user_object(user, team),
            "api_app_id": self.fake.app_id,
            "token": VERIFICATION_TOKEN,
            "view": current,
            "is_cleared": bool(current.get("clear_on_close")),
            "is_enterprise_install": False,
        }
        return self._deliver(
            "interactive", payload, urlencode({"payload": json.dumps(payload)}), sign=sign
        )

    # -- events -----------------------------------------------------------------------------------

    def event_payload(
        self, event: Mapping[str, Any], *, event_id: str | None = None, team_id: str | None = None
    ) -> Json:
        team = team_id or self.team_id
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "api_app_id": self.fake.app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_hex(12),
        }

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        team_id: str | None = None,
        **sign: Unpack[SignOptions],
    ) -> Response:
        """An Events API delivery; ``retry_num`` (1-3) makes it one of Slack's retries."""
        payload = self.event_payload(event, event_id=event_id, team_id=team_id)
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._deliver(
            "events_api",
            payload,
            json.dumps(payload),
            content_type="application/json",
            headers=headers,
            sign=sign,
            retry=(retry_num or 0, retry_reason if retry_num else ""),
        )

    def url_verification(self, challenge: str, **sign: Unpack[SignOptions]) -> Response:
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post(json.dumps(body), content_type="application/json", **sign)

    # -- transport --------------------------------------------------------------------------------

    def _deliver(
        self,
        envelope_type: Literal["slash_commands", "interactive", "events_api"],
        payload: Mapping[str, Any],
        http_body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: Mapping[str, str] | None = None,
        sign: SignOptions,
        retry: tuple[int, str] = (0, ""),
    ) -> Response:
        if not self.socket_mode:
            return self.post(http_body, content_type=content_type, headers=headers, **sign)
        if sign:
            raise ValueError("signing knobs only apply to HTTP mode")
        started = time.monotonic()
        envelope_id = self.fake.socket_send(
            envelope_type, payload, retry_attempt=retry[0], retry_reason=retry[1]
        )
        try:
            ack = self.fake.wait_for_ack(envelope_id, timeout=self.socket_ack_timeout)
        except TimeoutError:
            return Response(0, "", {}, time.monotonic() - started)
        body = json.dumps(ack["payload"]) if "payload" in ack else ""
        return Response(200, body, {"content-type": "application/json"}, time.monotonic() - started)

    def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        **sign: Unpack[SignOptions],
    ) -> Response:
        """POST a raw body to ``/slack/events``, signed (or not) like Slack."""
        if self.app_url is None or self.signing_secret is None:
            raise ValueError("post() needs HTTP mode")
        timestamp = str(int(time.time()) + sign.get("timestamp_offset", 0))
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": timestamp,
            **(headers or {}),
        }
        if sign.get("signed", True):
            secret = self.signing_secret + ("-wrong" if sign.get("bad_signature") else "")
            signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
            all_headers["X-Slack-Signature"] = str(signature)
        if sign.get("tamper"):
            body = body[:-1] + ', "tampered": true}' if body.endswith("}") else body + "&tampered=1"
        request = urllib.request.Request(
            f"{self.app_url}/slack/events", data=body.encode(), headers=all_headers, method="POST"
        )
        started = time.monotonic()
        try:
            with self._opener.open(request, timeout=30) as answer:
                status, text, got = answer.status, answer.read().decode(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            status, text, got = error.code, error.read().decode(), dict(error.headers)
        return Response(
            status, text, {k.lower(): v for k, v in got.items()}, time.monotonic() - started
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _user_object(self, user: str, team: str) -> Json:
        name = self._user_name(user)
        return {"id": user, "username": name, "name": name, "team_id": team}

    def _user_name(self, user: str) -> str:
        return self.fake.user_name(user) or user.lower()

    def _channel_name(self, channel: str) -> str:
        name = self.fake.channel_name(channel)
        if name is not None and not channel.startswith("D"):
            return name
        return "directmessage" if channel.startswith("D") else channel.lower()


def _action_ts() -> str:
    return f"{time.time():.6f}"


# -- view state -----------------------------------------------------------------------------------

_SINGLE_KEYS = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}
_MULTI_KEYS = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
_INITIAL = {
    "users_select": "initial_user",
    "conversations_select": "initial_conversation",
    "channels_select": "initial_channel",
    "datepicker": "initial_date",
    "timepicker": "initial_time",
    "multi_users_select": "initial_users",
    "multi_conversations_select": "initial_conversations",
    "multi_channels_select": "initial_channels",
}
_ONE_OPTION = ("static_select", "external_select", "radio_buttons")
_MANY_OPTIONS = ("multi_static_select", "multi_external_select", "checkboxes")


def view_state(view: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, dict[str, Json]]:
    """``view.state.values`` as Slack builds it when the user submits ``values``."""
    elements = list(iter_elements(view.get("blocks", [])))
    known = {e.block_id for e in elements}
    unknown = sorted(set(values) - known)
    if unknown:
        inputs = [e.block_id for e in elements]
        raise DriverError(f"the view has no input block(s) {unknown}; blocks with inputs: {inputs}")
    state: dict[str, dict[str, Json]] = {}
    for found in elements:
        block_id, action_id = str(found.block_id), str(found.action_id)
        given = values.get(block_id, _MISSING)
        if isinstance(given, Mapping):
            extra = sorted(set(given) - {e.action_id for e in elements if e.block_id == block_id})
            if extra:
                raise DriverError(f"block {block_id!r} has no element(s) {extra}")
            given = given.get(action_id, _MISSING)
        is_input = found.block.get("type") == "input"
        if given is _MISSING and not is_input:
            continue  # only inputs are always in the state
        entry = (
            _initial_state(found.element)
            if given is _MISSING
            else _state_entry(found.element, given)
        )
        if is_input:
            _check_submittable(found, entry)
        state.setdefault(block_id, {})[action_id] = entry
    return state


def _state_entry(element: Mapping[str, Any], value: Any) -> Json:
    kind = str(element["type"])
    if isinstance(value, Mapping):
        return {"type": kind, **value}
    if kind in TEXT_INPUT_TYPES:
        return {"type": kind, "value": None if value in (None, "") else str(value)}
    if kind in _ONE_OPTION:
        return {"type": kind, "selected_option": None if value is None else _option(element, value)}
    if kind in _MANY_OPTIONS:
        return {"type": kind, "selected_options": [_option(element, v) for v in _as_list(value)]}
    if kind in _MULTI_KEYS:
        return {"type": kind, _MULTI_KEYS[kind]: [str(v) for v in _as_list(value)]}
    if kind in ("datepicker", "timepicker") and isinstance(value, date | dtime):
        value = value.isoformat() if isinstance(value, date) else value.strftime("%H:%M")
    if kind in _SINGLE_KEYS:
        return {"type": kind, _SINGLE_KEYS[kind]: value}
    raise DriverError(f"cannot fill a {kind} element")


def _initial_state(element: Mapping[str, Any]) -> Json:
    kind = str(element["type"])
    if kind in TEXT_INPUT_TYPES:
        return {"type": kind, "value": element.get("initial_value") or None}
    if kind in _ONE_OPTION:
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind in _MANY_OPTIONS:
        return {"type": kind, "selected_options": list(element.get("initial_options") or [])}
    if kind in _MULTI_KEYS:
        return {"type": kind, _MULTI_KEYS[kind]: list(element.get(_INITIAL[kind]) or [])}
    if kind in _SINGLE_KEYS:
        return {"type": kind, _SINGLE_KEYS[kind]: element.get(_INITIAL[kind])}
    return {"type": kind}


def _check_submittable(found: FoundElement, entry: Json) -> None:
    """What Slack's client enforces before it sends a view_submission."""
    filled = [v for k, v in entry.items() if k != "type"]
    empty = not filled or all(v in (None, "", []) for v in filled)
    if empty and not found.block.get("optional", False):
        raise DriverError(
            f"input {found.block_id!r} is required: Slack would not let the user submit"
        )
    text = entry.get("value")
    if isinstance(text, str):
        low, high = found.element.get("min_length", 0), found.element.get("max_length", 3000)
        if not low <= len(text) <= high:
            raise DriverError(
                f"input {found.block_id!r} takes {low}-{high} characters, got {len(text)}"
            )


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _option(element: Mapping[str, Any], value: Any) -> Json:
    if isinstance(value, Mapping):
        return dict(value)
    options: list[Any] = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options", [])
    if not options and str(element.get("type")).endswith("external_select"):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    for option in options:
        if option.get("value") == value:
            return dict(option)
    choices = [o.get("value") for o in options]
    raise DriverError(f"{value!r} is not an option of {element.get('action_id')!r}: {choices}")


# -- serving a Bolt app ---------------------------------------------------------------------------


@contextmanager
def serve_wsgi(app: Callable[..., Any], *, threads: int = 4) -> Iterator[str]:
    """Serve a WSGI app (e.g. ``slack_bolt.adapter.wsgi.SlackRequestHandler(app)``) with waitress
    on 127.0.0.1 and a free port; yields its base URL."""
    from waitress.server import create_server
    from waitress.wasyncore import close_all

    server: Any = create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown(timeout=5)
        # close every channel from inside the loop thread, which also wakes its select()
        server.trigger.pull_trigger(lambda: close_all(server._map))
        thread.join(timeout=5)


def close_socket_mode(handler: Any, fake: FakeSlack) -> None:
    """Close a Bolt ``SocketModeHandler`` quickly: the fake hangs up first so the client's
    blocking receive returns at once, and its message loop is woken instead of polling."""
    client = handler.client
    client.auto_reconnect_enabled = False
    client.closed = True
    client.message_queue.put("")
    fake.socket_close_connections()
    handler.close()


__all__: Sequence[str] = [
    "DriverError",
    "Response",
    "SignOptions",
    "SlackDriver",
    "close_socket_mode",
    "serve_wsgi",
    "view_state",
]
