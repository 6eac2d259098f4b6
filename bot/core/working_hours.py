"""When a person may be nudged: weekdays 09:00–17:30 in their own timezone, never on a bank holiday.

A council officer in New York still gets reminders about a London service, but at 09:00 their
time, and a UK bank holiday is a day off wherever the person is (we check their local date
against the configured UK calendar). Holidays are expanded once per (subdivision, year) into a
frozen set, so checks are cheap and safe to share between threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WORK_STARTS = time(9, 0)
WORK_ENDS = time(17, 30)


@lru_cache(maxsize=64)
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("GB", subdiv=subdivision, years=year)
    return frozenset(calendar.keys())


def is_bank_holiday(day: date, subdivision: str) -> bool:
    return day in _bank_holidays(subdivision, day.year)


def is_working_day(day: date, subdivision: str) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day, subdivision)


def first_working_day_on_or_after(day: date, subdivision: str) -> date:
    """Where a stage that falls on a weekend or bank holiday really goes out."""
    while not is_working_day(day, subdivision):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class WorkingHours:
    """The rule for one deployment: its UK bank-holiday calendar and its fallback timezone."""

    subdivision: str
    fallback: ZoneInfo

    def local(self, moment: datetime, tz: ZoneInfo | None = None) -> datetime:
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: pass timezone-aware times")
        return moment.astimezone(tz or self.fallback)

    def is_working_time(self, moment: datetime, tz: ZoneInfo | None = None) -> bool:
        """True when `moment` is inside working hours on a working day in `tz`."""
        local = self.local(moment, tz)
        if not is_working_day(local.date(), self.subdivision):
            return False
        return WORK_STARTS <= local.time().replace(tzinfo=None) < WORK_ENDS
