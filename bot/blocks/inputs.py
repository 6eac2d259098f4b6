"""The parts every modal is made of: the modal itself, input blocks, text fields, date pickers.

One home for them so the service, evidence, action and review modals build fields alike (the
same limits, the same `value` action id the listeners read back).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.blocks.kit import Block, plain

View = dict[str, Any]
PRIVATE_METADATA_LIMIT = 3000
TITLE_LIMIT = 24  # a modal's title and its buttons


def modal(callback_id: str, title: str, submit: str, metadata: str, blocks: list[Block]) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata[:PRIVATE_METADATA_LIMIT],
        "title": plain(title, TITLE_LIMIT),
        "submit": plain(submit, TITLE_LIMIT),
        "close": plain("Cancel", TITLE_LIMIT),
        "blocks": blocks,
    }


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def text_input(
    initial: str = "",
    *,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str = "",
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
    }
    if max_length is not None:
        element["max_length"] = max_length
        initial = initial[:max_length]
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def datepicker(initial: date | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "datepicker",
        "action_id": "value",
        "placeholder": plain("Never", 150),
    }
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return element
