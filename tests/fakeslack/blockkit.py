"""Block Kit validation, as strict as Slack's own, as pure functions.

Every error is a string in Slack's format: ``"<message> [json-pointer:<pointer>]"``.
Slack answers messages with ``invalid_blocks`` and views with ``invalid_arguments``; the
callers (the fake's method handlers) wrap these strings in the right envelope.

The limits are Slack's documented ones (Block Kit reference, 2024-2025). Messages for the
common errors copy Slack's wording ("must be less than 3001 characters", "no more than 50
items allowed", "invalid additional property: x", "missing required field: x",
"must provide at least 1 items"); the rarer ones are close paraphrases.
"""

from __future__ import annotations

import copy
import re
import secrets
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: Final[Mapping[str, int]] = {"message": 50, "modal": 100, "home": 100}
MESSAGE_TEXT_MAX: Final = 40_000

BLOCK_TYPES: Final = frozenset(
    {"section", "divider", "header", "context", "actions", "input", "image", "rich_text"}
)
SELECT_TYPES: Final = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
TEXT_INPUT_TYPES: Final = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_text_input"}
)
INTERACTIVE_TYPES: Final = frozenset(
    {"button", "overflow", "datepicker", "timepicker", "radio_buttons", "checkboxes"} | SELECT_TYPES
)
ACCESSORY_TYPES: Final = INTERACTIVE_TYPES | {"image"}
ACTIONS_ELEMENT_TYPES: Final = INTERACTIVE_TYPES
INPUT_ELEMENT_TYPES: Final = (INTERACTIVE_TYPES - {"button", "overflow"}) | TEXT_INPUT_TYPES
ELEMENTS_WITH_ACTION_ID: Final = INTERACTIVE_TYPES | TEXT_INPUT_TYPES

_DATE = r"^\d{4}-\d{2}-\d{2}$"
_TIME = r"^\d{2}:\d{2}$"


def fmt(message: str, pointer: str) -> str:
    """One error in Slack's format."""
    return f"{message} [json-pointer:{pointer}]"


