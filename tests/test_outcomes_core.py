"""The outcome core: the value parser and period arithmetic (property-based), trends and flags."""

from __future__ import annotations

import calendar
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.outcome_values import (
    DAYS,
    HIGHER,
    LOWER,
    NUMBER,
    PERCENT,
    POUNDS,
    SCORE,
    UNITS,
    BadValue,
    parse_value,
    show,
)
from bot.core.outcomes import (
    measure_line,
    met_on_paper_off_target,
    missed_last_two,
    on_target,
    overdue_period,
    trend,
    winners,
)
from bot.core.periods import (
    MONTHLY,
    QUARTERLY,
    add_working_days,
    is_future,
    last_completed,
    local_today,
    next_period,
    period_containing,
    period_starting,
    previous_period,
    reading_due_on,
    recent_periods,
)
from bot.core.working_hours import is_working_day
from storage.values import MeasureView, Period, ReadingView, to_text

DAYS_ST = st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 12, 31))
FREQ_ST = st.sampled_from([MONTHLY, QUARTERLY])
DECIMALS = st.decimals(
    min_value=Decimal(0), max_value=Decimal("999999999999"), places=4, allow_nan=False
)
ZONES = st.sampled_from(
    ["Europe/London", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York", "UTC"]
)


# --- the value parser --------------------------------------------------------------------


@given(DECIMALS, st.sampled_from([NUMBER, POUNDS, DAYS, SCORE]))
def test_any_plain_decimal_parses_back_to_itself(value: Decimal, unit: str) -> None:
    assert parse_value(format(value, "f"), unit) == value


@given(DECIMALS, st.sampled_from(UNITS))
def test_what_is_shown_parses_back_to_the_same_value(value: Decimal, unit: str) -> None:
    if unit == PERCENT:
        value = value % 100
    shown = show(value, unit)
    parsed = parse_value(shown, unit)
    if unit == POUNDS and value != value.quantize(Decimal("0.01")):
        return  # pounds are shown to the penny
    assert parsed == value, shown


@given(DECIMALS)
def test_storage_text_round_trips(value: Decimal) -> None:
    assert Decimal(to_text(value)) == value
    assert "E" not in to_text(value)


@given(st.decimals(min_value=Decimal("100.0001"), max_value=Decimal(10**6), places=4))
def test_percentages_above_100_are_refused(value: Decimal) -> None:
    result = parse_value(f"{value}%", PERCENT)
    assert isinstance(result, BadValue)
    assert "between 0 and 100" in result.message


@given(st.integers(min_value=0, max_value=100))
def test_percentages_0_to_100_are_accepted_with_or_without_the_sign(value: int) -> None:
    assert parse_value(f"{value}%", PERCENT) == value
    assert parse_value(f" {value} ", PERCENT) == value


@given(st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=20))
def test_words_are_not_numbers(text: str) -> None:
    assert isinstance(parse_value(text, NUMBER), BadValue)


def test_other_units_symbols_and_bad_shapes_are_refused_with_reasons() -> None:
    cases = {
        ("45%", POUNDS): "percentage",
        ("£12", PERCENT): "pounds",
        ("3 days", SCORE): "days",
        ("-4", NUMBER): "negative",
        ("1,23", NUMBER): "not a number",
        ("12.34567", NUMBER): "decimal places",
        ("1" * 13, NUMBER): "too big",
        ("", NUMBER): "Enter a number",
        ("1e5", NUMBER): "not a number",
        ("NaN", NUMBER): "not a number",
    }
    for (text, unit), words in cases.items():
        result = parse_value(text, unit)
        assert isinstance(result, BadValue), (text, unit)
        assert words in result.message, (text, unit, result.message)


def test_units_own_symbols_and_separators_are_accepted() -> None:
    assert parse_value("£1,234.50", POUNDS) == Decimal("1234.5")
    assert parse_value("12 days", DAYS) == 12
    assert parse_value("7.5 points", SCORE) == Decimal("7.5")
    assert parse_value("1,000,000", NUMBER) == 1_000_000
    assert show(Decimal("1234.5"), POUNDS) == "£1,234.50"
    assert show(Decimal(1), DAYS) == "1 day"


# --- period arithmetic -------------------------------------------------------------------


@given(DAYS_ST, FREQ_ST)
def test_every_day_lies_in_exactly_one_period_of_whole_months(day: date, freq: str) -> None:
    period = period_containing(day, freq)
    assert period.start <= day <= period.end
    assert period.start.day == 1
    assert period.end.day == calendar.monthrange(period.end.year, period.end.month)[1]
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    assert months + 1 == (1 if freq == MONTHLY else 3)
    if freq == QUARTERLY:
        assert period.start.month in (1, 4, 7, 10)
    assert period_starting(period.start, freq) == period


@given(DAYS_ST, FREQ_ST)
def test_periods_tile_the_calendar(day: date, freq: str) -> None:
    period = period_containing(day, freq)
    after, before = next_period(period, freq), previous_period(period, freq)
    assert after.start == period.end + timedelta(days=1)
    assert before.end == period.start - timedelta(days=1)
    assert previous_period(after, freq) == period
    assert next_period(before, freq) == period


