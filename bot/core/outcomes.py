"""What a service's outcome measures say: latest readings, targets, trends and flags.

Pure: built from snapshots (`MeasureView`, `ReadingView`) the storage layer loads, so the same
rules serve `/assess measures`, status, Home, the assessment card, the nudges and the
leadership summary. Readings are append-only; within a period the newest row wins.

Trends are never told by colour alone: an arrow (▲ ▼ ■) and words ("up 3 points, better").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.core.outcome_values import HIGHER, LOWER, show, show_change
from bot.core.periods import last_completed, reading_due_on
from storage.values import MeasureView, Period, ReadingView

UP, DOWN, SAME = "▲", "▼", "■"


def winners(readings: Iterable[ReadingView]) -> tuple[ReadingView, ...]:
    """The newest reading of each period (a correction beats what it corrects), oldest first."""
    best: dict[Period, ReadingView] = {}
    for reading in readings:
        current = best.get(reading.period)
        if current is None or reading.id > current.id:
            best[reading.period] = reading
    return tuple(best[period] for period in sorted(best))


def on_target(value: Decimal, target: Decimal | None, better_when: str) -> bool | None:
    """None when there is no target; meeting the target exactly counts as on target."""
    if target is None:
        return None
    if better_when == HIGHER:
        return value >= target
    if better_when == LOWER:
        return value <= target
    raise ValueError(f"unknown direction {better_when!r}")


@dataclass(frozen=True)
class Trend:
    arrow: str
    change: Decimal  # latest minus previous
    better: bool | None  # None when unchanged
    since: Period

    def words(self, unit: str) -> str:
        if self.change == 0:
            return f"{SAME} no change since {self.since.label()}"
        way = "up" if self.change > 0 else "down"
        verdict = "better" if self.better else "worse"
        size = show_change(self.change, unit)
        return f"{self.arrow} {way} {size} since {self.since.label()}, {verdict}"


def trend(measure: MeasureView) -> Trend | None:
    """The change from the previous recorded period to the latest (None with one reading)."""
    latest, previous = measure.latest, measure.previous
    if latest is None or previous is None:
        return None
    return trend_between(previous.value, latest.value, measure.better_when, previous.period)


def trend_between(before: Decimal, after: Decimal, better_when: str, since: Period) -> Trend:
    change = after - before
    if change == 0:
        return Trend(SAME, change, None, since)
    better = change > 0 if better_when == HIGHER else change < 0
    return Trend(UP if change > 0 else DOWN, change, better, since)


def target_words(measure: MeasureView, value: Decimal | None = None) -> str:
    """ "on target (80%)", "off target (80%)" or "no target"; the words carry the meaning."""
    if measure.target is None:
        return "no target"
    bound = "at least" if measure.better_when == HIGHER else "at most"
    goal = f"{bound} {show(measure.target, measure.unit)}"
    if value is None:
        return f"target {goal}"
    hit = on_target(value, measure.target, measure.better_when)
    return f"{'✓ on target' if hit else '✗ off target'} ({goal})"


def measure_line(measure: MeasureView) -> str:
    """One plain line: latest vs target and the trend (callers escape the name themselves)."""
    latest = measure.latest
    if latest is None:
        return f"no reading yet · {target_words(measure)}"
    parts = [
        f"{show(latest.value, measure.unit)} for {latest.period.label()}",
        target_words(measure, latest.value),
    ]
    moved = trend(measure)
    if moved is not None:
        parts.append(moved.words(measure.unit))
    return " · ".join(parts)


def missed_last_two(measure: MeasureView) -> bool:
    """Off target in each of the two latest recorded periods (the "in practice" half of a flag).

    Written out rather than through `on_target`: the summary asks it of every measure.
    """
    target, readings = measure.target, measure.readings
    if target is None or len(readings) < 2:
        return False
    before, latest = readings[-2].value, readings[-1].value
    if measure.better_when == HIGHER:
        return before < target and latest < target
    return before > target and latest > target


def overdue_period(
    measure: MeasureView, today: date, subdivision: str, created_on: date
) -> Period | None:
    """The last completed period when its reading is missing and its due day has come.

    Only the latest completed period is chased: a reading for an older period is history a team
    may or may not have, and nagging about it would bury the current one. A period that ended
    before the measure was added is never due.
    """
    if measure.retired:
        return None
    period = last_completed(today, measure.frequency)
    if period.end < created_on or measure.reading_for(period) is not None:
        return None
    if reading_due_on(period, subdivision) > today:
        return None
    return period


@dataclass(frozen=True)
class PaperVsPractice:
    """A point rated met in the latest assessment while a measure linked to it keeps missing."""

    service_id: int
    point_number: int
    measure: MeasureView


def met_on_paper_off_target(
    service_id: int,
    standard_id: str,
    met_points: Iterable[int],
    measures: Sequence[MeasureView],
) -> list[PaperVsPractice]:
    met = set(met_points)
    flags = []
    for measure in measures:
        if measure.retired or not missed_last_two(measure):
            continue
        for linked_standard, number in measure.points:
            if linked_standard == standard_id and number in met:
                flags.append(PaperVsPractice(service_id, number, measure))
    return flags
