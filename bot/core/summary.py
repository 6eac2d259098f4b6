"""The leadership summary's figures, computed from a workspace's portfolio as loaded rows.

Leaders want one honest picture a week: how many services are covered, what is overdue or
stuck, which points of the standard trip teams up, and where a "Met" has nothing behind it.
Everything here is pure (no database, no Slack), so every figure can be checked against a
hand-computed portfolio; storage loads the rows, Block Kit and the heatmap only render them.

Figures come from each service's latest assessment (highest id), in progress or completed.
Unanswered points count as not met in the share of applicable points met; services never
assessed are left out of the share and listed under "Needs attention" instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core.reminders import FLAG_OVERDUE_DAYS
from bot.core.review_overview import ReviewPortfolio
from storage.values import (
    STALLED_AFTER,
    UNANSWERED,
    LatestAssessment,
    ServiceRecord,
)

if TYPE_CHECKING:
    from bot.core.action_summary import ActionFigures

if TYPE_CHECKING:
    from bot.core.outcome_summary import OutcomesSection

MET = "met"
PARTLY_MET = "partly_met"
NOT_MET = "not_met"
NOT_APPLICABLE = "not_applicable"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
NEVER_ASSESSED = "never_assessed"

WEAKEST_PER_STANDARD = 5
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- what storage loads ------------------------------------------------------------------


# --- the headline figures and their trend ------------------------------------------------


@dataclass(frozen=True)
class Figures:
    services: int
    fully_assessed: int
    overdue: int
    met: int
    applicable: int

    @property
    def share_percent(self) -> int | None:
        """Whole percent, rounded half up, so the shown change matches the shown values."""
        if self.applicable <= 0:
            return None
        return (200 * self.met + self.applicable) // (2 * self.applicable)

    def to_json(self) -> dict[str, int]:
        return {
            "services": self.services,
            "fully_assessed": self.fully_assessed,
            "overdue": self.overdue,
            "met": self.met,
            "applicable": self.applicable,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Figures | None:
        """The figures a past post stored, or None when they are missing or unreadable."""
        if not data:
            return None
        try:
            return cls(**{name: int(data[name]) for name in cls.__dataclass_fields__})
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Trend:
    services: int
    fully_assessed: int
    overdue: int
    share_points: int | None  # None when either summary had no applicable points


def trend(current: Figures, previous: Figures | None) -> Trend | None:
    if previous is None:
        return None
    now_share, then_share = current.share_percent, previous.share_percent
    return Trend(
        services=current.services - previous.services,
        fully_assessed=current.fully_assessed - previous.fully_assessed,
        overdue=current.overdue - previous.overdue,
        share_points=None if now_share is None or then_share is None else now_share - then_share,
    )


def change_text(delta: int | None, unit: str = "") -> str:
    """An arrow and a number ("▲ 3", "▼ 2 pts", "no change"): readable without colour."""
    if delta is None:
        return "no comparison"
    if delta == 0:
        return "no change"
    suffix = f" {unit}" if unit else ""
    return f"{'▲' if delta > 0 else '▼'} {abs(delta)}{suffix}"


# --- what the summary shows ------------------------------------------------------------


class AttentionKind(StrEnum):
    FLAGGED = "flagged"  # overdue by FLAG_OVERDUE_DAYS or more
    OVERDUE = "overdue"
    STALLED = "stalled"
    NEVER_ASSESSED = "never_assessed"
    NOT_MET = "not_met"


@dataclass(frozen=True)
class AttentionItem:
    kind: AttentionKind
    service_id: int
    name: str
    days_overdue: int = 0
    idle_since: datetime | None = None
    idle_days: int = 0
    not_met: int = 0
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class ServiceLine:
    service_id: int
    name: str
    phase: str
    standard: str
    status: str  # in_progress | completed | never_assessed
    points: int
    met: int
    partly_met: int
    not_met: int
    not_applicable: int
    unanswered: int
    next_due_on: date
    days_overdue: int

    @property
    def applicable(self) -> int:
        return self.points - self.not_applicable

    @property
    def share_percent(self) -> int | None:
        if self.status == NEVER_ASSESSED or self.applicable <= 0:
            return None
        return (200 * self.met + self.applicable) // (2 * self.applicable)


@dataclass(frozen=True)
class WeakPoint:
    number: int
    title: str
    not_met: int
    partly_met: int
    assessed: int  # services assessed against the standard (N)

    @property
    def weak(self) -> int:
        return self.not_met + self.partly_met


@dataclass(frozen=True)
class StandardWeakness:
    standard_id: str
    title: str
    assessed: int
    points: tuple[WeakPoint, ...]


@dataclass(frozen=True)
class EvidenceGap:
    service_id: int
    name: str
    points: tuple[int, ...]


@dataclass(frozen=True)
class HeatRow:
    service_id: int
    name: str
    cells: tuple[str | None, ...]  # a rating, UNANSWERED, or None: not in this snapshot


@dataclass(frozen=True)
class HeatGrid:
    standard_id: str
    title: str
    columns: tuple[int, ...]
    rows: tuple[HeatRow, ...]
    never_assessed: int  # services on this standard with no assessment, so no row


@dataclass(frozen=True)
class Summary:
    team_id: str
    generated_at: datetime
    today: date
    phases: tuple[str, ...]
    figures: Figures
    previous: Figures | None
    attention: tuple[AttentionItem, ...]
    weakest: tuple[StandardWeakness, ...]
    gaps: tuple[EvidenceGap, ...]
    lines: tuple[ServiceLine, ...]
    grids: tuple[HeatGrid, ...]
    # Improvement actions (#14); None where they were not loaded (figures_for adds them).
    actions: ActionFigures | None = None
    reviews: ReviewPortfolio | None = None  # peer review (#15), filled in by the summary job
    # Outcomes (#13): added by bot.core.outcome_summary.attach_outcomes when loaded.
    outcomes: OutcomesSection | None = None

    @property
    def trend(self) -> Trend | None:
        return trend(self.figures, self.previous)

    @property
    def gap_count(self) -> int:
        return sum(len(gap.points) for gap in self.gaps)


# --- building it -----------------------------------------------------------------------


def build_summary(
    services: Iterable[ServiceRecord],
    *,
    team_id: str,
    now: datetime,
    tz: ZoneInfo,
    previous: Figures | None = None,
    phases: Sequence[str] = (),
    standard_labels: Mapping[str, str] | None = None,
) -> Summary:
    """Everything the summary shows; `services` are the workspace's counted services."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    labels = standard_labels or {}
    today = now.astimezone(tz).date()
    records = list(services)
    lines = sorted((_line(record, today, labels) for record in records), key=_worst_first)
    order = {line.service_id: index for index, line in enumerate(lines)}
    records.sort(key=lambda record: order[record.id])
    standards = _standards(records)
    return Summary(
        team_id=team_id,
        generated_at=now,
        today=today,
        phases=tuple(phases),
        figures=_figures(records, today),
        previous=previous,
        attention=_attention(records, today, now),
        weakest=_weakest(standards),
        gaps=_gaps(records),
        lines=tuple(lines),
        grids=_grids(records, standards),
    )


