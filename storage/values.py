"""The domain's value types, shared by storage (which loads them) and bot (which decides with
them and shows them).

They live here, below both, so that layers point one way: `storage` and `standards` import
nothing from `bot`, `bot.core` and `bot.blocks` import these. Plain frozen dataclasses and
enums with no database or Slack in them; the decisions made with them (planning nudges,
snooze policy, the summary) stay in `bot.core`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from storage.views import ActionItem, ServiceView

STALLED_AFTER = timedelta(days=14)  # an assessment in progress with no answer this long
UPCOMING_DAYS = 14  # reminders start this many days before a service is due
UNANSWERED = "unanswered"
DEFAULT_WEEKDAY = 0
DEFAULT_TIME = "09:00"


class AssessmentStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class ActionStatus(StrEnum):
    """Stable lowercase words: they appear in CSV exports and must never change."""

    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class ServiceType(StrEnum):
    """Stable words (exported): relational services are expected to track outcomes for people."""

    TRANSACTIONAL = "transactional"
    RELATIONAL = "relational"


class Phase(StrEnum):
    DISCOVERY = "discovery"
    ALPHA = "alpha"
    BETA = "beta"
    LIVE = "live"


class Rating(StrEnum):
    """Stable lowercase words: they appear in CSV exports and must never change."""

    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


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
class SnoozeView:
    """What `/assess status` shows about a snooze still running."""

    service_id: int
    until: datetime
    snoozed_by: str
    snoozed_at: datetime


@dataclass(frozen=True)
class CurrentAnswer:
    """The newest answer row for one point of an assessment."""

    rating: str
    has_evidence: bool


@dataclass(frozen=True)
class LatestAssessment:
    id: int
    standard_id: str
    standard_title: str
    status: str
    started_at: datetime
    last_answered_at: datetime | None
    points: tuple[tuple[int, str], ...]  # the snapshot: (number, title), in number order
    answers: Mapping[int, CurrentAnswer] = field(default_factory=dict)

    def rating(self, number: int) -> str:
        answer = self.answers.get(number)
        return UNANSWERED if answer is None else answer.rating

    @cached_property
    def ratings(self) -> tuple[str, ...]:
        """Each snapshot point's rating (UNANSWERED if none), in `points` order.

        Worked out once: the summary reads every point of every service several times (counts,
        weak points, grid, actions), and at 5,000 services the lookups were a fifth of it."""
        answers = self.answers
        return tuple(
            UNANSWERED if (answer := answers.get(number)) is None else answer.rating
            for number, _ in self.points
        )

    @cached_property
    def counts(self) -> Mapping[str, int]:
        """How many snapshot points have each rating (UNANSWERED included); absent means 0."""
        return Counter(self.ratings)

    @property
    def last_activity(self) -> datetime:
        return self.last_answered_at or self.started_at


@dataclass(frozen=True)
class ServiceRecord:
    id: int
    name: str
    phase: str
    standard_id: str
    next_due_on: date
    latest: LatestAssessment | None
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class SummarySettings:
    """Where and when a workspace's summary goes, and which services it counts."""

    team_id: str
    channels: tuple[str, ...] = ()
    weekday: int = DEFAULT_WEEKDAY
    time: str = DEFAULT_TIME
    phases: tuple[str, ...] = ()  # empty: every phase

    @property
    def configured(self) -> bool:
        return bool(self.channels)


@dataclass(frozen=True)
class ActionView:
    """An action with what every surface shows beside it: its service and point title.

    Read-only snapshots (`storage.views`), so a list can be built after its session closed."""

    action: ActionItem
    service: ServiceView
    point_title: str

    @property
    def service_owner_ids(self) -> tuple[str, ...]:
        return self.service.owner_ids


@dataclass(frozen=True)
class ActionCounts:
    """Open and overdue actions of one service."""

    open: int = 0
    overdue: int = 0


# --- outcomes (#13) ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """[start, end] inclusive: `end` is the period's last day."""

    start: date
    end: date

    def label(self) -> str:
        if (self.end.year, self.end.month) == (self.start.year, self.start.month):
            return self.start.strftime("%B %Y")
        return f"{self.start:%b}–{self.end:%b %Y}"


class ReadingView(NamedTuple):
    """A reading as loaded (a named tuple: portfolios load tens of thousands at once)."""

    id: int
    measure_id: int
    period: Period
    value: Decimal
    note: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class MeasureView:
    """A measure and its winning reading per period, oldest period first."""

    id: int
    service_id: int
    name: str
    counts: str
    unit: str
    better_when: str
    target: Decimal | None
    frequency: str
    source: str
    template_id: str | None
    created_at: datetime
    points: tuple[tuple[str, int], ...] = ()
    retired: bool = False
    readings: tuple[ReadingView, ...] = field(default=(), repr=False)

    @property
    def latest(self) -> ReadingView | None:
        return self.readings[-1] if self.readings else None

    @property
    def previous(self) -> ReadingView | None:
        return self.readings[-2] if len(self.readings) > 1 else None

    def reading_for(self, period: Period) -> ReadingView | None:
        for reading in self.readings:
            if reading.period == period:
                return reading
        return None


@dataclass(frozen=True)
class ReadingsOwed:
    """A service with live measures, as the reading planner sees it."""

    service: ServiceDue
    measures: tuple[MeasureView, ...]
    created_on: Mapping[int, date]  # each measure's first local day


def to_text(value: Decimal) -> str:
    """Canonical storage text: plain digits, no exponent, no trailing zeros ("12.5", "1200").

    Outcome figures are stored as text so SQLite and PostgreSQL give back exactly what was
    typed, with no float rounding; equal values store identically."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def from_text(text: str) -> Decimal:
    return Decimal(text)
