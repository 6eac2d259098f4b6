"""Messages of the assessment thread: the parent, the point cards, the completion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.blocks import ids
from bot.blocks.actions import add_action_button, completion_action_blocks
from bot.blocks.kit import Block, actions, button, context, divider, header, section
from bot.blocks.outcomes import measure_summary
from bot.blocks.report import download_report_block
from bot.blocks.words import (
    mention,
    progress,
    rating_icon,
    rating_label,
    tally_line,
    when,
)
from bot.core.actions import is_weak
from bot.core.closed import Closed, Source
from bot.core.flow import Tally
from bot.core.text import escape, safe
from standards import Point
from storage.values import MeasureView, Rating
from storage.views import AnswerView, AssessmentView


@dataclass(frozen=True)
class CardView:
    """Everything a point card shows, gathered by the listener."""

    assessment: AssessmentView
    service_name: str
    point_number: int
    title: str
    point: Point | None  # None when the standard file no longer has this point
    answer: AnswerView | None
    previous: AnswerView | None
    came_back: bool = False
    # Improvement actions (#14): the point's actions since the last assessment, rendered by
    # bot.blocks.actions (which shows the action rows themselves).
    action_blocks: tuple[Block, ...] = ()
    # Outcomes (#13): live measures linked to this point, evidence for whoever rates it.
    measures: tuple[MeasureView, ...] = ()
    service_type: str = "transactional"  # relational services see relational questions first


def card_value(assessment_id: int, point_number: int) -> str:
    return f"{assessment_id}:{point_number}"


def parse_card_value(value: str) -> tuple[int, int] | None:
    """(assessment id, point) from a button value; None if it was tampered with."""
    parts = value.split(":")
    if len(parts) != 2 or not all(part.isdigit() and len(part) < 12 for part in parts):
        return None
    return int(parts[0]), int(parts[1])


def build_parent(
    assessment: AssessmentView, service_name: str, result: Tally, *, reassessment: bool
) -> tuple[str, list[Block]]:
    kind = "Reassessment" if reassessment else "Assessment"
    state = "complete :white_check_mark:" if result.complete else "in progress"
    text = f"{kind} of {escape(service_name)} ({state})"
    blocks = [
        section(
            f"*{kind} of {safe(service_name, 200)}* — {state}\n"
            f"{escape(assessment.standard_title)} ({escape(assessment.standard_version)}) · "
            f"{assessment.phase.capitalize()} phase · started by "
            f"{mention(assessment.started_by)} {when(assessment.started_at)}"
        ),
        context(f"{progress(result)} · {tally_line(result)}"),
    ]
    if not result.complete:
        blocks.append(context("Answer each point in this thread. Any teammate can answer."))
    return text, blocks


def build_card(view: CardView) -> tuple[str, list[Block]]:
    assessment, number = view.assessment, view.point_number
    value = card_value(assessment.id, number)
    title = f"Point {number} of {assessment.point_count} · {view.title}"
    blocks: list[Block] = [header(title)]
    if view.came_back:
        blocks.append(context(":leftwards_arrow_with_hook: Skipped earlier — back for an answer."))
    if view.point is not None:
        blocks.append(section(escape(view.point.summary)))
        questions = view.point.questions_for(assessment.phase, view.service_type)
        if questions:
            lines = "\n".join(f"• {escape(question)}" for question in questions)
            blocks.append(section(f"*Questions for the {assessment.phase} phase*\n{lines}"))
        if view.point.evidence:
            examples = "; ".join(escape(item) for item in view.point.evidence[:3])
            blocks.append(context(f"Evidence could be: {examples}"))
    if view.measures:
        lines = "\n".join(f"• {measure_summary(m)}" for m in view.measures[:5])
        blocks.append(section(f"*:dart: What the outcome measures say*\n{lines}"))
    if view.previous is not None:
        blocks.append(
            context(
                f"Last assessment: {rating_icon(view.previous.rating)} "
                f"*{rating_label(view.previous.rating)}* ({mention(view.previous.answered_by)}, "
                f"{when(view.previous.answered_at)})"
            )
        )
    if view.answer is not None:
        blocks.append(section(answer_summary(view.answer)))
    blocks.extend(view.action_blocks)
    blocks.append(rating_buttons(value, view.answer))
    return f"{escape(view.service_name)}: {escape(title)}", blocks


def answer_summary(answer: AnswerView) -> str:
    line = (
        f"{rating_icon(answer.rating)} *{rating_label(answer.rating)}* — "
        f"{mention(answer.answered_by)}, {when(answer.answered_at)}"
    )
    if answer.rating == Rating.NOT_APPLICABLE:
        return f"{line}\n>Reason: {safe(answer.evidence, 500)}"
    return f"{line}\n{evidence_summary(answer)}"


def evidence_summary(answer: AnswerView) -> str:
    if not answer.evidence and not answer.evidence_links:
        return "_No evidence yet._"
    parts = []
    if answer.evidence:
        parts.append(f">{safe(answer.evidence, 600)}".replace("\n", "\n>"))
    if answer.evidence_links:
        # Links were validated (http(s), no <, > or |), so <url> shows the real address.
        parts.append(
            "Links: " + " ".join(f"<{escape(link)}>" for link in answer.evidence_links[:5])
        )
    return "\n".join(parts)


def rating_buttons(value: str, answer: AnswerView | None) -> Block:
    current = answer.rating if answer is not None else None
    elements: list[dict[str, Any]] = []
    for action_id, rating in ids.RATE_ACTIONS.items():
        label = rating_label(rating)
        elements.append(
            button(
                f"✓ {label}" if current == rating else label,
                action_id,
                value,
                style="primary" if current == rating else None,
            )
        )
    elements.append(button("Not applicable", ids.RATE_NOT_APPLICABLE, value))
    if answer is None:
        elements.append(button("Skip for now", ids.SKIP_POINT, value))
    else:
        elements.append(button("Add evidence", ids.ADD_EVIDENCE, value))
    if answer is not None and is_weak(answer.rating):
        elements.append(add_action_button(value))
    return actions(*elements)


def build_completion(
    service_name: str,
    result: Tally,
    titles: dict[int, str],
    next_due: str,
    *,
    needing_action: tuple[int, list[tuple[int, str]]] | None = None,
    service_id: int | None = None,
) -> tuple[str, list[Block]]:
    text = f"Assessment of {escape(service_name)} complete: {tally_line(result)}"
    lines = [
        f":tada: *Assessment of {safe(service_name, 200)} complete*",
        f"{result.met} met · {result.partly_met} partly met · {result.not_met} not met · "
        f"{result.not_applicable} not applicable",
    ]
    blocks: list[Block] = [section("\n".join(lines))]
    if result.not_met_points:
        missing = "\n".join(
            f"• Point {number} · {escape(titles.get(number, ''))}"
            for number in result.not_met_points
        )
        blocks.append(section(f"*Not met*\n{missing}"))
    if needing_action is not None:  # improvement actions (#14): weak points with none yet
        blocks.extend(completion_action_blocks(*needing_action))
    blocks.append(context(f"Next reassessment due {next_due}."))
    if service_id is not None:
        blocks.append(download_report_block(service_id))
    return text, blocks


def build_skipped_note(point_number: int, user_id: str) -> list[Block]:
    return [
        context(f"Point {point_number} skipped by {mention(user_id)} — it comes back at the end.")
    ]


def build_card_closed(view: CardView, note: str) -> list[Block]:
    """A card whose flow moved on: what was answered stays visible, buttons stay usable."""
    _text, blocks = build_card(view)
    return [*blocks, divider(), context(note)] if note else blocks


def closed_click_text(closed: Closed) -> str:
    """The ephemeral answer to a click on a closed card: whose card, when, and what to do."""
    name = safe(closed.service_name, 80)
    done = (
        f"completed {when(closed.completed_at)}"
        if closed.completed_at is not None
        else "never completed"
    )
    what = "That card" if closed.source == Source.CARD else "That status view"
    text = (
        f":lock: {what} belongs to the assessment of *{name}* started "
        f"{when(closed.started_at)} and {done}. It is closed, so your click changed nothing."
    )
    if closed.newer_started_at is not None:
        text += f" A newer assessment, started {when(closed.newer_started_at)}, replaced it."
    again = " (run it again for the current one)" if closed.source == Source.STATUS else ""
    text += f"\nTo change today's answer, use the point's menu in `/assess status {name}`{again}"
    if closed.newer_in_progress:
        return text + ", or answer in the newer assessment's thread."
    return text + f", or start a reassessment with `/assess start {name}`."


def build_closed_card(view: CardView, closed: Closed) -> tuple[str, list[Block]]:
    """The card as it was answered, without buttons, marked closed."""
    text, blocks = build_card(view)
    kept = [block for block in blocks if block.get("type") != "actions"]
    done = when(closed.completed_at) if closed.completed_at is not None else "never"
    note = f":lock: Closed — this assessment was completed {done}."
    if closed.newer_started_at is not None:
        note += " A newer assessment has replaced it."
    note += f" `/assess status {safe(closed.service_name, 80)}` shows today's answers."
    return f"{text} (closed)", [*kept, context(note)]


def closed_inline_text(closed: Closed) -> str:
    """The same refusal, short and plain, for an error shown inside a modal."""
    return (
        f"This assessment of {closed.service_name[:60]} is closed. To change today's answer use "
        f"/assess status {closed.service_name[:60]}."
    )