NO_COUNTS: Mapping[str, int] = {}


def _figures(records: Sequence[ServiceRecord], today: date) -> Figures:
    met = applicable = 0
    for record in records:
        if record.latest is not None:
            counts = record.latest.counts
            met += counts.get(MET, 0)
            applicable += len(record.latest.points) - counts.get(NOT_APPLICABLE, 0)
    return Figures(
        services=len(records),
        fully_assessed=sum(
            1
            for record in records
            if record.latest is not None
            and record.latest.status == COMPLETED
            and record.next_due_on >= today
        ),
        overdue=sum(1 for record in records if record.next_due_on < today),
        met=met,
        applicable=applicable,
    )


def _line(record: ServiceRecord, today: date, labels: Mapping[str, str]) -> ServiceLine:
    latest = record.latest
    counts = latest.counts if latest is not None else NO_COUNTS
    if latest is not None:
        standard = labels.get(latest.standard_id) or latest.standard_title
    else:
        standard = labels.get(record.standard_id) or record.standard_id
    return ServiceLine(
        service_id=record.id,
        name=record.name,
        phase=record.phase,
        standard=standard,
        status=NEVER_ASSESSED if latest is None else latest.status,
        points=0 if latest is None else len(latest.points),
        met=counts.get(MET, 0),
        partly_met=counts.get(PARTLY_MET, 0),
        not_met=counts.get(NOT_MET, 0),
        not_applicable=counts.get(NOT_APPLICABLE, 0),
        unanswered=counts.get(UNANSWERED, 0),
        next_due_on=record.next_due_on,
        days_overdue=max(0, (today - record.next_due_on).days),
    )


