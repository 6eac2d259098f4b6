"""Saying why a service is due when it is, for `/assess status`."""

from __future__ import annotations

from bot.blocks.words import day
from bot.core.due import NEVER_ASSESSED_GRACE, Due, DueReason


def _scheduled_clause(due: Due) -> str:
    if due.last_assessed_on is None:
        return (
            f"{NEVER_ASSESSED_GRACE.days} days after it was registered on "
            f"{day(due.registered_on)}, as it has not been assessed yet"
        )
    return f"{due.interval_months} months after the last assessment on {day(due.last_assessed_on)}"


def due_sentence(due: Due, phase: str) -> str:
    """e.g. "Why this date: 3 months after the last assessment on Mon 1 Dec 2025."."""
    if due.reason == DueReason.PHASE_CHANGE and due.phase_changed_on is not None:
        return (
            f"Why this date: it moved to the {phase} phase on {day(due.phase_changed_on)}, and "
            f"a new phase needs a reassessment. That is sooner than {_scheduled_clause(due)} "
            f"({day(due.scheduled_on)}), and the sooner date counts."
        )
    text = f"Why this date: {_scheduled_clause(due)}."
    if due.phase_changed_on is not None:
        text += (
            f" That is sooner than the phase change on {day(due.phase_changed_on)}, which also "
            "needs a reassessment."
        )
    return text + " Editing the interval or the last assessment date moves it."
