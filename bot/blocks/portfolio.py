"""Views of services: `/assess status`, `/assess list` and the Home tab."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.blocks import ids
from bot.blocks.actions import counts_text
from bot.blocks.kit import (
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    VIEW_BLOCK_LIMIT,
    Block,
    context,
    divider,
    header,
    option,
    pack_lines,
    plain,
    section,
)
from bot.blocks.reminders import snooze_status_text
from bot.blocks.report import download_report_block, portfolio_report_blocks
from bot.blocks.words import day, mention, progress, rating_icon, rating_label, tally_line, when
from bot.core.overview import ServiceLine
from bot.core.text import escape, safe
from storage.values import ActionCounts, ServiceType, SnoozeView
from storage.views import AnswerView, ServiceView

STATUS_MENU = (("Met", "met"), ("Partly met", "partly_met"), ("Not met", "not_met"))


PEER_REVIEWED = " · :mag_right: peer-reviewed"


def service_line(line: ServiceLine, today: date) -> str:
    return (
        f"*{safe(line.service.name, 80)}* · {escape(line.standard_short)} · "
        f"{line.service.phase.capitalize()} · {_type(line.service).capitalize()} · "
        f"{progress_and_due(line, today)}"
    )


def _type(service: ServiceView) -> str:
    return service.service_type or ServiceType.TRANSACTIONAL.value


def progress_and_due(line: ServiceLine, today: date) -> str:
    service = line.service
    due = day(service.next_due_on)
    due_text = f"*overdue since {due}*" if service.next_due_on < today else f"due {due}"
    state = progress(line.tally) if line.tally is not None else "not assessed yet"
    return f"{state} · {due_text}"


# No line `service_line` writes is shorter than this (a one-letter name and standard, "Live",
# "Relational", the progress bar, "due Mon 1 Jan 2026" make 65 characters), so no more lines
# than `most_lines` can fit in that many sections, and loaders need read no more services than
# that (most of a 5,000-service workspace never shows). Were a line ever shorter, a message
# would only show fewer lines than might fit, and say there are more: never a wrong one.
SHORTEST_LINE = 60
LIST_SECTIONS = MESSAGE_BLOCK_LIMIT - 2  # the header and the "more" note
HOME_MORE_SECTIONS = 3  # after a section's own rows, the rest as packed lines


def most_lines(sections: int) -> int:
    return sections * ((SECTION_TEXT_LIMIT - 100) // (SHORTEST_LINE + 1))


LIST_LINES = most_lines(LIST_SECTIONS)


def build_list(lines: list[ServiceLine], today: date, *, total: int | None = None) -> list[Block]:
    """The first of the workspace's `total` services (all when `total` is None)."""
    total = len(lines) if total is None else total
    if not lines:
        return [section("No services yet. Register one with `/assess new`.")]
    blocks: list[Block] = [header(f"Services ({total})")]
    body = pack_lines(service_line(line, today) for line in lines)
    room = LIST_SECTIONS
    blocks.extend(body[:room])
    if len(body) > room or len(lines) < total:
        blocks.append(context("More services than fit here: see the Home tab or `/assess export`."))
    return blocks


def build_status(
    line: ServiceLine,
    answers: Mapping[int, AnswerView],
    titles: Mapping[int, str],
    *,
    today: date,
    now: datetime,
    snooze: SnoozeView | None = None,
    limit: int = MESSAGE_BLOCK_LIMIT,
    due_why: str | None = None,
    actions: ActionCounts | None = None,
    outcomes: Sequence[str] = (),
) -> list[Block]:
    service, assessment = line.service, line.latest
    owners = ", ".join(mention(owner) for owner in service.owner_ids) or "nobody"
    facts = [
        f"{escape(line.standard_short)} · {service.phase.capitalize()} phase · "
        f"{_type(service)} service · owners: {owners}",
        progress_and_due(line, today),
    ]
    if due_why:
        facts.append(due_why)
    if counts_text(actions):  # improvement actions (#14)
        facts.append(f":hammer_and_wrench: {counts_text(actions)} · `/assess actions`")
    if snooze is not None and snooze.until > now:
        facts.append(snooze_status_text(snooze.until, snooze.snoozed_by))
    facts.append(publishing_text(service.publishable))
    blocks: list[Block] = [header(f"Status · {service.name}"), section("\n".join(facts))]
    if outcomes:  # outcome measures (#13): latest vs target, trend in arrows and words
        blocks.extend(pack_lines(["*Outcomes*", *outcomes])[:2])
    if assessment is None or line.tally is None:
        blocks.append(
            section("Not assessed yet. Start with `/assess start " + safe(service.name, 80) + "`.")
        )
        return blocks
    kind = "In progress" if line.in_progress else "Completed"
    blocks.append(
        context(
            f"{kind} assessment started {when(assessment.started_at)} · {tally_line(line.tally)}"
        )
    )
    blocks.append(divider())
    room = limit - len(blocks) - 3
    for number in sorted(titles)[:room]:
        blocks.append(_status_point(assessment.id, number, titles[number], answers.get(number)))
    missing = _missing(assessment.point_numbers, answers)
    if missing:
        blocks.append(context(missing))
    blocks.append(download_report_block(service.id))
    return blocks


def publishing_text(publishable: bool) -> str:
    """Whether `assessbot publish` puts this service on the public site (#16)."""
    if publishable:
        return "Published: yes, `assessbot publish` includes it (evidence notes left out)"
    return "Published: no, it stays out of the public site (`/assess edit` to change)"


