"""The due-date rule as a pure function: interval, a new service's grace, phase changes, and
whichever is sooner; and the sentence `/assess status` shows for it."""

from __future__ import annotations

from datetime import date

from bot.blocks.due import due_sentence
from bot.blocks.words import day
from bot.core.due import DueReason, add_months, next_due

REGISTERED = date(2026, 1, 10)


def due(last: date | None, months: int, phase_changed: date | None = None) -> tuple[date, str]:
    result = next_due(
        registered_on=REGISTERED,
        last_assessed_on=last,
        interval_months=months,
        phase_changed_on=phase_changed,
    )
    return result.on, result.reason


def test_the_interval_counts_from_the_last_assessment() -> None:
    assert due(date(2025, 12, 1), 12) == (date(2026, 12, 1), DueReason.INTERVAL)
    assert due(date(2025, 12, 1), 3) == (date(2026, 3, 1), DueReason.INTERVAL)
    assert due(date(2025, 8, 31), 6) == (date(2026, 2, 28), DueReason.INTERVAL)


def test_a_service_never_assessed_gets_thirty_days() -> None:
    assert due(None, 12) == (date(2026, 2, 9), DueReason.NEVER_ASSESSED)


def test_a_phase_change_makes_it_due_that_day_unless_the_interval_is_sooner() -> None:
    assert due(date(2025, 12, 1), 12, date(2026, 3, 3)) == (
        date(2026, 3, 3),
        DueReason.PHASE_CHANGE,
    )
    # already overdue by the interval: the sooner date wins
    assert due(date(2025, 12, 1), 3, date(2026, 3, 3)) == (date(2026, 3, 1), DueReason.INTERVAL)
    # same day: the phase change is the reason
    assert due(date(2025, 12, 3), 3, date(2026, 3, 3)) == (
        date(2026, 3, 3),
        DueReason.PHASE_CHANGE,
    )
    # never assessed: 30 days or the phase change, whichever is sooner
    assert due(None, 6, date(2026, 1, 20)) == (date(2026, 1, 20), DueReason.PHASE_CHANGE)


def test_an_assessment_on_or_after_the_phase_change_settles_it() -> None:
    assert due(date(2026, 3, 3), 6, date(2026, 3, 3)) == (date(2026, 9, 3), DueReason.INTERVAL)
    assert due(date(2026, 4, 1), 6, date(2026, 3, 3)) == (date(2026, 10, 1), DueReason.INTERVAL)


def test_a_waiting_phase_change_is_not_forgotten_when_the_interval_wins_for_now() -> None:
    sooner = next_due(
        registered_on=REGISTERED,
        last_assessed_on=date(2025, 12, 1),
        interval_months=3,
        phase_changed_on=date(2026, 3, 3),
    )
    assert sooner.reason == DueReason.INTERVAL and sooner.phase_changed_on == date(2026, 3, 3)
    later = next_due(
        registered_on=REGISTERED,
        last_assessed_on=date(2025, 12, 1),
        interval_months=12,
        phase_changed_on=sooner.phase_changed_on,
    )
    assert (later.on, later.reason) == (date(2026, 3, 3), DueReason.PHASE_CHANGE)


def test_every_due_date_is_never_later_than_any_rule_alone() -> None:
    for months in (3, 6, 12):
        for last in (None, date(2025, 6, 30), date(2026, 2, 28)):
            for changed in (None, date(2026, 1, 1), date(2026, 3, 3)):
                result = next_due(
                    registered_on=REGISTERED,
                    last_assessed_on=last,
                    interval_months=months,
                    phase_changed_on=changed,
                )
                scheduled = add_months(last, months) if last else date(2026, 2, 9)
                assert result.on == result.scheduled_on or result.on == changed
                assert result.on <= scheduled
                if changed is not None and (last is None or changed > last):
                    assert result.on <= changed


def test_the_status_sentence_says_which_rule_set_the_date() -> None:
    by_interval = next_due(
        registered_on=REGISTERED,
        last_assessed_on=date(2025, 12, 1),
        interval_months=3,
        phase_changed_on=None,
    )
    assert due_sentence(by_interval, "beta") == (
        "Why this date: 3 months after the last assessment on Mon 1 Dec 2025. "
        "Editing the interval or the last assessment date moves it."
    )
    by_phase = next_due(
        registered_on=REGISTERED,
        last_assessed_on=date(2025, 12, 1),
        interval_months=12,
        phase_changed_on=date(2026, 3, 3),
    )
    text = due_sentence(by_phase, "live")
    assert text.startswith("Why this date: it moved to the live phase on Tue 3 Mar 2026")
    assert "sooner than 12 months after the last assessment on Mon 1 Dec 2025" in text
    new = next_due(
        registered_on=REGISTERED, last_assessed_on=None, interval_months=6, phase_changed_on=None
    )
    assert "30 days after it was registered on Sat 10 Jan 2026" in due_sentence(new, "alpha")


def test_days_read_the_same_on_every_platform() -> None:
    assert day(date(2026, 3, 3)) == "Tue 3 Mar 2026"
    assert day(date(2026, 12, 25)) == "Fri 25 Dec 2026"
