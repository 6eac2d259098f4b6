"""The leadership summary's action figures: do teams follow through on what they found?

- open actions, overdue actions and the oldest overdue one;
- actions done over the last 90 days, and how many of them by their due date;
- the share of not-met and partly-met points (in each service's latest assessment) that have
  an action that was not dropped;
- per service, the worst first: most overdue, then most weak points without an action.

`figures_for` loads with a fixed number of statements (three) whatever the portfolio's size;
`build_action_figures` is pure, so every figure can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.actions import WEAK_RATINGS
from storage.action_queries import SummaryLoad, load_summary_actions
from storage.values import ServiceRecord

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
    records: Sequence[ServiceRecord],
    *,
    session: Session,
    team_id: str,
    now: datetime,
    tz: ZoneInfo,
) -> ActionFigures:
    """Load what the figures need (three statements, whatever the size) and compute them."""
    load = load_summary_actions(
        session=session,
        team_id=team_id,
        today=now.astimezone(tz).date(),
        closed_since=now - DONE_WINDOW,
    )
    return build_action_figures(records, load, now=now, tz=tz)


def build_action_figures(
    records: Sequence[ServiceRecord], load: SummaryLoad, *, now: datetime, tz: ZoneInfo
) -> ActionFigures:
    today = now.astimezone(tz).date()
    names = {record.id: record.name for record in records}
    counted = {service_id: stats for service_id, stats in load.open.items() if service_id in names}
    oldest = min(
        (
            (stats.oldest_overdue, service_id)
            for service_id, stats in counted.items()
            if stats.oldest_overdue is not None
        ),
        default=None,
    )
    done = [
        (due_on, closed_at) for service_id, due_on, closed_at in load.done if service_id in names
    ]
    lines = []
    weak_total = covered_total = 0
    for record in records:
        weak = covered_here = 0
        latest = record.latest
        if latest is not None:
            for (number, _title), rating in zip(latest.points, latest.ratings, strict=True):
                if rating in WEAK_RATINGS:
                    weak += 1
                    covered_here += (latest.id, number) in load.covered
        weak_total += weak
        covered_total += covered_here
        stats = counted.get(record.id)
        line = ServiceActions(
            record.id,
            record.name,
            stats.open if stats else 0,
            stats.overdue if stats else 0,
            weak,
            covered_here,
        )
        if line.open or line.uncovered:
            lines.append(line)
    lines.sort(key=lambda s: (-s.overdue, -s.uncovered, -s.open, s.name.casefold(), s.service_id))
    return ActionFigures(
        open=sum(stats.open for stats in counted.values()),
        overdue=sum(stats.overdue for stats in counted.values()),
        oldest_overdue=(
            None
            if oldest is None
            else OldestOverdue(names[oldest[1]], oldest[0], (today - oldest[0]).days)
        ),
        done_recently=len(done),
        done_on_time=sum(
            1 for due_on, closed_at in done if closed_at.astimezone(tz).date() <= due_on
        ),
        weak_points=weak_total,
        covered=covered_total,
        services=tuple(lines),
    )