def _worst_first(line: ServiceLine) -> tuple[int, int, int, str, int]:
    """Never assessed first, then the lowest share met, most not met, longest overdue."""
    share = line.share_percent
    return (
        -1 if share is None else share,
        -line.not_met,
        -line.days_overdue,
        line.name.casefold(),
        line.service_id,
    )


def _attention(
    records: Sequence[ServiceRecord], today: date, now: datetime
) -> tuple[AttentionItem, ...]:
    flagged: list[AttentionItem] = []
    overdue: list[AttentionItem] = []
    stalled: list[AttentionItem] = []
    never: list[AttentionItem] = []
    not_met: list[AttentionItem] = []
    for record in records:
        days = (today - record.next_due_on).days
        if days > 0:
            kind = AttentionKind.FLAGGED if days >= FLAG_OVERDUE_DAYS else AttentionKind.OVERDUE
            item = AttentionItem(
                kind, record.id, record.name, days_overdue=days, snoozed_until=record.snoozed_until
            )
            (flagged if kind is AttentionKind.FLAGGED else overdue).append(item)
        latest = record.latest
        if latest is None:
            never.append(AttentionItem(AttentionKind.NEVER_ASSESSED, record.id, record.name))
            continue
        idle = now - latest.last_activity
        if latest.status == IN_PROGRESS and idle >= STALLED_AFTER:
            stalled.append(
                AttentionItem(
                    AttentionKind.STALLED,
                    record.id,
                    record.name,
                    idle_since=latest.last_activity,
                    idle_days=idle // timedelta(days=1),
                )
            )
        count = latest.counts.get(NOT_MET, 0)
        if count:
            not_met.append(
                AttentionItem(AttentionKind.NOT_MET, record.id, record.name, not_met=count)
            )
    flagged.sort(key=lambda item: (-item.days_overdue, item.name.casefold()))
    overdue.sort(key=lambda item: (-item.days_overdue, item.name.casefold()))
    stalled.sort(key=lambda item: (-item.idle_days, item.name.casefold()))
    never.sort(key=lambda item: item.name.casefold())
    not_met.sort(key=lambda item: (-item.not_met, item.name.casefold()))
    return (*flagged, *overdue, *stalled, *never, *not_met)


def _by_standard(records: Sequence[ServiceRecord]) -> dict[str, list[ServiceRecord]]:
    """The assessed records of each standard, in the order given."""
    grouped: dict[str, list[ServiceRecord]] = {}
    for record in records:
        if record.latest is not None:
            grouped.setdefault(record.latest.standard_id, []).append(record)
    return grouped


def _titles(assessments: Sequence[LatestAssessment]) -> tuple[str, dict[int, str]]:
    """The standard's and points' titles from the newest snapshot that has each point."""
    newest_first = sorted(assessments, key=lambda latest: -latest.id)
    titles: dict[int, str] = {}
    seen: set[int] = set()  # snapshots shared by many assessments are read once
    for latest in newest_first:
        if id(latest.points) in seen:
            continue
        seen.add(id(latest.points))
        for number, title in latest.points:
            titles.setdefault(number, title)
    return newest_first[0].standard_title, titles


@dataclass(frozen=True)
class _Standard:
    """One standard in use: its assessed records (in the order given) and current titles."""

    standard_id: str
    records: tuple[ServiceRecord, ...]
    title: str
    titles: dict[int, str]

    @property
    def assessments(self) -> list[LatestAssessment]:
        return [record.latest for record in self.records if record.latest is not None]


