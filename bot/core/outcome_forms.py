"""Checking what people type into the measure and reading modals, before anything is saved.

Each check returns errors keyed by the modal's block id, so the Slack layer shows each one
inline on its field and saves nothing until the whole form is valid. A template fills whatever
the form leaves empty; a measure of your own must say everything itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.core.outcome_values import HIGHER, LOWER, UNITS, BadValue, parse_value, show
from bot.core.periods import FREQUENCIES, is_future, period_containing
from standards import MeasureLibrary, MeasureTemplate, Standard
from storage.outcome_queries import MeasureFields
from storage.values import MeasureView, Period, ReadingView

NAME_LIMIT = 150
TEXT_LIMIT = 3000
OWN = "own"  # the template menu's "describe your own" choice

FieldErrors = dict[str, str]


@dataclass(frozen=True)
class MeasureForm:
    """The Add/Edit measure modal as submitted (raw text and chosen values)."""

    template_id: str  # "" or OWN: no template
    name: str
    counts: str
    unit: str
    better_when: str
    target: str
    frequency: str
    source: str
    points: tuple[str, ...]  # point numbers as option values


def check_measure_form(
    form: MeasureForm, *, library: MeasureLibrary, standard: Standard | None
) -> MeasureFields | FieldErrors:
    """The fields to save, or every problem keyed by block id."""
    errors: FieldErrors = {}
    template: MeasureTemplate | None = None
    if form.template_id and form.template_id != OWN:
        template = library.get(form.template_id)
        if template is None:
            errors["template"] = "That template is no longer offered; choose another."
    name = " ".join(form.name.split()) or (template.name if template else "")
    unit = form.unit or (template.unit.value if template else "")
    better = form.better_when or (template.better_when.value if template else "")
    frequency = form.frequency or (template.frequency.value if template else "")
    if not name:
        errors["name"] = "Give the measure a name, or choose a template."
    elif len(name) > NAME_LIMIT:
        errors["name"] = f"Keep the name to {NAME_LIMIT} characters or fewer."
    if unit not in UNITS:
        errors["unit"] = "Choose the unit the figure is counted in."
    if better not in (HIGHER, LOWER):
        errors["better_when"] = "Say whether higher or lower is better."
    if frequency not in FREQUENCIES:
        errors["frequency"] = "Choose how often a reading is due."
    target: Decimal | None = None
    if form.target.strip() and unit in UNITS:
        parsed = parse_value(form.target, unit)
        if isinstance(parsed, BadValue):
            errors["target"] = parsed.message
        else:
            target = parsed
    elif not form.target.strip() and template is not None and unit == template.unit.value:
        target = template.default_target
    points = _points(form, template, standard, errors)
    for field_name, text in (("counts", form.counts), ("source", form.source)):
        if len(text) > TEXT_LIMIT:
            errors[field_name] = f"Keep this to {TEXT_LIMIT} characters."
    if errors:
        return errors
    return MeasureFields(
        name=name,
        counts=form.counts.strip() or (template.counts if template else ""),
        unit=unit,
        better_when=better,
        target=target,
        frequency=frequency,
        source=form.source.strip() or (template.source if template else ""),
        points=points,
        template_id=template.id if template else None,
    )


def _points(
    form: MeasureForm,
    template: MeasureTemplate | None,
    standard: Standard | None,
    errors: FieldErrors,
) -> tuple[tuple[str, int], ...]:
    if standard is None:
        return ()
    numbers: list[int] = []
    for raw in form.points:
        if not raw.isdigit():
            errors["points"] = f"“{raw[:20]}” is not a point number."
            return ()
        numbers.append(int(raw))
    if not numbers and template is not None:
        numbers = [p.point_number for p in template.points if p.standard_id == standard.id]
    known = {point.number for point in standard.points}
    missing = sorted(set(numbers) - known)
    if missing:
        listed = ", ".join(str(n) for n in missing)
        errors["points"] = (
            f"{standard.short_title} has no point {listed}: it has points 1 to {max(known)}."
        )
        return ()
    return tuple((standard.id, number) for number in sorted(set(numbers)))


# --- readings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingToSave:
    measure_id: int
    period: Period
    value: Decimal
    corrects: ReadingView | None


def reading_period(month_start: date, frequency: str) -> Period:
    """The chosen month for a monthly measure; the quarter it falls in for a quarterly one."""
    return period_containing(month_start, frequency)


def check_readings(
    *,
    month_start: date | None,
    values: Mapping[int, str],
    measures: Sequence[MeasureView],
    today: date,
    confirm_corrections: bool,
    period_block: str,
    block_for: Mapping[int, str],
) -> list[ReadingToSave] | FieldErrors:
    """Readings to append, or errors by block id: bad numbers, future periods, and a second
    reading for a period that has one unless the person ticked "correct it"."""
    errors: FieldErrors = {}
    if month_start is None:
        return {period_block: "Choose the period these readings are for."}
    if is_future(period_containing(month_start, "monthly"), today):
        return {period_block: "That period hasn't started yet: readings are for past periods."}
    to_save: list[ReadingToSave] = []
    by_id = {measure.id: measure for measure in measures}
    for measure_id, text in values.items():
        measure = by_id.get(measure_id)
        if measure is None or not text.strip():
            continue
        block = block_for[measure_id]
        parsed = parse_value(text, measure.unit)
        if isinstance(parsed, BadValue):
            errors[block] = parsed.message
            continue
        period = reading_period(month_start, measure.frequency)
        existing = measure.reading_for(period)
        if existing is not None and not confirm_corrections:
            errors[block] = (
                f"{period.label()} already has {show(existing.value, measure.unit)}. Tick "
                "“Correct readings already recorded” below to replace it (the old one is kept)."
            )
            continue
        to_save.append(ReadingToSave(measure_id, period, parsed, existing))
    if errors:
        return errors
    if not to_save:
        first = next(iter(block_for.values()), period_block)
        return {first: "Enter at least one reading."}
    return to_save
