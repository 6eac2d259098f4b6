"""The leadership summary's action figures: do teams follow through on what they found?

- open actions, overdue actions and the oldest overdue one;
- actions done over the last 90 days, and how many of them by their due date;
- the share of not-met and partly-met points (in each service's latest assessment) that have
  an action that was not dropped;
- per service, the worst first: most overdue, then most weak points without an action.

`figures_for` loads with a fixed number of statements (two) whatever the portfolio's size;
`build_action_figures` is pure, so every figure can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.actions import WEAK_RATINGS
from bot.core.summary import ServiceRecord
from storage.action_queries import ActionFact, covered_points, summary_facts
from storage.models import ActionStatus

DONE_WINDOW = timedelta(days=90)
SERVICES_SHOWN = 10


@dataclass(frozen=True)
class OldestOverdue:
    service_name: str
    due_on: date
    days: int


@dataclass(frozen=True)
class ServiceActions:
    service_id: int
    name: str
    open: int
    overdue: int
    weak_points: int
    covered: int

    @property
    def uncovered(self) -> int:
        return self.weak_points - self.covered


@dataclass(frozen=True)
class ActionFigures:
    open: int
    overdue: int
    oldest_overdue: OldestOverdue | None
    done_recently: int
    done_on_time: int
    weak_points: int
    covered: int
    services: tuple[ServiceActions, ...]  # worst first; only services with something to show

    @property
    def covered_percent(self) -> int | None:
        if self.weak_points <= 0:
            return None
        return (200 * self.covered + self.weak_points) // (2 * self.weak_points)


def figures_for(
    records: Sequence[ServiceRecord], *, session: Session, now: datetime, tz: ZoneInfo
) -> ActionFigures:
    """Load what the figures need for these services (two statements) and compute them."""
    facts = summary_facts(
        session=session,
        service_ids=[record.id for record in records],
        closed_since=now - DONE_WINDOW,
    )
    covered = covered_points(
        session=session,
        assessment_ids=[record.latest.id for record in records if record.latest is not None],
    )
    return build_action_figures(records, facts, covered, now=now, tz=tz)


def build_action_figures(
    records: Sequence[ServiceRecord],
    facts: Sequence[ActionFact],
    covered: set[tuple[int, int]],
    *,
    now: datetime,
    tz: ZoneInfo,
) -> ActionFigures:
    today = now.astimezone(tz).date()
    since = now - DONE_WINDOW
    names = {record.id: record.name for record in records}
    open_by: dict[int, int] = {}
    overdue_by: dict[int, int] = {}
    oldest: tuple[date, int] | None = None
    done_recently = done_on_time = 0
    for fact in facts:
        if fact.service_id not in names:
            continue
        if fact.status == ActionStatus.OPEN:
            open_by[fact.service_id] = open_by.get(fact.service_id, 0) + 1
            if fact.due_on < today:
                overdue_by[fact.service_id] = overdue_by.get(fact.service_id, 0) + 1
                if oldest is None or (fact.due_on, fact.service_id) < oldest:
                    oldest = (fact.due_on, fact.service_id)
        elif fact.status == ActionStatus.DONE and fact.closed_at and fact.closed_at >= since:
            done_recently += 1
            if fact.closed_at.astimezone(tz).date() <= fact.due_on:
                done_on_time += 1
    lines = []
    weak_total = covered_total = 0
    for record in records:
        weak = covered_here = 0
        if record.latest is not None:
            for number, _title in record.latest.points:
                if record.latest.rating(number) in WEAK_RATINGS:
                    weak += 1
                    covered_here += (record.latest.id, number) in covered
        weak_total += weak
        covered_total += covered_here
        line = ServiceActions(
            record.id,
            record.name,
            open_by.get(record.id, 0),
            overdue_by.get(record.id, 0),
            weak,
            covered_here,
        )
        if line.open or line.uncovered:
            lines.append(line)
    lines.sort(key=lambda s: (-s.overdue, -s.uncovered, -s.open, s.name.casefold(), s.service_id))
    return ActionFigures(
        open=sum(open_by.values()),
        overdue=sum(overdue_by.values()),
        oldest_overdue=(
            None
            if oldest is None
            else OldestOverdue(names[oldest[1]], oldest[0], (today - oldest[0]).days)
        ),
        done_recently=done_recently,
        done_on_time=done_on_time,
        weak_points=weak_total,
        covered=covered_total,
        services=tuple(lines),
    )