def _status_point(assessment_id: int, number: int, title: str, answer: AnswerView | None) -> Block:
    if answer is None:
        detail = "_not answered_"
    else:
        evidence = "evidence ✓" if answer.evidence or answer.evidence_links else "no evidence"
        detail = (
            f"*{rating_label(answer.rating)}* · {mention(answer.answered_by)} · "
            f"{when(answer.answered_at)} · {evidence}"
        )
    value = f"{assessment_id}:{number}"
    menu = [option(label, f"{value}:{rating}") for label, rating in STATUS_MENU]
    menu.append(option("Not applicable…", f"{value}:not_applicable"))
    menu.append(option("Add evidence…", f"{value}:evidence"))
    return {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": f"{rating_icon(answer.rating if answer else None)} *{number}. "
            f"{safe(title, 150)}*\n{detail}",
        },
        "accessory": {
            "type": "overflow",
            "action_id": f"{ids.STATUS_CHANGE}_{number}",
            "options": menu,
        },
    }


def _missing(numbers: Sequence[int], answers: Mapping[int, AnswerView]) -> str:
    parts = []
    unanswered = [number for number in numbers if number not in answers]
    if unanswered:
        parts.append("Not answered: " + ", ".join(str(n) for n in unanswered))
    no_evidence = [
        number
        for number, answer in sorted(answers.items())
        if answer.rating == "met" and not answer.evidence and not answer.evidence_links
    ]
    if no_evidence:
        parts.append("Met without evidence: " + ", ".join(str(n) for n in no_evidence))
    return "*Missing* — " + " · ".join(parts) if parts else ""


HOME_SECTION_CAP = 40
HOME_LINES = HOME_SECTION_CAP + most_lines(HOME_MORE_SECTIONS)  # the most a section can show


def home_row_ids(mine: Sequence[ServiceLine], others: Sequence[ServiceLine]) -> set[int]:
    """The services the Home tab gives a row of their own (with actions, review and outcome
    measures); the rest only get a line each, so nothing else need be loaded for them."""
    return {line.service.id for line in [*mine[:HOME_SECTION_CAP], *others[:HOME_SECTION_CAP]]}


def build_home(
    mine: list[ServiceLine],
    others: list[ServiceLine],
    today: date,
    action_counts: Mapping[int, ActionCounts] | None = None,
    reviewed: frozenset[int] = frozenset(),  # peer-reviewed within their interval (#15)
    outcomes: Mapping[int, Sequence[str]] | None = None,
    *,
    admin: bool = False,
    totals: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """`mine` and `others` may be the first `HOME_LINES` of each: `totals` says how many
    services each has in all (None: these are all)."""
    counts = action_counts or {}
    mine_total, others_total = totals or (len(mine), len(others))
    blocks: list[Block] = [
        header("assessbot"),
        context(
            "Your services first, then the rest of the workspace. `/assess help` for commands."
        ),
        header("Your services"),
    ]
    blocks.extend(
        _home_rows(
            mine,
            mine_total,
            today,
            "You don't own any services yet. `/assess new` registers one.",
            counts,
            reviewed,
            outcomes or {},
        )
    )
    blocks.append(divider())
    blocks.append(header("Other services"))
    blocks.extend(
        _home_rows(
            others,
            others_total,
            today,
            "No other services yet.",
            counts,
            reviewed,
            outcomes or {},
        )
    )
    if admin:
        blocks.extend(portfolio_report_blocks())
    assert len(blocks) <= VIEW_BLOCK_LIMIT
    return {"type": "home", "blocks": blocks}


def _home_rows(
    lines: list[ServiceLine],
    total: int,
    today: date,
    empty: str,
    counts: Mapping[int, ActionCounts],
    reviewed: frozenset[int] = frozenset(),
    outcomes: Mapping[int, Sequence[str]] | None = None,
) -> list[Block]:
    if not lines:
        return [context(empty)]
    rows = [
        _home_row(
            line,
            today,
            counts.get(line.service.id),
            line.service.id in reviewed,
            (outcomes or {}).get(line.service.id, ()),
        )
        for line in lines[:HOME_SECTION_CAP]
    ]
    if total > HOME_SECTION_CAP:
        rest = pack_lines(service_line(line, today) for line in lines[HOME_SECTION_CAP:])
        rows.extend(rest[:HOME_MORE_SECTIONS])
        if len(rest) > HOME_MORE_SECTIONS or len(lines) < total:
            rows.append(context(f"…and more: `/assess list` shows all {total}."))
    return rows


def _home_row(
    line: ServiceLine,
    today: date,
    actions: ActionCounts | None = None,
    reviewed: bool = False,
    outcomes: Sequence[str] = (),
) -> Block:
    service_id = line.service.id
    text = service_line(line, today)
    if counts_text(actions):  # improvement actions (#14)
        text += f" · {counts_text(actions)}"
    start = (
        "Resume assessment"
        if line.in_progress
        else ("Start reassessment" if line.latest is not None else "Start assessment")
    )
    return {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": _with_outcomes(text + (PEER_REVIEWED if reviewed else ""), outcomes),
        },
        "accessory": {
            "type": "overflow",
            "action_id": ids.HOME_SERVICE_MENU,
            "options": [
                option(start, f"start:{service_id}"),
                option("Status", f"status:{service_id}"),
            ],
        },
    }


def _with_outcomes(text: str, outcomes: Sequence[str]) -> str:
    """A Home row's text with its measures under it, cut to fit one section."""
    lines = [text, *outcomes[:5]]
    while len("\n".join(lines)) > 2900 and len(lines) > 1:
        lines.pop()
    return "\n".join(lines)


def status_modal(blocks: list[Block]) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Service status", 24),
        "close": plain("Close", 24),
        "blocks": blocks,
    }