def _standards(records: Sequence[ServiceRecord]) -> list[_Standard]:
    result = []
    for standard_id, group in _by_standard(records).items():
        title, titles = _titles([record.latest for record in group if record.latest])
        result.append(_Standard(standard_id, tuple(group), title, titles))
    return result


def _weakest(standards: Sequence[_Standard]) -> tuple[StandardWeakness, ...]:
    result: list[StandardWeakness] = []
    for standard in standards:
        assessments = standard.assessments
        not_met: Counter[int] = Counter()
        partly: Counter[int] = Counter()
        for latest in assessments:
            for (number, _), rating in zip(latest.points, latest.ratings, strict=True):
                if rating == NOT_MET:
                    not_met[number] += 1
                elif rating == PARTLY_MET:
                    partly[number] += 1
        titles = standard.titles
        points = [
            WeakPoint(number, titles[number], not_met[number], partly[number], len(assessments))
            for number in sorted(titles)
            if not_met[number] + partly[number] > 0
        ]
        points.sort(key=lambda point: (-point.weak, -point.not_met, point.number))
        result.append(
            StandardWeakness(
                standard.standard_id,
                standard.title,
                len(assessments),
                tuple(points[:WEAKEST_PER_STANDARD]),
            )
        )
    result.sort(key=lambda weakness: (-weakness.assessed, weakness.title.casefold()))
    return tuple(result)


def _gaps(records: Sequence[ServiceRecord]) -> tuple[EvidenceGap, ...]:
    gaps: list[EvidenceGap] = []
    for record in records:
        latest = record.latest
        if latest is None:
            continue
        numbers = tuple(
            number
            for (number, _), rating in zip(latest.points, latest.ratings, strict=True)
            if rating == MET and not latest.answers[number].has_evidence
        )
        if numbers:
            gaps.append(EvidenceGap(record.id, record.name, numbers))
    gaps.sort(key=lambda gap: (-len(gap.points), gap.name.casefold()))
    return tuple(gaps)


def _grids(
    records: Sequence[ServiceRecord], standards: Sequence[_Standard]
) -> tuple[HeatGrid, ...]:
    """One grid per standard in use; rows in the same worst-first order as the lines."""
    never = Counter(record.standard_id for record in records if record.latest is None)
    grids: list[HeatGrid] = []
    for standard in standards:
        columns = tuple(sorted(standard.titles))
        rows: list[HeatRow] = []
        for record in standard.records:
            latest = record.latest
            assert latest is not None  # _by_standard keeps assessed records only
            if tuple(number for number, _ in latest.points) == columns:
                cells: tuple[str | None, ...] = latest.ratings
            else:  # an older snapshot: None where a column is not among its points
                rated = dict(zip((n for n, _ in latest.points), latest.ratings, strict=True))
                cells = tuple(rated.get(number) for number in columns)
            rows.append(HeatRow(record.id, record.name, cells))
        grids.append(
            HeatGrid(
                standard.standard_id,
                standard.title,
                columns,
                tuple(rows),
                never[standard.standard_id],
            )
        )
    grids.sort(key=lambda grid: (-len(grid.rows), grid.title.casefold()))
    return tuple(grids)


# --- when the weekly summary is due ----------------------------------------------------


def parse_time(text: str) -> time | None:
    """ "HH:MM" (24-hour) as a time, or None when it is not one."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not (hours.isdigit() and minutes.isdigit()) or len(minutes) != 2:
        return None
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        return None
    return time(int(hours), int(minutes))


def week_start(now: datetime, tz: ZoneInfo) -> date:
    """The Monday of the local week containing `now`."""
    local = now.astimezone(tz).date()
    return local - timedelta(days=local.weekday())


def week_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """This local week, Monday 00:00 to the next Monday 00:00, as UTC instants."""
    monday = week_start(now, tz)
    start = datetime.combine(monday, time(0, 0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0, 0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def scheduled_instant(now: datetime, weekday: int, at: str, tz: ZoneInfo) -> datetime:
    """This local week's scheduled moment, in UTC (the claim key for the week)."""
    clock = parse_time(at) or time(9, 0)
    day = week_start(now, tz) + timedelta(days=weekday % 7)
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)
