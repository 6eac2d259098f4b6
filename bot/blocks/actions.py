"""Improvement actions in Slack: the lines on a card, the lists, the modals and the nudges.

Pure builders: everything shown is passed in; user text is escaped here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from bot.blocks import action_ids
from bot.blocks.inputs import (
    PRIVATE_METADATA_LIMIT,
    View,
    datepicker,
    input_block,
    modal,
    text_input,
)
from bot.blocks.kit import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    actions,
    button,
    context,
    header,
    plain,
    section,
)
from bot.blocks.words import day, mention
from bot.core.action_nudges import ActionNudge
from bot.core.actions import (
    DUE_FIELD,
    LINKS_FIELD,
    NOTE_FIELD,
    OWNER_FIELD,
    REASON_FIELD,
    TEXT_FIELD,
    TEXT_LIMIT,
    all_done,
)
from bot.core.text import escape, safe, truncate
from storage.values import ActionCounts, ActionStatus, ActionView
from storage.views import ActionItem

STATUS_ICONS = {
    ActionStatus.OPEN: ":hammer_and_wrench:",
    ActionStatus.DONE: ":white_check_mark:",
    ActionStatus.DROPPED: ":heavy_minus_sign:",
}
ALL_DONE_TEXT = "All actions on this point are done: does the rating change?"
CARD_ACTION_LINES = 8
LIST_BLOCKS_PER_ACTION = 2
MAX_LISTED = (MESSAGE_BLOCK_LIMIT - 3) // LIST_BLOCKS_PER_ACTION  # header, note, "more"
COMPLETION_POINTS = 20


def status_word(action: ActionItem, today: date) -> str:
    if action.status == ActionStatus.OPEN:
        if action.due_on < today:
            return f"*overdue* since {day(action.due_on)}"
        return f"open, due {day(action.due_on)}"
    closed = f" {day(action.closed_at.date())}" if action.closed_at is not None else ""
    return f"{action.status}{closed}"


def action_line(action: ActionItem, today: date) -> str:
    icon = STATUS_ICONS.get(ActionStatus(action.status), "")
    return (
        f"{icon} {safe(action.text, 300)} — {mention(action.owner_id)} · "
        f"{status_word(action, today)}"
    )


# --- on a point's card --------------------------------------------------------------------------


def card_action_blocks(actions_on_point: Sequence[ActionItem], today: date) -> list[Block]:
    """The point's actions since the last assessment, and the question once they are all done."""
    if not actions_on_point:
        return []
    lines = [action_line(action, today) for action in actions_on_point[-CARD_ACTION_LINES:]]
    hidden = len(actions_on_point) - CARD_ACTION_LINES
    if hidden > 0:
        lines.insert(0, f"_…and {hidden} earlier_")
    blocks: list[Block] = [section("*Actions on this point*\n" + "\n".join(lines))]
    if all_done(actions_on_point):
        blocks.append(context(f":tada: {ALL_DONE_TEXT}"))
    return blocks


def add_action_button(value: str) -> dict[str, Any]:
    return button("Add action", action_ids.ADD, value)


def completion_action_blocks(assessment_id: int, points: Sequence[tuple[int, str]]) -> list[Block]:
    """Not met and partly met points still without an action, each with Add action."""
    if not points:
        return []
    blocks: list[Block] = [section("*Points that still need an action*")]
    for number, title in points[:COMPLETION_POINTS]:
        item = section(
            f"Point {number} · {safe(title, 200)}",
            accessory=add_action_button(f"{assessment_id}:{number}"),
        )
        item["block_id"] = f"{action_ids.COMPLETION_BLOCK}_{number}"
        blocks.append(item)
    if len(points) > COMPLETION_POINTS:
        blocks.append(context(f"…and {len(points) - COMPLETION_POINTS} more on their cards."))
    return blocks


# --- lists ----------------------------------------------------------------------------------------


def build_action_list(
    title: str,
    views: Sequence[ActionView],
    *,
    today: date,
    may_change: Callable[[ActionView], bool],
    empty: str,
) -> tuple[str, list[Block]]:
    """Actions with Mark done, Change due date and Drop for those the reader may change."""
    if not views:
        return empty, [section(empty)]
    blocks: list[Block] = [header(title)]
    for view in views[:MAX_LISTED]:
        action = view.action
        text = (
            f"*{safe(view.service.name, 80)}* · point {action.point_number} "
            f"({safe(view.point_title, 100)})\n{action_line(action, today)}"
        )
        if action.note:
            text += f"\n>{safe(action.note, 300)}".replace("\n", " ")
        blocks.append(section(text))
        if action.status == ActionStatus.OPEN and may_change(view):
            blocks.append(action_buttons(action.id))
    if len(views) > MAX_LISTED:
        blocks.append(context(f"…and {len(views) - MAX_LISTED} more, all due later than these."))
    return truncate(f"{title}: {len(views)}", 150), blocks[:MESSAGE_BLOCK_LIMIT]


