"""When a service's next reassessment falls due, and why.

Phase gates (alpha → beta → live) are when real assessments happen, so a phase change makes a
reassessment due at once; otherwise a service is due its interval after its last completed
assessment, and a service never assessed gets 30 days to make a start.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

INTERVAL_CHOICES = (3, 6, 12)
NEVER_ASSESSED_GRACE = timedelta(days=30)


class DueReason(StrEnum):
    NEVER_ASSESSED = "never_assessed"
    INTERVAL = "interval"
    PHASE_CHANGE = "phase_change"


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Aug + 6 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def initial_due(
    registered_on: date, last_assessed_on: date | None, interval_months: int
) -> tuple[date, DueReason]:
    """The due date of a newly registered service."""
    if last_assessed_on is None:
        return registered_on + NEVER_ASSESSED_GRACE, DueReason.NEVER_ASSESSED
    return add_months(last_assessed_on, interval_months), DueReason.INTERVAL


def due_after_completion(completed_on: date, interval_months: int) -> date:
    return add_months(completed_on, interval_months)
