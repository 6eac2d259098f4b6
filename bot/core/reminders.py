"""Which reassessment nudges are due right now, for whom, and why.

Pure planning: given a snapshot of the services, the people who own them and the time, say what
should be sent now. Whether it has been sent already is the database's business (the claim);
this module only decides what the *current* nudge for each (service, recipient) is, so a missed
tick never replays an old occurrence and a late one still sends the right one.

A nudge's identity is (service, stage, due date, occurrence, recipient):
- upcoming: from 14 days before the due date, occurrence 0, a DM to each reachable owner;
- due: from the due date for a week, occurrence 0, DMs and a team-channel message;
- overdue: then weekly, occurrence ⌊days overdue ÷ 7⌋, DMs and a team-channel message;
- stalled: an assessment with no answer for 14 days, occurrence = the (UTC) date of its last
  answer, due date = the day it became stalled, so there is one stalled nudge per stall.
Each goes out at the first working-hours moment of its recipient on or after its day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.due import STALLED_AFTER, DueReason
from bot.core.people import Person
from bot.core.working_hours import WorkingHours

UPCOMING_DAYS = 14
OVERDUE_EVERY_DAYS = 7
FLAG_OVERDUE_DAYS = 30
DUE_LIST_DAYS = 30
SNOOZE_STEP = timedelta(weeks=1)
SNOOZE_LIMIT = timedelta(weeks=4)


class Stage(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    STALLED = "stalled"


class Audience(StrEnum):
    OWNER = "owner"
    CHANNEL = "channel"


@dataclass(frozen=True)
class InProgress:
    """What the planner needs to know about a service's assessment in progress."""

    assessment_id: int
    started_at: datetime
    last_answer_at: datetime | None
    answered_points: int
    point_count: int

    @property
    def last_activity(self) -> datetime:
        return self.last_answer_at or self.started_at

    def stalled(self, now: datetime) -> bool:
        return now - self.last_activity >= STALLED_AFTER


@dataclass(frozen=True)
class ServiceDue:
    """A service as the reminder planner sees it (a snapshot, not the ORM row)."""

    id: int
    team_id: str
    name: str
    phase: str
    team_channel_id: str
    interval_months: int
    last_assessed_on: date | None
    next_due_on: date
    due_reason: str
    created_at: datetime
    owner_ids: tuple[str, ...]
    snoozed_until: datetime | None = None
    archived: bool = False
    in_progress: InProgress | None = None


@dataclass(frozen=True, order=True)
class NudgeKey:
    service_id: int
    stage: str
    due_on: date
    occurrence: str
    recipient: str


@dataclass(frozen=True)
class PlannedNudge:
    key: NudgeKey
    service: ServiceDue
    audience: Audience
    today: date  # the recipient's local date when planned
    what: str
    why: str
    no_active_owner: bool = False

    @property
    def stage(self) -> Stage:
        return Stage(self.key.stage)

    @property
    def recipient(self) -> str:
        return self.key.recipient


@dataclass(frozen=True)
class Delivery:
    """One Slack message: a recipient and the nudges combined into it (one claim each)."""

    recipient: str
    audience: Audience
    nudges: tuple[PlannedNudge, ...]


class DueDated(Protocol):
    """Anything with a due date that can be archived (the Service model fits)."""

    @property
    def next_due_on(self) -> date: ...

    @property
    def archived_at(self) -> datetime | None: ...


def days_overdue(next_due_on: date, today: date) -> int:
    """Positive when overdue, zero on the day, negative while still to come."""
    return (today - next_due_on).days


def flagged_overdue(service: DueDated, today: date) -> bool:
    """Whether the leadership summary lists the service as seriously overdue (30+ days)."""
    if service.archived_at is not None:
        return False
    return days_overdue(service.next_due_on, today) >= FLAG_OVERDUE_DAYS


def is_snoozed(snoozed_until: datetime | None, now: datetime) -> bool:
    return snoozed_until is not None and now < snoozed_until


def snooze_until(current: datetime | None, now: datetime) -> datetime:
    """One more week on top of any snooze still running, never more than 4 weeks from now."""
    base = current if current is not None and current > now else now
    return min(base + SNOOZE_STEP, now + SNOOZE_LIMIT)


def due_stage(next_due_on: date, today: date) -> tuple[Stage, int] | None:
    """The stage and occurrence current on `today`, or None before the upcoming window."""
    days = days_overdue(next_due_on, today)
    if days < -UPCOMING_DAYS:
        return None
    if days < 0:
        return Stage.UPCOMING, 0
    if days < OVERDUE_EVERY_DAYS:
        return Stage.DUE, 0
    return Stage.OVERDUE, days // OVERDUE_EVERY_DAYS


def is_reachable(person: Person | None) -> bool:
    """Leavers (deleted, or unknown to Slack) and bots cannot be DMed about a service."""
    return person is not None and not person.deleted and not person.is_bot


def plan_nudges(
    services: Iterable[ServiceDue],
    now: datetime,
    people: Mapping[str, Person | None],
    hours: WorkingHours,
) -> list[PlannedNudge]:
    """Every nudge that should go out at `now` (whether or not it has been sent already)."""
    planned: list[PlannedNudge] = []
    for service in services:
        planned.extend(_plan_service(service, now, people, hours))
    return planned