class _Checker:
    """Collects errors while walking one payload (a message's blocks or a view)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.block_ids: set[str] = set()

    def error(self, pointer: str, message: str) -> None:
        self.errors.append(fmt(message, pointer))

    # -- primitives -------------------------------------------------------------------------

    def obj(self, value: Any, pointer: str) -> bool:
        if isinstance(value, dict):
            return True
        self.error(pointer, "must be an object")
        return False

    def keys(
        self,
        value: Mapping[str, Any],
        pointer: str,
        *,
        allowed: frozenset[str] | set[str],
        required: Sequence[str] = (),
    ) -> None:
        for key in value:
            if key not in allowed:
                self.error(pointer, f"invalid additional property: {key}")
        for key in required:
            if key not in value:
                self.error(pointer, f"missing required field: {key}")

    def string(
        self, value: Any, pointer: str, *, max_len: int | None = None, min_len: int = 1
    ) -> bool:
        if not isinstance(value, str):
            self.error(pointer, "must be a string")
            return False
        if len(value) < min_len:
            self.error(pointer, f"must be more than {min_len - 1} characters")
            return False
        if max_len is not None and len(value) > max_len:
            self.error(pointer, f"must be less than {max_len + 1} characters")
            return False
        return True

    def boolean(self, value: Any, pointer: str) -> None:
        if not isinstance(value, bool):
            self.error(pointer, "must be a boolean")

    def integer(self, value: Any, pointer: str, *, low: int, high: int | None = None) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(pointer, "must be an integer")
        elif value < low:
            self.error(pointer, f"must be greater than or equal to {low}")
        elif high is not None and value > high:
            self.error(pointer, f"must be less than or equal to {high}")

    def array(self, value: Any, pointer: str, *, min_items: int = 0, max_items: int) -> bool:
        if not isinstance(value, list):
            self.error(pointer, "must be an array")
            return False
        if len(value) < min_items:
            self.error(pointer, f"must provide at least {min_items} items")
            return False
        if len(value) > max_items:
            self.error(pointer, f"no more than {max_items} items allowed")
            return False
        return True

    def enum(self, value: Any, pointer: str, allowed: Sequence[str]) -> None:
        if value not in allowed:
            self.error(pointer, "must be a valid enum value")

    def pattern(self, value: Any, pointer: str, regex: str) -> None:
        if self.string(value, pointer) and not re.match(regex, value):
            self.error(pointer, f"input must match regex pattern: {regex}")

    def identifier(self, value: Any, pointer: str) -> None:
        """block_id / action_id / callback_id style: 1..255 characters."""
        self.string(value, pointer, max_len=255)

    # -- composition objects ----------------------------------------------------------------

    def text(
        self,
        value: Any,
        pointer: str,
        *,
        max_len: int,
        plain_only: bool = False,
    ) -> None:
        if not self.obj(value, pointer):
            return
        kind = value.get("type")
        allowed = {"type", "text"} | ({"emoji"} if kind == "plain_text" else {"verbatim"})
        self.keys(value, pointer, allowed=allowed, required=("type", "text"))
        if "type" in value:
            self.enum(kind, pointer + "/type", ["plain_text"] if plain_only else TEXT_TYPES)
        if "text" in value:
            self.string(value["text"], pointer + "/text", max_len=max_len)
        for flag in ("emoji", "verbatim"):
            if flag in value and flag in allowed:
                self.boolean(value[flag], f"{pointer}/{flag}")

    def confirm(self, value: Any, pointer: str) -> None:
        if not self.obj(value, pointer):
            return
        self.keys(
            value,
            pointer,
            allowed={"title", "text", "confirm", "deny", "style"},
            required=("title", "text", "confirm", "deny"),
        )
        if "title" in value:
            self.text(value["title"], pointer + "/title", max_len=100, plain_only=True)
        if "text" in value:
            self.text(value["text"], pointer + "/text", max_len=300)
        for key in ("confirm", "deny"):
            if key in value:
                self.text(value[key], f"{pointer}/{key}", max_len=30, plain_only=True)
        if "style" in value:
            self.enum(value["style"], pointer + "/style", STYLES)

    def option(self, value: Any, pointer: str, *, mrkdwn: bool, url: bool) -> None:
        if not self.obj(value, pointer):
            return
        allowed = {"text", "value", "description"} | ({"url"} if url else set())
        self.keys(value, pointer, allowed=allowed, required=("text", "value"))
        if "text" in value:
            self.text(value["text"], pointer + "/text", max_len=75, plain_only=not mrkdwn)
        if "value" in value:
            self.string(value["value"], pointer + "/value", max_len=150)
        if "description" in value:
            self.text(value["description"], pointer + "/description", max_len=75, plain_only=True)
        if "url" in value and url:
            self.string(value["url"], pointer + "/url", max_len=3000)

    def options(
        self,
        value: Any,
        pointer: str,
        *,
        max_items: int,
        min_items: int = 1,
        mrkdwn: bool = False,
        url: bool = False,
    ) -> list[Any]:
        if not self.array(value, pointer, min_items=min_items, max_items=max_items):
            return []
        for i, item in enumerate(value):
            self.option(item, f"{pointer}/{i}", mrkdwn=mrkdwn, url=url)
        return list(value)

    def option_groups(self, value: Any, pointer: str) -> list[Any]:
        if not self.array(value, pointer, min_items=1, max_items=100):
            return []
        found: list[Any] = []
        for i, group in enumerate(value):
            gp = f"{pointer}/{i}"
            if not self.obj(group, gp):
                continue
            self.keys(group, gp, allowed={"label", "options"}, required=("label", "options"))
            if "label" in group:
                self.text(group["label"], gp + "/label", max_len=75, plain_only=True)
            if "options" in group:
                found += self.options(group["options"], gp + "/options", max_items=100)
        return found

    def initial_in(self, chosen: Any, options: list[Any], pointer: str) -> None:
        if isinstance(chosen, dict) and chosen not in options:
            keyed = [(o.get("value"), _text_of(o)) for o in options if isinstance(o, dict)]
            if (chosen.get("value"), _text_of(chosen)) not in keyed:
                self.error(pointer, "must match one of the provided options")

    # -- elements ---------------------------------------------------------------------------

    def element(
        self, value: Any, pointer: str, *, allowed_types: frozenset[str], action_ids: set[str]
    ) -> None:
        if not self.obj(value, pointer):
            return
        kind = value.get("type")
        if "type" not in value:
            self.error(pointer, "missing required field: type")
            return
        if kind not in allowed_types:
            self.error(pointer, "failed to match all allowed schemas")
            return
        if kind == "image":
            self.image(value, pointer, element=True)
            return
        if "action_id" in value:
            action_id = value["action_id"]
            self.identifier(action_id, pointer + "/action_id")
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.error(pointer + "/action_id", f"duplicate action_id: {action_id}")
                action_ids.add(action_id)
        checker = _ELEMENT_CHECKS[kind]
        checker(self, value, pointer)
        if "confirm" in value:
            self.confirm(value["confirm"], pointer + "/confirm")
        if "placeholder" in value:
            self.text(value["placeholder"], pointer + "/placeholder", max_len=150, plain_only=True)
        for flag in ("focus_on_load", "multiline"):
            if flag in value:
                self.boolean(value[flag], f"{pointer}/{flag}")

    def image(self, value: Mapping[str, Any], pointer: str, *, element: bool) -> None:
        allowed = {"type", "image_url", "alt_text", "slack_file"}
        if not element:
            allowed |= {"block_id", "title"}
        self.keys(value, pointer, allowed=allowed, required=("alt_text",))
        if "image_url" not in value and "slack_file" not in value:
            self.error(pointer, "missing required field: image_url")
        if "image_url" in value:
            self.string(value["image_url"], pointer + "/image_url", max_len=3000)
        if "alt_text" in value:
            self.string(value["alt_text"], pointer + "/alt_text", max_len=2000)
        if "title" in value and not element:
            self.text(value["title"], pointer + "/title", max_len=2000, plain_only=True)
        if "slack_file" in value and self.obj(value["slack_file"], pointer + "/slack_file"):
            sf = value["slack_file"]
            self.keys(sf, pointer + "/slack_file", allowed={"url", "id"})

    # -- blocks -----------------------------------------------------------------------------

    def blocks(self, value: Any, pointer: str, *, surface: Surface) -> None:
        if not self.array(value, pointer, max_items=MAX_BLOCKS[surface]):
            return
        for i, block in enumerate(value):
            self.block(block, f"{pointer}/{i}")

    def block(self, value: Any, pointer: str) -> None:
        if not self.obj(value, pointer):
            return
        kind = value.get("type")
        if "type" not in value:
            self.error(pointer, "missing required field: type")
            return
        if kind not in BLOCK_TYPES:
            self.error(pointer, "failed to match all allowed schemas")
            return
        if "block_id" in value:
            block_id = value["block_id"]
            self.identifier(block_id, pointer + "/block_id")
            if isinstance(block_id, str):
                if block_id in self.block_ids:
                    self.error(pointer + "/block_id", f"duplicate block_id: {block_id}")
                self.block_ids.add(block_id)
        _BLOCK_CHECKS[kind](self, value, pointer)


def _text_of(option: Mapping[str, Any]) -> Any:
    text = option.get("text")
    return text.get("text") if isinstance(text, dict) else text


TEXT_TYPES: Final = ("plain_text", "mrkdwn")
STYLES: Final = ("primary", "danger")
_COMMON_ELEMENT: Final = frozenset({"type", "action_id", "confirm", "focus_on_load"})


# -- element checks ---------------------------------------------------------------------------


def _button(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    allowed = {"type", "text", "action_id", "url", "value", "style", "confirm"}
    c.keys(v, p, allowed=allowed | {"accessibility_label"}, required=("text",))
    if "text" in v:
        c.text(v["text"], p + "/text", max_len=75, plain_only=True)
    if "url" in v:
        c.string(v["url"], p + "/url", max_len=3000)
    if "value" in v:
        c.string(v["value"], p + "/value", max_len=2000)
    if "style" in v:
        c.enum(v["style"], p + "/style", STYLES)
    if "accessibility_label" in v:
        c.string(v["accessibility_label"], p + "/accessibility_label", max_len=75)


def _overflow(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed={"type", "action_id", "options", "confirm"}, required=("options",))
    if "options" in v:
        c.options(v["options"], p + "/options", min_items=2, max_items=5, url=True)


_INITIAL_KEYS: Final = {
    "static_select": "initial_option",
    "external_select": "initial_option",
    "users_select": "initial_user",
    "conversations_select": "initial_conversation",
    "channels_select": "initial_channel",
    "multi_static_select": "initial_options",
    "multi_external_select": "initial_options",
    "multi_users_select": "initial_users",
    "multi_conversations_select": "initial_conversations",
    "multi_channels_select": "initial_channels",
}


def _select(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    kind: str = v["type"]
    multi = kind.startswith("multi_")
    base = kind.removeprefix("multi_")
    initial_key = _INITIAL_KEYS[kind]
    allowed = set(_COMMON_ELEMENT) | {"placeholder", initial_key}
    if multi:
        allowed.add("max_selected_items")
    if base == "static_select":
        allowed |= {"options", "option_groups"}
    if base == "external_select":
        allowed.add("min_query_length")
    if base == "conversations_select":
        allowed |= {"default_to_current_conversation", "filter", "response_url_enabled"}
    if base == "channels_select":
        allowed.add("response_url_enabled")
    c.keys(v, p, allowed=allowed)
    options: list[Any] = []
    if base == "static_select":
        if ("options" in v) == ("option_groups" in v):
            c.error(p, "must provide exactly one of options or option_groups")
        if "options" in v:
            options = c.options(v["options"], p + "/options", max_items=100)
        if "option_groups" in v:
            options = c.option_groups(v["option_groups"], p + "/option_groups")
    if "max_selected_items" in v:
        c.integer(v["max_selected_items"], p + "/max_selected_items", low=1)
    if "min_query_length" in v:
        c.integer(v["min_query_length"], p + "/min_query_length", low=0)
    if initial_key in v:
        initial = v[initial_key]
        ip = f"{p}/{initial_key}"
        if initial_key == "initial_option":
            c.option(initial, ip, mrkdwn=False, url=False)
            if base == "static_select":
                c.initial_in(initial, options, ip)
        elif initial_key == "initial_options":
            if c.array(initial, ip, max_items=100):
                for i, item in enumerate(initial):
                    c.option(item, f"{ip}/{i}", mrkdwn=False, url=False)
                    if base == "static_select":
                        c.initial_in(item, options, f"{ip}/{i}")
        elif multi:
            if c.array(initial, ip, max_items=100):
                for i, item in enumerate(initial):
                    c.string(item, f"{ip}/{i}")
        else:
            c.string(initial, ip)
    if "filter" in v and c.obj(v["filter"], p + "/filter"):
        f = v["filter"]
        c.keys(
            f,
            p + "/filter",
            allowed={"include", "exclude_external_shared_channels", "exclude_bot_users"},
        )
        if "include" in f and c.array(
            f["include"], p + "/filter/include", min_items=1, max_items=4
        ):
            for i, item in enumerate(f["include"]):
                c.enum(item, f"{p}/filter/include/{i}", ("im", "mpim", "private", "public"))


def _datepicker(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed=_COMMON_ELEMENT | {"placeholder", "initial_date"})
    if "initial_date" in v:
        c.pattern(v["initial_date"], p + "/initial_date", _DATE)


def _timepicker(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed=_COMMON_ELEMENT | {"placeholder", "initial_time", "timezone"})
    if "initial_time" in v:
        c.pattern(v["initial_time"], p + "/initial_time", _TIME)


def _choices(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    multi = v["type"] == "checkboxes"
    initial_key = "initial_options" if multi else "initial_option"
    c.keys(v, p, allowed=_COMMON_ELEMENT | {"options", initial_key}, required=("options",))
    options: list[Any] = []
    if "options" in v:
        options = c.options(v["options"], p + "/options", max_items=10, mrkdwn=True)
    if initial_key not in v:
        return
    ip = f"{p}/{initial_key}"
    if multi:
        if c.array(v[initial_key], ip, max_items=10):
            for i, item in enumerate(v[initial_key]):
                c.option(item, f"{ip}/{i}", mrkdwn=True, url=False)
                c.initial_in(item, options, f"{ip}/{i}")
    else:
        c.option(v[initial_key], ip, mrkdwn=True, url=False)
        c.initial_in(v[initial_key], options, ip)


def _text_input(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    kind = v["type"]
    allowed = {"type", "action_id", "placeholder", "initial_value", "dispatch_action_config"}
    allowed.add("focus_on_load")
    if kind == "plain_text_input":
        allowed |= {"multiline", "min_length", "max_length"}
    if kind == "number_text_input":
        allowed |= {"is_decimal_allowed", "min_value", "max_value"}
    c.keys(
        v,
        p,
        allowed=allowed,
        required=("is_decimal_allowed",) if kind == "number_text_input" else (),
    )
    max_length = v.get("max_length", 3000)
    if "min_length" in v:
        c.integer(v["min_length"], p + "/min_length", low=0, high=3000)
    if "max_length" in v:
        c.integer(v["max_length"], p + "/max_length", low=1, high=3000)
    if "initial_value" in v:
        limit = max_length if isinstance(max_length, int) else 3000
        c.string(v["initial_value"], p + "/initial_value", max_len=limit, min_len=0)
    if "dispatch_action_config" in v and c.obj(
        v["dispatch_action_config"], p + "/dispatch_action_config"
    ):
        dp = p + "/dispatch_action_config"
        c.keys(v["dispatch_action_config"], dp, allowed={"trigger_actions_on"})


_ELEMENT_CHECKS: Final = {
    "button": _button,
    "overflow": _overflow,
    "datepicker": _datepicker,
    "timepicker": _timepicker,
    "radio_buttons": _choices,
    "checkboxes": _choices,
    **dict.fromkeys(SELECT_TYPES, _select),
    **dict.fromkeys(TEXT_INPUT_TYPES, _text_input),
}


# -- block checks -----------------------------------------------------------------------------


def _section(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed={"type", "block_id", "text", "fields", "accessory", "expand"})
    if "text" not in v and "fields" not in v:
        c.error(p, "must provide either text or fields")
    if "text" in v:
        c.text(v["text"], p + "/text", max_len=3000)
    if "fields" in v and c.array(v["fields"], p + "/fields", min_items=1, max_items=10):
        for i, field in enumerate(v["fields"]):
            c.text(field, f"{p}/fields/{i}", max_len=2000)
    if "accessory" in v:
        c.element(v["accessory"], p + "/accessory", allowed_types=ACCESSORY_TYPES, action_ids=set())
    if "expand" in v:
        c.boolean(v["expand"], p + "/expand")


def _divider(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed={"type", "block_id"})


def _header(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed={"type", "block_id", "text"}, required=("text",))
    if "text" in v:
        c.text(v["text"], p + "/text", max_len=150, plain_only=True)


def _context(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed={"type", "block_id", "elements"}, required=("elements",))
    if "elements" not in v or not c.array(
        v["elements"], p + "/elements", min_items=1, max_items=10
    ):
        return
    for i, element in enumerate(v["elements"]):
        ep = f"{p}/elements/{i}"
        if not c.obj(element, ep):
            continue
        if element.get("type") == "image":
            c.image(element, ep, element=True)
        elif element.get("type") in TEXT_TYPES:
            c.text(element, ep, max_len=3000)
        else:
            c.error(ep, "failed to match all allowed schemas")


def _actions(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed={"type", "block_id", "elements"}, required=("elements",))
    if "elements" not in v or not c.array(
        v["elements"], p + "/elements", min_items=1, max_items=25
    ):
        return
    action_ids: set[str] = set()
    for i, element in enumerate(v["elements"]):
        c.element(
            element, f"{p}/elements/{i}", allowed_types=ACTIONS_ELEMENT_TYPES, action_ids=action_ids
        )


def _input(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    allowed = {"type", "block_id", "label", "element", "hint", "optional", "dispatch_action"}
    c.keys(v, p, allowed=allowed, required=("label", "element"))
    if "label" in v:
        c.text(v["label"], p + "/label", max_len=2000, plain_only=True)
    if "hint" in v:
        c.text(v["hint"], p + "/hint", max_len=2000, plain_only=True)
    for flag in ("optional", "dispatch_action"):
        if flag in v:
            c.boolean(v[flag], f"{p}/{flag}")
    if "element" in v:
        c.element(v["element"], p + "/element", allowed_types=INPUT_ELEMENT_TYPES, action_ids=set())


def _image_block(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.image(v, p, element=False)


_RICH_SECTION_TYPES: Final = (
    "rich_text_section",
    "rich_text_list",
    "rich_text_preformatted",
    "rich_text_quote",
)
_RICH_INLINE_TYPES: Final = (
    "text",
    "link",
    "emoji",
    "user",
    "channel",
    "usergroup",
    "broadcast",
    "date",
    "color",
)


def _rich_text(c: _Checker, v: Mapping[str, Any], p: str) -> None:
    c.keys(v, p, allowed={"type", "block_id", "elements"}, required=("elements",))
    if "elements" not in v or not c.array(v["elements"], p + "/elements", max_items=100):
        return
    for i, section in enumerate(v["elements"]):
        sp = f"{p}/elements/{i}"
        if not c.obj(section, sp):
            continue
        c.enum(section.get("type"), sp + "/type", _RICH_SECTION_TYPES)
        inner = section.get("elements")
        if not c.array(inner, sp + "/elements", max_items=1000):
            continue
        nested = section.get("type") == "rich_text_list"
        for j, item in enumerate(inner):
            ip = f"{sp}/elements/{j}"
            if not c.obj(item, ip):
                continue
            if nested:
                c.enum(item.get("type"), ip + "/type", ("rich_text_section",))
                continue
            c.enum(item.get("type"), ip + "/type", _RICH_INLINE_TYPES)
            if item.get("type") == "text":
                c.string(item.get("text"), ip + "/text", min_len=0)


_BLOCK_CHECKS: Final = {
    "section": _section,
    "divider": _divider,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image_block,
    "rich_text": _rich_text,
}


# -- public API -------------------------------------------------------------------------------


def validate_blocks(
    blocks: Any, *, surface: Surface = "message", pointer: str = "/blocks"
) -> list[str]:
    """Errors in a list of blocks for a message, modal or Home tab (empty when valid)."""
    checker = _Checker()
    checker.blocks(blocks, pointer, surface=surface)
    return checker.errors


def validate_message_text(text: Any) -> str | None:
    """The Slack error code for a bad top-level ``text``, or None."""
    if text is None:
        return None
    if not isinstance(text, str):
        return "invalid_arguments"
    if len(text) > MESSAGE_TEXT_MAX:
        return "msg_too_long"
    return None


_MODAL_KEYS: Final = frozenset(
    {
        "type",
        "title",
        "blocks",
        "close",
        "submit",
        "private_metadata",
        "callback_id",
        "clear_on_close",
        "notify_on_close",
        "external_id",
        "submit_disabled",
    }
)
_HOME_KEYS: Final = frozenset({"type", "blocks", "private_metadata", "callback_id", "external_id"})


def validate_view(
    view: Any, *, pointer: str = "/view", allowed_types: Sequence[str] = ("modal", "home")
) -> list[str]:
    """Errors in a view payload (modal or home), pointers under ``/view``."""
    c = _Checker()
    if not c.obj(view, pointer):
        return c.errors
    kind = view.get("type")
    if "type" not in view:
        c.error(pointer, "missing required field: type")
        return c.errors
    if kind not in allowed_types:
        c.error(pointer + "/type", "must be a valid enum value")
        return c.errors
    surface: Surface = "modal" if kind == "modal" else "home"
    c.keys(
        view, pointer, allowed=_MODAL_KEYS if kind == "modal" else _HOME_KEYS, required=("blocks",)
    )
    if kind == "modal":
        if "title" not in view:
            c.error(pointer, "missing required field: title")
        for key in ("title", "close", "submit"):
            if key in view:
                c.text(view[key], f"{pointer}/{key}", max_len=24, plain_only=True)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            c.error(pointer, "missing required field: submit")
        for flag in ("clear_on_close", "notify_on_close", "submit_disabled"):
            if flag in view:
                c.boolean(view[flag], f"{pointer}/{flag}")
    if "private_metadata" in view:
        c.string(view["private_metadata"], pointer + "/private_metadata", max_len=3000, min_len=0)
    for key in ("callback_id", "external_id"):
        if key in view:
            c.string(view[key], f"{pointer}/{key}", max_len=255, min_len=0)
    if "blocks" in view:
        c.blocks(view["blocks"], pointer + "/blocks", surface=surface)
    return c.errors


# -- helpers for the fake and the driver ------------------------------------------------------


@dataclass(frozen=True)
class FoundElement:
    """An interactive element located in a list of blocks."""

    block_index: int
    block_id: str | None
    block: Mapping[str, Any]
    element: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.element.get("type"))

    @property
    def action_id(self) -> str | None:
        action_id = self.element.get("action_id")
        return action_id if isinstance(action_id, str) else None

    @property
    def label(self) -> str | None:
        """A button's visible text."""
        return _text_of(self.element) if self.type == "button" else None


