"""Which improvement-action nudges are due now: a planner beside the reassessment one.

Pure, like `bot.core.reminders`: it produces the same `PlannedNudge` records (as the subclass
`ActionNudge`), so the tick claims, digests and sends them with everything else a person is
owed, exactly once across replicas, in the owner's working hours, never on bank holidays.

A nudge's identity is (service, stage, due date, "<action id>.<occurrence>", action owner):
- action_upcoming: from 7 days before the due date, occurrence 0;
- action_due: from the due date for a week, occurrence 0;
- action_overdue: then weekly, occurrence ⌊days overdue ÷ 7⌋.
Re-dating an action changes its due date, so its nudges start again for the new date. Only
the action's owner is nudged; an owner who has left Slack is not (the service's owners see
the action in `/assess actions` and the summary).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.people import Person
from bot.core.reminder_text import format_day
from bot.core.reminders import (
    OVERDUE_EVERY_DAYS,
    Audience,
    PlannedNudge,
    Stage,
    _days_someone_is_at_work,
    is_reachable,
    is_snoozed,
)
from bot.core.working_hours import WorkingHours, is_working_day
from storage.values import NudgeKey, ServiceDue

UPCOMING_DAYS = 7


class ActionStage:
    """The stage words stored in the nudge claim (distinct from the reassessment stages)."""

    UPCOMING = "action_upcoming"
    DUE = "action_due"
    OVERDUE = "action_overdue"


_AS_STAGE = {
    ActionStage.UPCOMING: Stage.UPCOMING,
    ActionStage.DUE: Stage.DUE,
    ActionStage.OVERDUE: Stage.OVERDUE,
}


@dataclass(frozen=True)
class ActionDue:
    """An open action as the planner sees it (a snapshot, not the ORM row)."""

    id: int
    service: ServiceDue
    point_number: int
    point_title: str
    text: str
    owner_id: str
    due_on: date
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class ActionNudge(PlannedNudge):
    """A planned nudge about one action; `stage` reads as the matching reassessment stage."""

    action: ActionDue | None = None

    @property
    def stage(self) -> Stage:
        return _AS_STAGE[self.key.stage]


def action_stage(due_on: date, today: date) -> tuple[str, int] | None:
    """The stage and occurrence current on `today`, or None before the upcoming window."""
    days = (today - due_on).days
    if days < -UPCOMING_DAYS:
        return None
    if days < 0:
        return ActionStage.UPCOMING, 0
    if days < OVERDUE_EVERY_DAYS:
        return ActionStage.DUE, 0
    return ActionStage.OVERDUE, days // OVERDUE_EVERY_DAYS


def action_key(action: ActionDue, stage: str, occurrence: int) -> NudgeKey:
    return NudgeKey(
        action.service.id, stage, action.due_on, f"{action.id}.{occurrence}", action.owner_id
    )


def plan_action_nudges(
    actions: Iterable[ActionDue],
    now: datetime,
    people: Mapping[str, Person | None],
    hours: WorkingHours,
) -> list[ActionNudge]:
    """Every action nudge that should go out at `now` (whether or not it was sent already)."""
    planned: list[ActionNudge] = []
    for action in actions:
        if action.service.archived or is_snoozed(action.snoozed_until, now):
            continue
        person = people.get(action.owner_id)
        if person is None or not is_reachable(person):
            continue
        tz = person.timezone(hours.fallback)
        if not hours.is_working_time(now, tz):
            continue
        today = now.astimezone(tz).date()
        current = action_stage(action.due_on, today)
        if current is None:
            continue
        stage, occurrence = current
        planned.append(
            ActionNudge(
                key=action_key(action, stage, occurrence),
                service=action.service,
                audience=Audience.OWNER,
                today=today,
                what=describe_action_due(action.due_on, today),
                why=(
                    f"You own this action on point {action.point_number} "
                    f"({action.point_title}) of {action.service.name}."
                ),
                action=action,
            )
        )
    return planned


def is_action_settled(
    action: ActionDue, now: datetime, hours: WorkingHours, done: Callable[[NudgeKey], bool]
) -> bool:
    """True when nothing the planner could send now for the action is unsent, in any timezone.

    Lets a tick skip asking Slack about owners whose nudges have all gone out.
    """
    if action.service.archived or is_snoozed(action.snoozed_until, now):
        return True
    for day in _days_someone_is_at_work(now):
        if not is_working_day(day, hours.subdivision):
            continue
        current = action_stage(action.due_on, day)
        if current is not None and not done(action_key(action, *current)):
            return False
    return True


def describe_action_due(due_on: date, today: date) -> str:
    days = (today - due_on).days
    when = format_day(due_on)
    if days < 0:
        count = -days
        return f"Action due in {count} day{'s' if count != 1 else ''}, on {when}."
    if days == 0:
        return f"Action due today, {when}."
    return f"Action overdue by {days} day{'s' if days != 1 else ''} (due {when})."