@given(st.integers(min_value=1901, max_value=2399))
def test_february_ends_on_the_29th_in_leap_years(year: int) -> None:
    february = period_containing(date(year, 2, 10), MONTHLY)
    assert february.end.day == (29 if calendar.isleap(year) else 28)
    first_quarter = period_containing(date(year, 2, 10), QUARTERLY)
    assert first_quarter == Period(date(year, 1, 1), date(year, 3, 31))
    assert (first_quarter.end - first_quarter.start).days + 1 == (
        91 if calendar.isleap(year) else 90
    )


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2300, 1, 1)), ZONES)
def test_today_is_the_local_date_of_the_instant(moment: datetime, zone: str) -> None:
    instant = moment.replace(tzinfo=UTC)
    tz = ZoneInfo(zone)
    today = local_today(instant, tz)
    assert today == instant.astimezone(tz).date()
    assert abs((today - instant.date()).days) <= 1


def test_a_month_begins_at_local_midnight_not_utc_midnight() -> None:
    instant = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 April in London (BST)
    today = local_today(instant, ZoneInfo("Europe/London"))
    assert period_containing(today, MONTHLY).start == date(2026, 4, 1)
    assert last_completed(today, MONTHLY) == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert period_containing(instant.date(), MONTHLY).start == date(2026, 3, 1)


@given(DAYS_ST, FREQ_ST, st.integers(min_value=1, max_value=12))
def test_recent_periods_are_the_current_one_and_those_before(
    day: date, freq: str, count: int
) -> None:
    periods = recent_periods(day, freq, count)
    assert len(periods) == count
    assert periods[0].start <= day <= periods[0].end
    assert all(not is_future(p, day) for p in periods)
    assert all(a.start == b.end + timedelta(days=1) for a, b in itertools.pairwise(periods))
    assert is_future(next_period(periods[0], freq), day)


@settings(deadline=None)  # the first look at a year builds its bank-holiday calendar
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=1, max_value=15),
)
def test_working_days_skip_weekends_and_bank_holidays(day: date, count: int) -> None:
    later = add_working_days(day, count, "ENG")
    assert later > day
    assert is_working_day(later, "ENG")
    between = [day + timedelta(days=n) for n in range(1, (later - day).days + 1)]
    assert sum(is_working_day(d, "ENG") for d in between) == count


def test_a_reading_is_due_five_working_days_after_the_period_ends() -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    # April 2026: Good Friday 3rd and Easter Monday 6th are bank holidays in England.
    assert reading_due_on(march, "ENG") == date(2026, 4, 9)
    december = Period(date(2026, 12, 1), date(2026, 12, 31))
    assert reading_due_on(december, "ENG") == date(2027, 1, 8)  # 1 January is a holiday


# --- trends and flags --------------------------------------------------------------------


def _reading(rid: int, month: int, value: str) -> ReadingView:
    period = period_containing(date(2026, month, 1), MONTHLY)
    return ReadingView(rid, 1, period, Decimal(value), "", "U1", datetime(2026, 6, 1, tzinfo=UTC))


def _measure(readings: list[ReadingView], *, target: str | None, better: str) -> MeasureView:
    return MeasureView(
        id=1,
        service_id=1,
        name="Feel safe",
        counts="",
        unit=PERCENT,
        better_when=better,
        target=None if target is None else Decimal(target),
        frequency=MONTHLY,
        source="",
        template_id=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        points=(("lgdss", 1),),
        readings=winners(readings),
    )


def test_the_newest_row_of_a_period_wins() -> None:
    rows = [_reading(1, 1, "50"), _reading(2, 2, "60"), _reading(3, 1, "55")]
    assert [(r.id, r.value) for r in winners(rows)] == [(3, Decimal(55)), (2, Decimal(60))]


def test_trend_reads_the_right_way_round_in_words_and_arrows() -> None:
    up = _measure([_reading(1, 1, "50"), _reading(2, 2, "53")], target="60", better=HIGHER)
    moved = trend(up)
    assert moved is not None and moved.better is True
    assert moved.words(PERCENT) == "▲ up 3 points since January 2026, better"
    waits = _measure([_reading(1, 1, "50"), _reading(2, 2, "53")], target="40", better=LOWER)
    assert "▲ up 3 points since January 2026, worse" in measure_line(waits)
    assert "✗ off target (at most 40%)" in measure_line(waits)
    assert on_target(Decimal(60), Decimal(60), HIGHER) is True
    assert on_target(Decimal(5), None, HIGHER) is None


def test_met_on_paper_needs_the_last_two_readings_off_target() -> None:
    once = _measure([_reading(1, 1, "40"), _reading(2, 2, "70")], target="60", better=HIGHER)
    twice = _measure(
        [_reading(1, 1, "70"), _reading(2, 2, "40"), _reading(3, 3, "50")],
        target="60",
        better=HIGHER,
    )
    assert not missed_last_two(once) and missed_last_two(twice)
    assert met_on_paper_off_target(1, "lgdss", [1], [once, twice])[0].measure is twice
    assert met_on_paper_off_target(1, "lgdss", [2], [twice]) == []
    assert met_on_paper_off_target(1, "govuk-2019", [1], [twice]) == []


def test_overdue_is_the_last_completed_period_after_its_due_day() -> None:
    measure = _measure([_reading(1, 1, "40")], target="60", better=HIGHER)
    created = date(2026, 1, 1)
    assert overdue_period(measure, date(2026, 2, 5), "ENG", created) is None  # due 6 Feb
    assert overdue_period(measure, date(2026, 2, 6), "ENG", created) is None  # January recorded
    assert overdue_period(measure, date(2026, 3, 9), "ENG", created) == Period(
        date(2026, 2, 1), date(2026, 2, 28)
    )
    assert overdue_period(measure, date(2026, 3, 9), "ENG", date(2026, 3, 1)) is None
