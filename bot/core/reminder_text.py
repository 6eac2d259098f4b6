"""How a nudge says what is due and why, in plain words (the blocks escape and format them)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.due import DueReason

if TYPE_CHECKING:
    from storage.values import InProgress, ServiceDue


def format_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def describe_due(next_due_on: date, today: date, *, flagged: bool = False) -> str:
    days = (today - next_due_on).days
    when = format_day(next_due_on)
    if days < 0:
        return f"Reassessment due in {_days(-days)}, on {when}."
    if days == 0:
        return f"Reassessment due today, {when}."
    text = f"Reassessment overdue by {_days(days)} (due {when})."
    if flagged:
        text += " It is now flagged in the leadership summary."
    return text


def describe_stall(work: InProgress, tz: ZoneInfo) -> str:
    if work.last_answer_at is None:
        since = (
            f"no answers since it started on {format_day(work.started_at.astimezone(tz).date())}"
        )
    else:
        since = f"no answers since {format_day(work.last_answer_at.astimezone(tz).date())}"
    return (
        f"The assessment in progress has had {since} "
        f"({work.answered_points} of {work.point_count} points answered)."
    )


def due_reason_text(service: ServiceDue, tz: ZoneInfo) -> str:
    if service.due_reason == DueReason.PHASE_CHANGE:
        return f"It moved to the {service.phase} phase, and a new phase needs a reassessment."
    if service.due_reason == DueReason.NEVER_ASSESSED or service.last_assessed_on is None:
        registered = format_day(service.created_at.astimezone(tz).date())
        return (
            f"It was registered on {registered} and has not been assessed yet; "
            "the first assessment is due 30 days after registration."
        )
    return (
        f"It was last assessed on {format_day(service.last_assessed_on)} and is reassessed "
        f"every {service.interval_months} months."
    )


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"
