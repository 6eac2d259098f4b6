"""Reporting periods of outcome measures: calendar months and quarters, as local dates.

A period is a half-open range of whole days in the deployment's timezone, named by its first
day; a reading belongs to one period. "Now" arrives as an aware instant and becomes a local date
first, so a reading typed at 00:30 on 1 April in London counts April as begun even though it
is still 31 March in UTC. Months and quarters are the calendar's (quarters start in January,
April, July and October). A reading is due 5 working days (no weekends or bank holidays) after
its period ends, then weekly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.core.working_hours import is_working_day
from storage.values import Period

MONTHLY, QUARTERLY = "monthly", "quarterly"
FREQUENCIES: tuple[str, ...] = (MONTHLY, QUARTERLY)
DUE_AFTER_WORKING_DAYS = 5
NUDGE_EVERY_DAYS = 7
_MONTHS = {MONTHLY: 1, QUARTERLY: 3}


def months_in(frequency: str) -> int:
    if frequency not in _MONTHS:
        raise ValueError(f"unknown frequency {frequency!r}")
    return _MONTHS[frequency]


def _month_add(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def period_containing(day: date, frequency: str) -> Period:
    step = months_in(frequency)
    first_month = (day.month - 1) // step * step + 1
    start = date(day.year, first_month, 1)
    next_year, next_month = _month_add(day.year, first_month, step)
    return Period(start, date(next_year, next_month, 1) - timedelta(days=1))


def period_starting(start: date, frequency: str) -> Period | None:
    """The period that begins on `start`, or None when no period begins that day."""
    period = period_containing(start, frequency)
    return period if period.start == start else None


def previous_period(period: Period, frequency: str) -> Period:
    return period_containing(period.start - timedelta(days=1), frequency)


def next_period(period: Period, frequency: str) -> Period:
    return period_containing(period.end + timedelta(days=1), frequency)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass timezone-aware times")
    return now.astimezone(tz).date()


@lru_cache(maxsize=4096)
def last_completed(today: date, frequency: str) -> Period:
    """The latest period that has ended before `today`."""
    return previous_period(period_containing(today, frequency), frequency)


def recent_periods(today: date, frequency: str, count: int) -> list[Period]:
    """The current period and the `count - 1` before it, newest first (the record menu)."""
    periods = [period_containing(today, frequency)]
    while len(periods) < count:
        periods.append(previous_period(periods[-1], frequency))
    return periods


def is_future(period: Period, today: date) -> bool:
    """A period that has not begun yet cannot have a reading."""
    return period.start > today


def add_working_days(day: date, count: int, subdivision: str) -> date:
    """The `count`-th working day after `day` (never `day` itself)."""
    left = count
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, subdivision):
            left -= 1
    return day


@lru_cache(maxsize=4096)
def reading_due_on(period: Period, subdivision: str) -> date:
    """When a reading for `period` is first chased: 5 working days after it ends."""
    return add_working_days(period.end, DUE_AFTER_WORKING_DAYS, subdivision)


def nudge_occurrence(due_on: date, today: date) -> int | None:
    """0 from the due day for a week, then 1, 2, …; None before it is due."""
    if today < due_on:
        return None
    return (today - due_on).days // NUDGE_EVERY_DAYS