def iter_elements(blocks: Sequence[Any]) -> Iterator[FoundElement]:
    """Every element with an action_id slot (buttons, selects, inputs…), in display order."""
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        candidates: list[Any] = []
        if block.get("type") == "section" and "accessory" in block:
            candidates = [block["accessory"]]
        elif block.get("type") == "actions":
            candidates = list(block.get("elements") or [])
        elif block.get("type") == "input" and "element" in block:
            candidates = [block["element"]]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") in ELEMENTS_WITH_ACTION_ID:
                yield FoundElement(i, block.get("block_id"), block, element)


def _random_id(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def normalize_blocks(blocks: Sequence[Any]) -> list[Any]:
    """A copy of valid blocks as Slack stores them: every block gets a block_id and every
    interactive element an action_id (Slack generates random ones when the app sets none)."""
    result = copy.deepcopy(list(blocks))
    taken = {b.get("block_id") for b in result if isinstance(b, dict)}
    for block in result:
        if not isinstance(block, dict):
            continue
        if "block_id" not in block:
            new_id = _random_id(5)
            while new_id in taken:
                new_id = _random_id(5)
            block["block_id"] = new_id
            taken.add(new_id)
    for found in iter_elements(result):
        element = found.element
        if "action_id" not in element and isinstance(element, dict):
            element["action_id"] = _random_id(5)
    return result
