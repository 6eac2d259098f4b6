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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.people import Person
from bot.core.reminder_text import describe_due, describe_stall, due_reason_text
from bot.core.working_hours import WORK_ENDS, WORK_STARTS, WorkingHours, is_working_day
from storage.values import STALLED_AFTER, UPCOMING_DAYS, InProgress, NudgeKey, ServiceDue

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
    REVIEW = "review"  # peer review (#15): a reviewer who hasn't finished, in the review thread
    CHALLENGE = "challenge"  # peer review (#15): a challenge open 14 days, in owners' digests
    READINGS = "readings"  # outcome readings due (#13), planned in bot.core.reading_nudges


class Audience(StrEnum):
    OWNER = "owner"
    CHANNEL = "channel"


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


def nudge_dates(service: ServiceDue, now: datetime) -> set[date]:
    """The `due_on` of every nudge that could be current for the service (to load their claims)."""
    dates = {service.next_due_on}
    work = service.in_progress
    if work is not None and work.stalled(now):
        dates.add(_stall_key_dates(work)[1])
    return dates


def is_settled(
    service: ServiceDue,
    now: datetime,
    hours: WorkingHours,
    done: Callable[[NudgeKey], bool],
) -> bool:
    """True when nothing the planner could send now is still unsent, whoever the owners are.

    Lets a tick skip asking Slack about the owners of services whose current nudges have all
    gone out, which is nearly every service on nearly every tick. It must never say True when
    `plan_nudges` could still produce an unsent key, so it assumes every owner reachable in any
    timezone (local dates a day either side of UTC) and counts only owners' working days.
    A service without owners is never settled: its channel gets what the owners would have.
    """
    if service.archived or is_snoozed(service.snoozed_until, now):
        return True
    if not service.owner_ids:
        return False
    required: list[NudgeKey] = []
    working_days = [
        d for d in _days_someone_is_at_work(now) if is_working_day(d, hours.subdivision)
    ]
    for day in working_days:
        current = due_stage(service.next_due_on, day)
        if current is not None:
            stage, occurrence = current
            for owner in service.owner_ids:
                required.append(
                    NudgeKey(service.id, stage.value, service.next_due_on, str(occurrence), owner)
                )
    work = service.in_progress
    if working_days and work is not None and work.stalled(now):
        last_answer, due_on = _stall_key_dates(work)
        for owner in service.owner_ids:
            required.append(
                NudgeKey(service.id, Stage.STALLED.value, due_on, last_answer.isoformat(), owner)
            )
    if hours.is_working_time(now):
        current = due_stage(service.next_due_on, hours.local(now).date())
        if current is not None and current[0] != Stage.UPCOMING:
            stage, occurrence = current
            channel = service.team_channel_id
            required.append(
                NudgeKey(service.id, stage.value, service.next_due_on, str(occurrence), channel)
            )
    return all(done(key) for key in required)


def _days_someone_is_at_work(now: datetime) -> list[date]:
    """Local dates on which somebody, in some timezone (UTC−12 to UTC+14), is at work now."""
    wall = now.astimezone(UTC).replace(tzinfo=None)
    earliest, latest = wall - timedelta(hours=12), wall + timedelta(hours=14)
    days = []
    day = earliest.date()
    while day <= latest.date():
        starts, ends = datetime.combine(day, WORK_STARTS), datetime.combine(day, WORK_ENDS)
        if earliest < ends and latest >= starts:
            days.append(day)
        day += timedelta(days=1)
    return days


def _stall_key_dates(work: InProgress) -> tuple[date, date]:
    """(the UTC date of the last answer, the day it became stalled): one stalled nudge a stall."""
    last = work.last_activity.astimezone(UTC).date()
    return last, last + STALLED_AFTER


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
            what=describe_due(
                service.next_due_on,
                today,
                flagged=days_overdue(service.next_due_on, today) >= FLAG_OVERDUE_DAYS,
            ),
            why=due_reason_text(service, tz),
        )
    ]


def _stalled_nudges(
    service: ServiceDue, now: datetime, tz: ZoneInfo, recipient: str, audience: Audience
) -> list[PlannedNudge]:
    work = service.in_progress
    if work is None or not work.stalled(now):
        return []
    last, due_on = _stall_key_dates(work)
    key = NudgeKey(service.id, Stage.STALLED.value, due_on, last.isoformat(), recipient)
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


def group_deliveries(planned: Sequence[PlannedNudge], max_items: int) -> list[Delivery]:
    """Combine each recipient's nudges into digests of at most `max_items` services.

    Slack allows about one message per second per channel, and one DM listing three services
    reads better than three DMs. Most overdue first within a digest.
    """
    by_recipient: dict[tuple[str, Audience], list[PlannedNudge]] = {}
    for nudge in planned:
        by_recipient.setdefault((nudge.recipient, nudge.audience), []).append(nudge)
    numbered: list[tuple[int, Delivery]] = []
    for (recipient, audience), nudges in sorted(by_recipient.items()):
        nudges.sort(key=lambda n: (n.service.next_due_on, n.service.name.casefold(), n.key))
        for start in range(0, len(nudges), max_items):
            chunk = tuple(nudges[start : start + max_items])
            numbered.append((start // max_items, Delivery(recipient, audience, chunk)))
    # Every recipient's first digest before anyone's second: back-to-back posts to one channel
    # hit Slack's per-channel limit, and each 429 stalls the whole tick for a second or more.
    numbered.sort(key=lambda item: item[0])  # stable: recipients keep their order
    return [delivery for _, delivery in numbered]