def action_buttons(action_id: int) -> Block:
    value = str(action_id)
    return actions(
        button("Mark done", action_ids.DONE, value, style="primary"),
        button("Change due date", action_ids.REDATE, value),
        button("Drop", action_ids.DROP, value),
    )


def counts_text(counts: ActionCounts | None) -> str:
    """For status and Home: "3 open actions (1 overdue)", or "" when there are none."""
    if counts is None or counts.open == 0:
        return ""
    word = "action" if counts.open == 1 else "actions"
    overdue = f" (*{counts.overdue} overdue*)" if counts.overdue else ""
    return f"{counts.open} open {word}{overdue}"


# --- modals -------------------------------------------------------------------------------------


def action_metadata(**values: Any) -> str:
    return json.dumps(values)[:PRIVATE_METADATA_LIMIT]


def build_add_modal(point_title: str, metadata: str, *, owner_id: str, due_on: date) -> View:
    return modal(
        action_ids.ADD_VIEW,
        "Add action",
        "Add action",
        metadata,
        [
            section(f"*{escape(truncate(point_title, 200))}*"),
            input_block(
                TEXT_FIELD,
                "What will be done?",
                text_input("", multiline=True, max_length=TEXT_LIMIT),
                hint=f"Up to {TEXT_LIMIT} characters.",
            ),
            input_block(
                OWNER_FIELD,
                "Who will do it?",
                {
                    "type": "users_select",
                    "action_id": "value",
                    "placeholder": plain("Anyone in the workspace", 150),
                    "initial_user": owner_id,
                },
                hint="They get a reminder a week before it is due, on the day, then weekly.",
            ),
            input_block(
                DUE_FIELD,
                "Due by",
                datepicker(due_on),
                hint="About three months, before the next assessment.",
            ),
        ],
    )


def build_done_modal(view: ActionView, metadata: str) -> View:
    return modal(
        action_ids.DONE_VIEW,
        "Mark done",
        "Mark done",
        metadata,
        [
            section(_describe(view)),
            input_block(
                NOTE_FIELD, "What was done?", text_input("", multiline=True, max_length=3000)
            ),
            input_block(
                LINKS_FIELD,
                "Evidence links (one per line)",
                text_input("", multiline=True, max_length=3000, placeholder="https://"),
                optional=True,
            ),
        ],
    )


def build_redate_modal(view: ActionView, metadata: str) -> View:
    return modal(
        action_ids.REDATE_VIEW,
        "Change due date",
        "Save",
        metadata,
        [
            section(_describe(view)),
            input_block(DUE_FIELD, "New due date", datepicker(view.action.due_on)),
            input_block(
                REASON_FIELD,
                "Why does the date move?",
                text_input("", multiline=True, max_length=3000),
            ),
        ],
    )


def build_drop_modal(view: ActionView, metadata: str) -> View:
    return modal(
        action_ids.DROP_VIEW,
        "Drop action",
        "Drop",
        metadata,
        [
            section(_describe(view)),
            input_block(
                REASON_FIELD,
                "Why is it dropped?",
                text_input("", multiline=True, max_length=3000),
            ),
        ],
    )


def _describe(view: ActionView) -> str:
    action = view.action
    return (
        f"*{safe(view.service.name, 80)}* · point {action.point_number} "
        f"({safe(view.point_title, 100)})\n{safe(action.text, 500)}\n"
        f"Owner {mention(action.owner_id)} · due {day(action.due_on)}"
    )


def changed_text(verb: str, view: ActionView) -> str:
    """The note to the person who changed an action."""
    return (
        f":white_check_mark: {verb}: {safe(view.action.text, 200)} ({safe(view.service.name, 80)})"
    )


# --- in a reminder digest -------------------------------------------------------------------------


def action_nudge_blocks(nudge: ActionNudge, block_id: str) -> list[Block]:
    """One action in a nudge digest: what, when, why; Mark done and Snooze 1 week."""
    action = nudge.action
    assert action is not None
    icon = {"upcoming": ":calendar:", "due": ":bell:", "overdue": ":warning:"}[nudge.stage.value]
    item = section(
        f"{icon} *Action on {safe(action.service.name, 80)}*: {safe(action.text, 500)}\n"
        f"{escape(nudge.what)}\n{escape(nudge.why)}"
    )
    item["block_id"] = block_id
    value = str(action.id)
    return [
        item,
        actions(
            button("Mark done", action_ids.DONE, value, style="primary"),
            button("Snooze 1 week", action_ids.SNOOZE, value),
        ),
    ]
