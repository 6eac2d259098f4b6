"""Which reading-due nudges are current: owners are asked for outcome readings they owe.

A separate planner beside `bot.core.reminders`, producing the same `PlannedNudge` records, so
the reminder tick claims, digests and sends them with every other nudge: exactly once (the
claim), in the recipient's working hours, never on a bank holiday, in one digest per person.

A service owes readings when a live measure has no reading for its last completed period and
5 working days have passed since that period ended (`bot.core.outcomes.overdue_period`). Its
nudge's identity is (service, "readings", the due day of the latest period owed, weeks since
that day, owner): one nudge when it falls due, then one a week until the readings are in.
Only owners are nudged; the team channel is not told about readings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime

from bot.core.outcome_values import show
from bot.core.outcomes import overdue_period
from bot.core.people import Person
from bot.core.periods import local_today, nudge_occurrence, reading_due_on
from bot.core.reminders import (
    Audience,
    PlannedNudge,
    Stage,
    _days_someone_is_at_work,
    is_reachable,
    is_snoozed,
)
from bot.core.working_hours import WorkingHours, is_working_day
from storage.values import MeasureView, NudgeKey, Period, ReadingsOwed

WHY = "Readings are due 5 working days after each period ends, then I ask weekly."


def owed(
    candidate: ReadingsOwed, today: date, subdivision: str
) -> list[tuple[MeasureView, Period]]:
    """The measures whose latest completed period has no reading and is past its due day."""
    result = []
    for measure in candidate.measures:
        created = candidate.created_on.get(measure.id, today)
        period = overdue_period(measure, today, subdivision, created)
        if period is not None:
            result.append((measure, period))
    return result


def current_key(
    candidate: ReadingsOwed, today: date, subdivision: str, recipient: str
) -> NudgeKey | None:
    due = owed(candidate, today, subdivision)
    if not due:
        return None
    latest = max(period.end for _, period in due)
    due_on = reading_due_on(next(p for _, p in due if p.end == latest), subdivision)
    occurrence = nudge_occurrence(due_on, today)
    if occurrence is None:  # pragma: no cover - owed() only returns periods past their due day
        return None
    return NudgeKey(candidate.service.id, Stage.READINGS.value, due_on, str(occurrence), recipient)


def describe(due: Iterable[tuple[MeasureView, Period]]) -> str:
    parts = []
    for measure, period in due:
        latest = measure.latest
        before = f" (last: {show(latest.value, measure.unit)})" if latest is not None else ""
        parts.append(f"{measure.name} for {period.label()}{before}")
    return "Readings due: " + "; ".join(parts) + "."


def plan_reading_nudges(
    candidates: Iterable[ReadingsOwed],
    now: datetime,
    people: Mapping[str, Person | None],
    hours: WorkingHours,
) -> list[PlannedNudge]:
    """Every reading-due nudge that should go out at `now` (sent or not: the claim decides)."""
    planned = []
    for candidate in candidates:
        service = candidate.service
        if service.archived or is_snoozed(service.snoozed_until, now):
            continue
        for owner_id in service.owner_ids:
            person = people.get(owner_id)
            if person is None or not is_reachable(person):
                continue
            tz = person.timezone(hours.fallback)
            if not hours.is_working_time(now, tz):
                continue
            today = local_today(now, tz)
            key = current_key(candidate, today, hours.subdivision, owner_id)
            if key is None:
                continue
            due = owed(candidate, today, hours.subdivision)
            planned.append(
                PlannedNudge(
                    key=key,
                    service=service,
                    audience=Audience.OWNER,
                    today=today,
                    what=describe(due),
                    why=WHY,
                )
            )
    return planned


def _possible_keys(candidate: ReadingsOwed, now: datetime, hours: WorkingHours) -> list[NudgeKey]:
    """Every key an owner anywhere (UTC−12 to UTC+14) could be due right now."""
    keys: list[NudgeKey] = []
    for day in _days_someone_is_at_work(now):
        if not is_working_day(day, hours.subdivision) or not candidate.service.owner_ids:
            continue
        key = current_key(candidate, day, hours.subdivision, "")
        if key is not None:
            keys.extend(replace(key, recipient=owner) for owner in candidate.service.owner_ids)
    return keys


def readings_settled(
    candidate: ReadingsOwed, now: datetime, hours: WorkingHours, done: Callable[[NudgeKey], bool]
) -> bool:
    """True when nothing this planner could send now is unsent, whoever the owners are, so the
    tick need not ask Slack about them (the same promise as `reminders.is_settled`)."""
    service = candidate.service
    if service.archived or is_snoozed(service.snoozed_until, now):
        return True
    return all(done(key) for key in _possible_keys(candidate, now, hours))


def reading_nudge_dates(
    candidates: Iterable[ReadingsOwed], now: datetime, hours: WorkingHours
) -> set[date]:
    """The `due_on` of every reading nudge that could be current (to load their claims)."""
    return {key.due_on for c in candidates for key in _possible_keys(c, now, hours)}
