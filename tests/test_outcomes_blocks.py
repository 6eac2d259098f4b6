"""Outcome builders as pure functions: Slack's limits at the extremes, words beside every arrow,
the trend chart's alt text stating its figures, and the reading-due planner's keys."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.blocks.outcomes import build_measure_modal, build_measures_list, build_record_modal
from bot.core.outcome_chart import alt_text, render_chart
from bot.core.outcome_summary import Standing
from bot.core.outcomes import winners
from bot.core.people import Person
from bot.core.periods import MONTHLY, QUARTERLY, period_containing
from bot.core.reading_nudges import plan_reading_nudges, readings_settled
from bot.core.working_hours import WorkingHours
from standards import load_catalogue, load_measure_templates
from storage.values import (
    CurrentAnswer,
    LatestAssessment,
    MeasureView,
    ReadingsOwed,
    ReadingView,
    ServiceDue,
)
from tests.fakeslack.blockkit import validate_blocks, validate_view

CATALOGUE = load_catalogue()
LIBRARY = load_measure_templates(CATALOGUE)
TODAY = date(2026, 4, 9)
LONDON = ZoneInfo("Europe/London")


def measure(
    mid: int,
    values: list[str],
    *,
    name: str = "Feel safe",
    freq: str = MONTHLY,
    target: str | None = "80",
) -> MeasureView:
    step = 3 if freq == QUARTERLY else 1
    months = [period_containing(date(2025, 1 + i * step, 1), freq) for i in range(len(values))]
    readings = [
        ReadingView(i + 1, mid, p, Decimal(v), "", "U1", datetime(2026, 1, 1, tzinfo=UTC))
        for i, (p, v) in enumerate(zip(months, values, strict=True))
    ]
    return MeasureView(
        id=mid,
        service_id=1,
        name=name,
        counts="",
        unit="percent",
        better_when="higher",
        target=None if target is None else Decimal(target),
        frequency=freq,
        source="",
        template_id=None,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        points=(("lgdss", 1),),
        readings=winners(readings),
    )


def test_the_list_and_modals_fit_slack_with_many_long_measures() -> None:
    many = [measure(n, ["70", "75"], name="<b>" + "x" * 200) for n in range(1, 120)]
    _text, blocks = build_measures_list("Care & support <x>", 1, "relational", many)
    assert len(blocks) <= 50 and validate_blocks(blocks) == []
    assert "&lt;b&gt;" in str(blocks) and "<b>" not in str(blocks)
    record = build_record_modal(service_id=1, service_name="Care", measures=many, today=TODAY)
    assert len(record["blocks"]) <= 100 and validate_view(record) == []
    standard = CATALOGUE.get("lgdss")
    add = build_measure_modal(
        library=LIBRARY, standard=standard, service_id=1, service_type="relational"
    )
    assert validate_view(add) == []
    edit = build_measure_modal(
        library=LIBRARY,
        standard=standard,
        service_id=1,
        service_type="transactional",
        measure=many[0],
    )
    assert validate_view(edit) == [] and "template" not in str(edit["blocks"][0])
    groups = add["blocks"][0]["element"]["option_groups"]
    assert groups[0]["options"][0]["value"] == "own"
    assert sum(len(g["options"]) for g in groups) <= 100


def test_trends_are_words_and_arrows_not_colour() -> None:
    _text, blocks = build_measures_list("Care", 1, "relational", [measure(1, ["70", "75"])])
    shown = str(blocks)
    assert "▲ up 5 points since January 2025, better" in shown
    assert "✗ off target (at least 80%)" in shown


def test_the_chart_is_a_png_and_its_alt_text_states_every_figure() -> None:
    item = Standing(1, "Home care", measure(1, ["82", "78", "76"], freq=QUARTERLY))
    text = alt_text(item)
    for figure in ("Jan–Mar 2025 82%", "Apr–Jun 2025 78%", "Jul–Sep 2025 76%", "at least 80%"):
        assert figure in text
    chart = render_chart(item)
    assert chart.png.startswith(b"\x89PNG") and chart.alt_text == text


def service(owners: tuple[str, ...] = ("U1",)) -> ServiceDue:
    return ServiceDue(
        id=7,
        team_id="T1",
        name="Care",
        phase="live",
        team_channel_id="C1",
        interval_months=6,
        last_assessed_on=None,
        next_due_on=date(2027, 1, 1),
        due_reason="interval",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        owner_ids=owners,
    )


def test_reading_nudges_fall_due_5_working_days_on_then_weekly() -> None:
    owed = ReadingsOwed(service(), (measure(1, ["70", "75"]),), {1: date(2024, 1, 1)})
    hours = WorkingHours("ENG", LONDON)
    people: dict[str, Person | None] = {"U1": Person("U1", "olive", tz="Europe/London")}
    before = plan_reading_nudges([owed], datetime(2026, 4, 8, 10, tzinfo=UTC), people, hours)
    assert before == []  # March's readings are due on 9 April (Easter is two bank holidays)
    (nudge,) = plan_reading_nudges([owed], datetime(2026, 4, 9, 10, tzinfo=UTC), people, hours)
    assert (nudge.key.stage, nudge.key.due_on, nudge.key.occurrence) == (
        "readings",
        date(2026, 4, 9),
        "0",
    )
    assert "Feel safe for March 2026" in nudge.what
    (week,) = plan_reading_nudges([owed], datetime(2026, 4, 16, 10, tzinfo=UTC), people, hours)
    assert week.key.occurrence == "1"
    assert plan_reading_nudges([owed], datetime(2026, 4, 9, 19, tzinfo=UTC), people, hours) == []
    sent = {nudge.key}
    assert readings_settled(owed, datetime(2026, 4, 9, 10, tzinfo=UTC), hours, sent.__contains__)
    assert not readings_settled(
        owed, datetime(2026, 4, 16, 10, tzinfo=UTC), hours, sent.__contains__
    )


def point_one_met() -> LatestAssessment:
    """A completed LGDSS assessment of one point, rated met with evidence."""
    return LatestAssessment(
        id=1,
        standard_id="lgdss",
        standard_title="LGDSS",
        status="completed",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        last_answered_at=None,
        points=((1, "Understand users' needs"),),
        answers={1: CurrentAnswer("met", True)},
    )


def test_the_summary_section_escapes_names_and_hides_when_unused() -> None:
    from bot.blocks.outcome_summary import outcome_groups, outcome_text
    from bot.core.outcome_summary import build_outcomes
    from storage.values import ServiceRecord

    latest = point_one_met()
    records = [
        ServiceRecord(1, "Care <&> support", "live", "lgdss", date(2027, 1, 1), latest),
        ServiceRecord(2, "Fostering", "live", "lgdss", date(2027, 1, 1), None),
    ]
    missed = measure(1, ["70", "60", "50"], name="Feel *safe*")
    section = build_outcomes(
        records,
        {1: "relational", 2: "relational"},
        {1: [missed]},
        today=TODAY,
        subdivision="ENG",
        since=None,
    )
    blocks = [block for group in outcome_groups(section) for block in group]
    shown = str(blocks)
    assert validate_blocks(blocks) == []
    assert "Care &lt;&amp;&gt; support" in shown and "<&>" not in shown
    assert "Met on paper, off target in practice" in shown and "point 1" in shown
    assert "Relational services with no outcome measure (1)" in shown and "Fostering" in shown
    assert "▼ down 10 points since February 2025, worse" in shown
    text = "\n".join(outcome_text(section))
    assert "OUTCOMES" in text and "Care <&> support" in text
    empty = build_outcomes(
        records[:1], {1: "transactional"}, {}, today=TODAY, subdivision="ENG", since=None
    )
    assert outcome_groups(empty) == [] and outcome_text(empty) == []


def test_the_summary_section_counts_everything_and_lists_ten_of_each() -> None:
    """Fifteen services, each with a measure missing its target twice on a point rated met:
    every figure counts all fifteen, every list shows ten and says how many more."""
    from bot.blocks.outcome_summary import outcome_text
    from bot.core.outcome_summary import LISTED, build_outcomes
    from storage.values import ServiceRecord

    latest = point_one_met()
    records = [
        ServiceRecord(n, f"Service {n:02d}", "live", "lgdss", date(2027, 1, 1), latest)
        for n in range(1, 16)
    ]
    measures = {n: [measure(n, ["70", "60", "50"], name=f"Measure {n:02d}")] for n in range(1, 16)}
    measures[1] = [measure(1, ["90", "95"], name="Measure 01")]  # on target
    section = build_outcomes(records, {}, measures, today=TODAY, subdivision="ENG", since=None)
    assert (section.measures, section.on_target, section.off_target) == (15, 1, 14)
    assert [s.service for s in section.off_target_shown] == [
        f"Service {n:02d}" for n in range(2, 2 + LISTED)
    ]
    text = "\n".join(outcome_text(section))
    assert "Off target (14)" in text
    assert text.count("…and 4 more") == 2  # the off-target list and the paper flags
    assert "Service 12" not in text.split("Met on paper")[1]
