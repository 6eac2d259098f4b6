"""Small Block Kit constructors shared by every builder, with Slack's limits applied."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.text import truncate

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
CONTEXT_ELEMENT_LIMIT = 10
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
OPTION_TEXT_LIMIT = 75


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object; callers escape user text before it gets here."""
    return {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_LIMIT) or " "}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def section(text: str, accessory: dict[str, Any] | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(text) for text in texts[:CONTEXT_ELEMENT_LIMIT]],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT_LIMIT), "value": value}


def static_select(
    options: list[dict[str, Any]], initial: str | None, placeholder: str
) -> dict[str, Any]:
    """A static select whose initial option is `initial` when it is one of the options."""
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": "value",
        "placeholder": plain(placeholder, 150),
        "options": options,
    }
    chosen = [item for item in options if item["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def confirm_dialog(title: str, text: str, confirm: str, deny: str = "Cancel") -> dict[str, Any]:
    return {
        "title": plain(title, 100),
        "text": plain(text, 300),
        "confirm": plain(confirm, 30),
        "deny": plain(deny, 30),
        "style": "danger",
    }


def pack_lines(lines: Iterable[str], limit: int = SECTION_TEXT_LIMIT - 100) -> list[Block]:
    """Pack lines into as few sections as fit Slack's 3,000-character limit per text."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = truncate(line, limit)
        if current and size + len(line) + 1 > limit:
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def progress_bar(done: int, total: int, width: int = 10) -> str:
    """A text progress bar that reads the same in every Slack client: ▰▰▰▱▱▱."""
    if total <= 0:
        return "▱" * width
    filled = round(width * done / total)
    return "▰" * filled + "▱" * (width - filled)
