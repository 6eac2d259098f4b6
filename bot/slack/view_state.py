"""Reading submitted modal values out of Slack's `view.state.values` shapes."""

from __future__ import annotations

from datetime import date
from typing import Any


def _element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    values = view.get("state", {}).get("values", {})
    block = values.get(block_id) or {}
    return next(iter(block.values()), {}) if isinstance(block, dict) else {}


def text_value(view: dict[str, Any], block_id: str) -> str:
    return str(_element(view, block_id).get("value") or "")


def selected_value(view: dict[str, Any], block_id: str) -> str:
    chosen = _element(view, block_id).get("selected_option") or {}
    return str(chosen.get("value") or "")


def selected_users(view: dict[str, Any], block_id: str) -> list[str]:
    return [str(user) for user in _element(view, block_id).get("selected_users") or []]


def selected_user(view: dict[str, Any], block_id: str) -> str:
    return str(_element(view, block_id).get("selected_user") or "")


def selected_conversation(view: dict[str, Any], block_id: str) -> str:
    element = _element(view, block_id)
    return str(element.get("selected_conversation") or element.get("selected_channel") or "")


def selected_values(view: dict[str, Any], block_id: str) -> list[str]:
    """The values of the ticked checkboxes (or chosen options of a multi-select)."""
    chosen = _element(view, block_id).get("selected_options") or []
    return [str(item.get("value") or "") for item in chosen if isinstance(item, dict)]


def selected_date(view: dict[str, Any], block_id: str) -> date | None:
    raw = _element(view, block_id).get("selected_date")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