def _plan_service(
    service: ServiceDue,
    now: datetime,
    people: Mapping[str, Person | None],
    hours: WorkingHours,
) -> list[PlannedNudge]:
    if service.archived or is_snoozed(service.snoozed_until, now):
        return []
    owners = [people.get(owner_id) for owner_id in service.owner_ids]
    reachable = [person for person in owners if person is not None and is_reachable(person)]
    planned: list[PlannedNudge] = []
    for person in reachable:
        tz = person.timezone(hours.fallback)
        if not hours.is_working_time(now, tz):
            continue
        planned.extend(_due_nudges(service, now, tz, person.id, Audience.OWNER))
        planned.extend(_stalled_nudges(service, now, tz, person.id, Audience.OWNER))
    if hours.is_working_time(now):
        tz, channel = hours.fallback, service.team_channel_id
        # The channel hears about due and overdue services; about the other stages only when
        # no owner can be reached, so that nothing is silently dropped.
        channel_nudges = _due_nudges(service, now, tz, channel, Audience.CHANNEL)
        if reachable:
            planned.extend(n for n in channel_nudges if n.stage != Stage.UPCOMING)
        else:
            channel_nudges += _stalled_nudges(service, now, tz, channel, Audience.CHANNEL)
            planned.extend(replace(n, no_active_owner=True) for n in channel_nudges)
    return planned


def _due_nudges(
    service: ServiceDue, now: datetime, tz: ZoneInfo, recipient: str, audience: Audience
) -> list[PlannedNudge]:
    today = now.astimezone(tz).date()
    current = due_stage(service.next_due_on, today)
    if current is None:
        return []
    stage, occurrence = current
    key = NudgeKey(service.id, stage.value, service.next_due_on, str(occurrence), recipient)
    return [
        PlannedNudge(
            key=key,
            service=service,
            audience=audience,
            today=today,
            what=describe_due(service.next_due_on, today),
            why=due_reason_text(service, tz),
        )
    ]


def _stalled_nudges(
    service: ServiceDue, now: datetime, tz: ZoneInfo, recipient: str, audience: Audience
) -> list[PlannedNudge]:
    work = service.in_progress
    if work is None or not work.stalled(now):
        return []
    last = work.last_activity.astimezone(UTC).date()
    key = NudgeKey(
        service.id, Stage.STALLED.value, last + STALLED_AFTER, last.isoformat(), recipient
    )
    return [
        PlannedNudge(
            key=key,
            service=service,
            audience=audience,
            today=now.astimezone(tz).date(),
            what=describe_stall(work, tz),
            why="An assessment in progress with no answer for 14 days is stalled.",
        )
    ]


def format_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def describe_due(next_due_on: date, today: date) -> str:
    days = days_overdue(next_due_on, today)
    when = format_day(next_due_on)
    if days < 0:
        return f"Reassessment due in {_days(-days)}, on {when}."
    if days == 0:
        return f"Reassessment due today, {when}."
    text = f"Reassessment overdue by {_days(days)} (due {when})."
    if days >= FLAG_OVERDUE_DAYS:
        text += " It is now flagged in the leadership summary."
    return text


def describe_stall(work: InProgress, tz: ZoneInfo) -> str:
    if work.last_answer_at is None:
        since = (
            f"no answers since it started on {format_day(work.started_at.astimezone(tz).date())}"
        )
    else:
        since = f"no answers since {format_day(work.last_answer_at.astimezone(tz).date())}"
    return (
        f"The assessment in progress has had {since} "
        f"({work.answered_points} of {work.point_count} points answered)."
    )


def due_reason_text(service: ServiceDue, tz: ZoneInfo) -> str:
    if service.due_reason == DueReason.PHASE_CHANGE:
        return f"It moved to the {service.phase} phase, and a new phase needs a reassessment."
    if service.due_reason == DueReason.NEVER_ASSESSED or service.last_assessed_on is None:
        registered = format_day(service.created_at.astimezone(tz).date())
        return (
            f"It was registered on {registered} and has not been assessed yet; "
            "the first assessment is due 30 days after registration."
        )
    return (
        f"It was last assessed on {format_day(service.last_assessed_on)} and is reassessed "
        f"every {service.interval_months} months."
    )


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def group_deliveries(planned: Sequence[PlannedNudge], max_items: int) -> list[Delivery]:
    """Combine each recipient's nudges into digests of at most `max_items` services.

    Slack allows about one message per second per channel, and one DM listing three services
    reads better than three DMs. Most overdue first within a digest.
    """
    by_recipient: dict[tuple[str, Audience], list[PlannedNudge]] = {}
    for nudge in planned:
        by_recipient.setdefault((nudge.recipient, nudge.audience), []).append(nudge)
    deliveries: list[Delivery] = []
    for (recipient, audience), nudges in sorted(by_recipient.items()):
        nudges.sort(key=lambda n: (n.service.next_due_on, n.service.name.casefold(), n.key))
        for start in range(0, len(nudges), max_items):
            chunk = tuple(nudges[start : start + max_items])
            deliveries.append(Delivery(recipient, audience, chunk))
    return deliveries
