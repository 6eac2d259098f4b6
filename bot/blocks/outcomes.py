"""Outcome measures in Slack: the `/assess measures` list, the measure and record modals, and
the short lines status, Home and the assessment card show.

Every trend is an arrow and words, never a colour alone; every name people typed is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.blocks import outcome_ids as oid
from bot.blocks.inputs import input_block, text_input
from bot.blocks.kit import (
    MESSAGE_BLOCK_LIMIT,
    OPTION_TEXT_LIMIT,
    VIEW_BLOCK_LIMIT,
    Block,
    actions,
    button,
    context,
    header,
    option,
    plain,
    section,
    static_select,
)
from bot.core.outcome_values import HIGHER, UNIT_WORDS, UNITS
from bot.core.outcomes import measure_line, target_words
from bot.core.periods import FREQUENCIES, QUARTERLY, last_completed, period_containing
from bot.core.periods import previous_period as previous
from bot.core.text import escape, safe, truncate
from standards import MeasureLibrary, Standard
from storage.values import MeasureView, Period

View = dict[str, Any]
NAME_LIMIT = 150
MAX_LISTED = MESSAGE_BLOCK_LIMIT - 4
MAX_RECORD_INPUTS = VIEW_BLOCK_LIMIT - 6
RECORD_MONTHS = 12
UNIT_LABELS = {
    "percent": "Percentage (%)",
    "number": "Number",
    "pounds": "Pounds (£)",
    "days": "Days",
    "score": "Score",
}
RELATIONAL_NOTE = (
    ":busts_in_silhouette: A relational service should track at least one measure of what "
    "happens to people (feeling safe, control over daily life, outcomes achieved), not only "
    "channel shift."
)


def type_words(service_type: str) -> str:
    return (
        "Relational (care, support, casework)"
        if service_type == "relational"
        else ("Transactional (forms, payments, bookings)")
    )


def measure_summary(measure: MeasureView) -> str:
    """One mrkdwn line: name, then latest vs target and the trend."""
    return f"*{safe(measure.name, NAME_LIMIT)}*: {escape(measure_line(measure))}"


def measure_lines(measures: Sequence[MeasureView]) -> list[str]:
    """For status and Home: one bullet per live measure."""
    return [f"• {measure_summary(m)}" for m in measures if not m.retired]


def build_measures_list(
    service_name: str,
    service_id: int,
    service_type: str,
    measures: Sequence[MeasureView],
) -> tuple[str, list[Block]]:
    name = safe(service_name, 80)
    live = [m for m in measures if not m.retired]
    blocks: list[Block] = [
        header(f"Outcome measures · {truncate(service_name, 120)}"),
        context(f"{type_words(service_type)} · {len(live)} measures"),
    ]
    if service_type == "relational" and not live:
        blocks.append(section(RELATIONAL_NOTE))
    if not live:
        blocks.append(section(f"*{name}* has no outcome measures yet. Add one from a template."))
    for measure in live[:MAX_LISTED]:
        detail = (
            f"{UNIT_LABELS.get(measure.unit, measure.unit)}, {measure.frequency}, "
            f"{'higher' if measure.better_when == HIGHER else 'lower'} is better"
        )
        blocks.append(
            section(
                f"{measure_summary(measure)}\n_{escape(detail)}_",
                _overflow(measure.id),
            )
        )
    if len(live) > MAX_LISTED:
        blocks.append(context(f"…and {len(live) - MAX_LISTED} more."))
    blocks.append(
        actions(
            button("Add measure", oid.ADD_MEASURE, str(service_id), style="primary"),
            button("Record readings", oid.RECORD_READINGS, str(service_id)),
        )
    )
    return f"{len(live)} outcome measures for {name}", blocks


def _overflow(measure_id: int) -> dict[str, Any]:
    return {
        "type": "overflow",
        "action_id": oid.MEASURE_MENU,
        "options": [option("Edit", f"edit:{measure_id}"), option("Retire", f"retire:{measure_id}")],
    }


# --- the measure modal ---------------------------------------------------------------------


def _text(initial: str = "", *, multiline: bool = False, max_length: int = 3000) -> dict[str, Any]:
    """The measure modal's text fields always carry a limit (Slack's own is 3,000)."""
    return text_input(initial, multiline=multiline, max_length=max_length)


def template_options(library: MeasureLibrary, service_type: str) -> list[dict[str, Any]]:
    """Option groups: your own first, then the sets, those meant for this type of service first."""
    groups: list[dict[str, Any]] = [
        {"label": plain("Your own", 75), "options": [option("Describe my own measure", "own")]}
    ]
    sets = sorted(
        library.sets,
        key=lambda s: not any(service_type in t.service_types for t in s.measures),
    )
    room = 99
    for template_set in sets:
        options = [option(t.name, t.id) for t in template_set.measures][:room]
        if not options:
            continue
        room -= len(options)
        groups.append({"label": plain(template_set.title, 75), "options": options})
        if room <= 0:
            break
    return groups


def build_measure_modal(
    *,
    library: MeasureLibrary,
    standard: Standard | None,
    service_id: int,
    service_type: str,
    measure: MeasureView | None = None,
) -> View:
    """Add (choose a template or describe your own) or Edit a measure: one modal, same fields."""
    editing = measure is not None
    blocks: list[Block] = []
    if not editing:
        blocks.append(
            input_block(
                "template",
                "Template",
                {
                    "type": "static_select",
                    "action_id": "value",
                    "placeholder": plain("Choose a published measure", 150),
                    "option_groups": template_options(library, service_type),
                },
                optional=True,
                hint="A template fills every field you leave empty with its published definition.",
            )
        )
    blocks += [
        input_block(
            "name",
            "Name",
            _text(measure.name if measure else "", max_length=NAME_LIMIT),
            optional=not editing,
            hint="" if editing else "Leave empty to use the template's name.",
        ),
        input_block(
            "counts",
            "What it counts",
            _text(measure.counts if measure else "", multiline=True),
            optional=True,
        ),
        input_block(
            "unit",
            "Unit",
            static_select(
                [option(UNIT_LABELS[u], u) for u in UNITS],
                measure.unit if measure else None,
                "Choose a unit",
            ),
            optional=not editing,
        ),
        input_block(
            "better_when",
            "Better when",
            static_select(
                [option("Higher is better", "higher"), option("Lower is better", "lower")],
                measure.better_when if measure else None,
                "Which way is better",
            ),
            optional=not editing,
        ),
        input_block(
            "target",
            "Target",
            _text(_target_text(measure), max_length=40),
            optional=True,
            hint="In the measure's unit, e.g. 80 for 80%. Leave empty for no target.",
        ),
        input_block(
            "frequency",
            "Reading due",
            static_select(
                [option(f.capitalize(), f) for f in FREQUENCIES],
                measure.frequency if measure else None,
                "How often",
            ),
            optional=not editing,
        ),
        input_block(
            "source",
            "Where the figure comes from",
            _text(measure.source if measure else "", multiline=True),
            optional=True,
            hint="A system, a survey, a report or a link.",
        ),
    ]
    if standard is not None:
        point_options = [
            option(truncate(f"{p.number}. {p.title}", OPTION_TEXT_LIMIT), str(p.number))
            for p in standard.points
        ][:100]
        element: dict[str, Any] = {
            "type": "multi_static_select",
            "action_id": "value",
            "placeholder": plain("Points this is evidence for", 150),
            "options": point_options,
        }
        linked = {n for sid, n in (measure.points if measure else ()) if sid == standard.id}
        initial = [o for o in point_options if int(o["value"]) in linked]
        if initial:
            element["initial_options"] = initial
        blocks.append(
            input_block(
                "points",
                f"Standard points ({standard.short_title})",
                element,
                optional=True,
                hint="Its latest readings appear on these points' assessment cards.",
            )
        )
    metadata = {"measure_id": measure.id} if measure else {"service_id": service_id}
    return {
        "type": "modal",
        "callback_id": oid.MEASURE_EDIT_VIEW if editing else oid.MEASURE_NEW_VIEW,
        "private_metadata": json.dumps(metadata),
        "title": plain("Edit measure" if editing else "Add measure", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def _target_text(measure: MeasureView | None) -> str:
    if measure is None or measure.target is None:
        return ""
    return format(measure.target, "f")


# --- the record modal ----------------------------------------------------------------------


def record_months(today: date) -> list[Period]:
    """The completed months a reading can be for, newest first."""
    months = [last_completed(today, "monthly")]
    while len(months) < RECORD_MONTHS:
        months.append(previous(months[-1], "monthly"))
    return months


def build_record_modal(
    *, service_id: int, service_name: str, measures: Sequence[MeasureView], today: date
) -> View:
    """One input per live measure (labelled by its name), the period, a note, and "correct"."""
    live = [m for m in measures if not m.retired][:MAX_RECORD_INPUTS]
    months = record_months(today)
    has_quarterly = any(m.frequency == QUARTERLY for m in live)
    period_options = []
    for month in months:
        label = month.label()
        if has_quarterly:
            label += f" (quarterly: {period_containing(month.start, QUARTERLY).label()})"
        period_options.append(option(label, month.start.isoformat()))
    blocks: list[Block] = [
        section(f"Readings for *{safe(service_name, 80)}*. Leave a measure empty to skip it."),
        input_block(
            oid.PERIOD_BLOCK,
            "Period",
            static_select(period_options, months[0].start.isoformat(), "Choose a period"),
            optional=False,
            hint="Monthly measures record the month; quarterly ones the quarter it falls in.",
        ),
    ]
    for measure in live:
        unit = UNIT_WORDS.get(measure.unit, measure.unit)
        latest = measure.latest
        hint = target_words(measure)
        if latest is not None:
            hint = f"Latest: {measure_line(measure)}"
        blocks.append(
            input_block(
                oid.reading_block(measure.id),
                truncate(f"{measure.name} ({unit}, {measure.frequency})", 2000),
                _text(max_length=40),
                optional=True,
                hint=hint,
            )
        )
    blocks += [
        input_block(oid.NOTE_BLOCK, "Note", _text(multiline=True), optional=True),
        input_block(
            oid.CONFIRM_BLOCK,
            "Corrections",
            {
                "type": "checkboxes",
                "action_id": "value",
                "options": [
                    option("Correct readings already recorded for this period", oid.CONFIRM_VALUE)
                ],
            },
            optional=True,
            hint="Corrections are added as new readings; the old ones are kept.",
        ),
    ]
    return {
        "type": "modal",
        "callback_id": oid.RECORD_VIEW,
        "private_metadata": json.dumps({"service_id": service_id}),
        "title": plain("Record readings", 24),
        "submit": plain("Save readings", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }
