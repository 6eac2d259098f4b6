"""The summary's figures, checked against values worked out independently from the seed."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.summary import (
    AttentionKind,
    Figures,
    build_summary,
    change_text,
    parse_time,
    scheduled_instant,
    trend,
    week_bounds,
)
from storage.values import CurrentAnswer, ServiceRecord
from tests.summary_seed import NOW, PORTFOLIO, TEAM, TODAY, counted, records

LONDON = ZoneInfo("Europe/London")


def summary_of(items: list[ServiceRecord], previous: Figures | None = None):  # type: ignore[no-untyped-def]
    return build_summary(items, team_id=TEAM, now=NOW, tz=LONDON, previous=previous)


# --- independent arithmetic over the spec's letters ------------------------------------

MET_LETTERS = "MLm"


def latest_letters() -> dict[str, str]:
    """Each counted service's final rating letters, or '' when never assessed."""
    return {
        spec.name: spec.assessments[-1].ratings if spec.assessments else ""
        for spec in counted(PORTFOLIO)
    }


def test_headline_figures_match_the_spec() -> None:
    specs = counted(PORTFOLIO)
    letters = latest_letters()
    met = sum(sum(ch in MET_LETTERS for ch in text) for text in letters.values())
    applicable = sum(len(text) - text.count("X") for text in letters.values())
    fully = sum(
        1
        for spec in specs
        if spec.assessments
        and spec.assessments[-1].status == "completed"
        and spec.next_due_on >= TODAY
    )
    overdue = sum(1 for spec in specs if spec.next_due_on < TODAY)

    figures = summary_of(records(PORTFOLIO)).figures

    assert figures == Figures(12, fully, overdue, met, applicable)
    # Worked by hand from the seed, as a check on the check.
    assert (figures.services, figures.fully_assessed, figures.overdue) == (12, 4, 4)
    assert (figures.met, figures.applicable) == (79, 137)
    assert figures.share_percent == 58  # 79 / 137 = 57.7 %


def test_needs_attention_lists_overdue_flagged_stalled_never_and_not_met() -> None:
    summary = summary_of(records(PORTFOLIO))
    by_kind: dict[AttentionKind, list[tuple[str, int]]] = {}
    for item in summary.attention:
        value = {
            AttentionKind.FLAGGED: item.days_overdue,
            AttentionKind.OVERDUE: item.days_overdue,
            AttentionKind.STALLED: item.idle_days,
            AttentionKind.NEVER_ASSESSED: 0,
            AttentionKind.NOT_MET: item.not_met,
        }[item.kind]
        by_kind.setdefault(item.kind, []).append((item.name, value))

    assert by_kind[AttentionKind.FLAGGED] == [("Council tax", 45), ("Street lighting", 30)]
    assert by_kind[AttentionKind.OVERDUE] == [("Parking permits", 10), ("Pest control", 5)]
    assert by_kind[AttentionKind.STALLED] == [
        ("Library <loans>", 20),  # last answer 20 days ago
        ("Planning applications", 20),  # no answer at all: started 20 days ago
    ]
    assert by_kind[AttentionKind.NEVER_ASSESSED] == [("Blue badge", 0), ("Pest control", 0)]
    expected_not_met = sorted(
        ((name, text.count("N")) for name, text in latest_letters().items() if "N" in text),
        key=lambda pair: (-pair[1], pair[0].casefold()),
    )
    assert by_kind[AttentionKind.NOT_MET] == expected_not_met
    assert [kind for kind in by_kind] == list(AttentionKind)  # the order leaders read them in
    stalled = [item for item in summary.attention if item.kind is AttentionKind.STALLED]
    assert stalled[0].idle_since == NOW - timedelta(days=20)


def test_stalled_and_flagged_boundaries() -> None:
    base = records(PORTFOLIO)
    library = next(item for item in base if item.name == "Library <loans>")
    assert library.latest is not None
    just_under = dataclasses.replace(
        library,
        latest=dataclasses.replace(
            library.latest, last_answered_at=NOW - timedelta(days=14) + timedelta(seconds=1)
        ),
        next_due_on=TODAY - timedelta(days=29),
    )
    kinds = {item.kind for item in summary_of([just_under]).attention}
    assert AttentionKind.STALLED not in kinds
    assert AttentionKind.OVERDUE in kinds and AttentionKind.FLAGGED not in kinds
    exactly = dataclasses.replace(
        just_under,
        latest=dataclasses.replace(library.latest, last_answered_at=NOW - timedelta(days=14)),
        next_due_on=TODAY - timedelta(days=30),
    )
    kinds = {item.kind for item in summary_of([exactly]).attention}
    assert {AttentionKind.STALLED, AttentionKind.FLAGGED} <= kinds


def independent_weakest(standard: str) -> list[tuple[int, int, int]]:
    """(point, not met, partly met), ranked by not met + partly met, then not met, then point."""
    not_met: Counter[int] = Counter()
    partly: Counter[int] = Counter()
    for spec in counted(PORTFOLIO):
        if spec.assessments and spec.assessments[-1].standard == standard:
            for number, letter in enumerate(spec.assessments[-1].ratings, start=1):
                not_met[number] += letter == "N"
                partly[number] += letter == "P"
    ranked = sorted(
        ((n, not_met[n], partly[n]) for n in set(not_met) | set(partly) if not_met[n] + partly[n]),
        key=lambda row: (-(row[1] + row[2]), -row[1], row[0]),
    )
    return ranked[:5]


def test_weakest_points_per_standard() -> None:
    summary = summary_of(records(PORTFOLIO))
    weakest = {item.standard_id: item for item in summary.weakest}
    assert [item.standard_id for item in summary.weakest] == ["lgdss", "govuk-2019"]
    for standard in ("lgdss", "govuk-2019"):
        got = [(p.number, p.not_met, p.partly_met) for p in weakest[standard].points]
        assert got == independent_weakest(standard)
        assessed = sum(
            1
            for spec in counted(PORTFOLIO)
            if spec.assessments and spec.assessments[-1].standard == standard
        )
        assert weakest[standard].assessed == assessed == 5
        assert all(point.assessed == 5 for point in weakest[standard].points)
    # Worked by hand: LGDSS points 3 and 9 are not met by 3 services, point 4 partly met by 3.
    assert [p.number for p in weakest["lgdss"].points] == [3, 9, 4, 2, 5]
    assert [p.number for p in weakest["govuk-2019"].points] == [5, 9, 13, 6, 10]
    # Titles come from the newest snapshot: Council tax's old edition called point 3 otherwise.
    assert weakest["lgdss"].points[0].title == "lgdss point 3"
    assert weakest["lgdss"].title == "Local Government Digital Service Standard"


def test_evidence_gaps_are_bare_mets_on_the_newest_answer() -> None:
    summary = summary_of(records(PORTFOLIO))
    expected = sorted(
        (
            (name, tuple(n for n, letter in enumerate(text, start=1) if letter == "m"))
            for name, text in latest_letters().items()
            if "m" in text
        ),
        key=lambda pair: (-len(pair[1]), pair[0].casefold()),
    )
    assert [(gap.name, gap.points) for gap in summary.gaps] == expected
    assert expected == [
        ("Register a birth", (2, 8)),
        ("Council tax", (15,)),
        ("Garden waste", (14,)),
    ]
    assert summary.gap_count == 4


def test_service_lines_worst_first_with_counts() -> None:
    summary = summary_of(records(PORTFOLIO))
    letters = latest_letters()
    for line in summary.lines:
        text = letters[line.name]
        assert (line.met, line.partly_met, line.not_met, line.not_applicable, line.unanswered) == (
            sum(ch in MET_LETTERS for ch in text),
            text.count("P"),
            text.count("N"),
            text.count("X"),
            text.count("?"),
        )
    assert [line.name for line in summary.lines] == [
        "Pest control",  # never assessed and overdue
        "Blue badge",  # never assessed
        "Planning applications",  # 0 %
        "Housing repairs",  # 1/15
        "Library <loans>",  # 5/15
        "Street lighting",  # 3/8
        "Parking permits",  # 9/14
        "Council tax",  # 11/15
        "Register a birth",  # 10/13
        "Bins & recycling",  # 13/15
        "School admissions",  # 13/14
        "Garden waste",  # 14/14
    ]
    assert [line.share_percent for line in summary.lines] == [
        None,
        None,
        0,
        7,
        33,
        38,
        64,
        73,
        77,
        87,
        93,
        100,
    ]
    street = next(line for line in summary.lines if line.name == "Street lighting")
    assert (street.standard, street.phase, street.days_overdue) == ("Service Standard", "alpha", 30)


def test_heat_grids_one_per_standard_in_line_order() -> None:
    summary = summary_of(records(PORTFOLIO))
    grids = {grid.standard_id: grid for grid in summary.grids}
    assert set(grids) == {"lgdss", "govuk-2019"}
    lgdss = grids["lgdss"]
    assert lgdss.columns == tuple(range(1, 16))
    assert lgdss.never_assessed == 1  # Pest control
    assert [row.name for row in lgdss.rows] == [
        "Housing repairs",
        "Library <loans>",
        "Parking permits",
        "Council tax",
        "Bins & recycling",
    ]
    letter = {"met": "M", "partly_met": "P", "not_met": "N", "not_applicable": "X"}
    parking = lgdss.rows[2]
    assert "".join(letter.get(cell or "", "?") for cell in parking.cells) == "MNMPNMMMNPMXMMM"
    assert grids["govuk-2019"].never_assessed == 1  # Blue badge


def test_phase_filter_is_applied_by_the_caller_and_recorded() -> None:
    live = [item for item in records(PORTFOLIO) if item.phase == "live"]
    summary = build_summary(live, team_id=TEAM, now=NOW, tz=LONDON, phases=("live",))
    assert summary.phases == ("live",)
    assert summary.figures.services == 5


def test_trend_after_answers_change() -> None:
    before = summary_of(records(PORTFOLIO))
    baseline = Figures.from_json(before.figures.to_json())
    assert baseline == before.figures

    changed: list[ServiceRecord] = []
    for item in records(PORTFOLIO):
        if item.name == "Parking permits" and item.latest is not None:
            answers = dict(item.latest.answers)
            for number in (2, 5, 9):  # not met → met
                answers[number] = CurrentAnswer("met", True)
            item = dataclasses.replace(
                item,
                latest=dataclasses.replace(item.latest, answers=answers),
                next_due_on=TODAY + timedelta(days=180),
            )
        if item.name == "Housing repairs" and item.latest is not None:
            answers = dict(item.latest.answers)
            for number in (4, 5, 6):  # unanswered → met
                answers[number] = CurrentAnswer("met", True)
            item = dataclasses.replace(
                item, latest=dataclasses.replace(item.latest, answers=answers)
            )
        changed.append(item)
    after = summary_of(changed, previous=baseline)

    assert (after.figures.met, after.figures.applicable) == (79 + 6, 137)
    assert after.figures.share_percent == 62  # 85 / 137 = 62.0 %
    assert after.trend is not None
    assert after.trend.services == 0
    assert after.trend.fully_assessed == 1  # Parking permits completed and no longer overdue
    assert after.trend.overdue == -1
    assert after.trend.share_points == 4
    assert change_text(after.trend.share_points, "pts") == "▲ 4 pts"
    assert change_text(after.trend.overdue) == "▼ 1"
    assert change_text(after.trend.services) == "no change"
    assert before.trend is None


def test_figures_from_json_tolerates_missing_or_broken_data() -> None:
    assert Figures.from_json({}) is None
    assert Figures.from_json(None) is None
    assert Figures.from_json({"services": "x"}) is None
    assert Figures(1, 0, 0, 0, 0).share_percent is None
    assert trend(Figures(1, 0, 0, 0, 0), Figures(1, 0, 0, 1, 2)) is not None


def test_empty_portfolio() -> None:
    summary = summary_of([])
    assert summary.figures == Figures(0, 0, 0, 0, 0)
    assert summary.lines == summary.attention == summary.grids == ()


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        build_summary([], team_id=TEAM, now=datetime(2026, 1, 1), tz=LONDON)


@pytest.mark.parametrize(
    ("now", "weekday", "at", "expected"),
    [
        # Monday 09:00 London in winter (GMT) and in summer (BST).
        (datetime(2026, 3, 18, 12, tzinfo=UTC), 0, "09:00", datetime(2026, 3, 16, 9, tzinfo=UTC)),
        (datetime(2026, 7, 1, 12, tzinfo=UTC), 0, "09:00", datetime(2026, 6, 29, 8, tzinfo=UTC)),
        # Sunday 23:30 UTC in summer is already Monday in London: a new week.
        (
            datetime(2026, 7, 5, 23, 30, tzinfo=UTC),
            0,
            "09:00",
            datetime(2026, 7, 6, 8, tzinfo=UTC),
        ),
        (
            datetime(2026, 3, 18, 12, tzinfo=UTC),
            4,
            "16:45",
            datetime(2026, 3, 20, 16, 45, tzinfo=UTC),
        ),
    ],
)
def test_scheduled_instant(now: datetime, weekday: int, at: str, expected: datetime) -> None:
    assert scheduled_instant(now, weekday, at, LONDON) == expected


def test_week_bounds_follow_local_midnight() -> None:
    start, end = week_bounds(datetime(2026, 7, 1, 12, tzinfo=UTC), LONDON)
    assert start == datetime(2026, 6, 28, 23, tzinfo=UTC)
    assert end == datetime(2026, 7, 5, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("09:00", True),
        ("9:05", True),
        ("23:59", True),
        ("24:00", False),
        ("09:60", False),
        ("0900", False),
        ("", False),
        ("ab:cd", False),
    ],
)
def test_parse_time(text: str, ok: bool) -> None:
    assert (parse_time(text) is not None) is ok
