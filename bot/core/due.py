"""When a service's next reassessment falls due, and why.

Phase gates (alpha → beta → live) are when real assessments happen, so a phase change makes a
reassessment due at once; otherwise a service is due its interval after its last completed
assessment, and a service never assessed gets 30 days to make a start.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Due:
    """A due date with the facts it came from, so `/assess status` can say why."""

    on: date
    reason: DueReason
    scheduled_on: date  # what the interval (or a new service's 30 days) alone gives
    interval_months: int
    registered_on: date
    last_assessed_on: date | None
    phase_changed_on: date | None  # only while that phase change still waits for its assessment


def next_due(
    *,
    registered_on: date,
    last_assessed_on: date | None,
    interval_months: int,
    phase_changed_on: date | None,
) -> Due:
    """The due date from everything that sets it; whichever is sooner wins.

    The interval counts from the last assessment (a service never assessed gets 30 days from
    registration). A phase change makes a reassessment due on the day of the change, until an
    assessment on or after that day completes. Recomputing from these facts on every edit is
    what makes a shorter interval, or a corrected "last assessed", move the date.
    """
    scheduled, reason = initial_due(registered_on, last_assessed_on, interval_months)
    waiting = phase_changed_on is not None and (
        last_assessed_on is None or phase_changed_on > last_assessed_on
    )
    pending = phase_changed_on if waiting else None
    if pending is not None and pending <= scheduled:
        return Due(
            pending,
            DueReason.PHASE_CHANGE,
            scheduled,
            interval_months,
            registered_on,
            last_assessed_on,
            pending,
        )
    return Due(
        scheduled, reason, scheduled, interval_months, registered_on, last_assessed_on, pending
    )
