"""The report's outcome readings, service type and standards' credit, on both databases."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.core.portfolio_html import render_portfolio
from bot.core.publish import gather_site, open_data
from bot.core.report import ReportData, build_reports
from bot.core.report_follow_up import load_follow_up
from bot.core.report_html import render_report
from bot.core.report_outcomes import credits_of
from standards.loader import load_catalogue
from storage.models import Answer, Assessment
from storage.outcome_queries import measures_of_services
from storage.report_queries import load_report_rows
from tests.report_outcome_seed import CARE, CONTROL, READING_NOTE, VISITS, seed_outcomes
from tests.report_seed import seed_reports
from tests.test_export import T0
from tests.test_publish import cli_env as cli_env  # the fixture
from tests.test_publish import run_cli, validate

LONDON = ZoneInfo("Europe/London")
FLAG = "Met on paper, off target in practice"
CATALOGUE = load_catalogue(None)


def report_of(sessions: sessionmaker[Session], name: str = CARE, **kwargs: Any) -> ReportData:
    with sessions.begin() as session:
        rows = load_report_rows(session=session, team_id="T1")
        ids = [service.id for service in rows.services]
        measures = measures_of_services(session=session, team_id="T1", service_ids=ids)
        follow_up = load_follow_up(rows, session=session, team_id="T1")
    built = build_reports(
        rows,
        follow_up=follow_up,
        today=date(2026, 4, 1),
        organisation="Borsetshire",
        credits=credits_of(CATALOGUE),
        measures=measures,
        **kwargs,
    )
    return next(report for report in built if report.service_name == name)


def test_outcome_readings_latest_target_trend_and_the_flag(
    sessions: sessionmaker[Session],
) -> None:
    seed_outcomes(sessions)
    report = report_of(sessions)
    assert report.service_type == "relational"
    control, visits = report.outcomes
    assert (control.measure, control.unit) == (CONTROL, "%")
    assert (control.latest_period, control.latest_value) == ("January 2026", "72%")
    assert control.target == "target at least 80%"
    assert control.verdict == "✗ off target (at least 80%)" and control.on_target is False
    assert control.trend == "▼ down 3 points since December 2025, worse"
    assert control.points == (1,) and control.missed_last_two
    assert control.flagged_points == (1,)  # point 1 is rated met
    assert [figure for _, figure, _ in control.history] == ["82%", "75%", "72%"]
    assert control.note == READING_NOTE
    assert (visits.measure, visits.latest_value, visits.on_target) == (VISITS, "8 days", True)
    assert visits.trend == "▼ down 1 day since December 2025, better"
    assert visits.points == (2, 3) and visits.flagged_points == () and not visits.missed_last_two


def test_the_page_shows_the_table_the_points_measures_the_flag_and_the_credit(
    sessions: sessionmaker[Session],
) -> None:
    seed_outcomes(sessions)
    page = render_report(
        report_of(sessions), tz=LONDON, generated_at=datetime(2026, 3, 5, 9, tzinfo=LONDON)
    )
    assert "Relational (care, support, casework)" in page
    assert '<caption id="outcomes-caption">Latest outcome readings</caption>' in page
    assert "✗ off target (at least 80%); missed its target in each of its last two" in page
    assert "▼ down 3 points since December 2025, worse" in page
    assert "Outcome measures for point 1" in page and "Outcome measures for point 2" in page
    assert "<strong>Control over daily life</strong>: 72% for January 2026 · ✗ off target" in page
    assert page.count(FLAG) == 1  # point 1 only: point 2's measure is on target
    assert f"{FLAG}:</strong> this point is rated met, but {CONTROL} missed" in page
    assert 'role="img" aria-label="Control over daily life, readings oldest first: ' in page
    assert "November 2025: 82%; December 2025: 75%; January 2026: 72%" in page
    lgdss = credits_of(CATALOGUE)["lgdss"]
    assert lgdss.licence_url and f'<a href="{lgdss.licence_url}" rel="license">' in page
    assert READING_NOTE.replace("'", "&#x27;") in page  # evidence included: the note shows


def test_without_evidence_reading_notes_stay_out_but_figures_stay(
    sessions: sessionmaker[Session],
) -> None:
    seed_outcomes(sessions)
    report = report_of(sessions, with_evidence=False)
    assert all(reading.note == "" for reading in report.outcomes)
    page = render_report(report, tz=LONDON, generated_at=T0)
    assert "Mrs Patel" not in page and "72%" in page and FLAG in page


def test_no_measures_and_no_flag_when_the_point_is_not_rated_met(
    sessions: sessionmaker[Session],
) -> None:
    seed_reports(sessions)
    assert report_of(sessions, "Bins").outcomes == ()
    assert report_of(sessions, "Bins").service_type == "transactional"
    care_two = seed_outcomes(sessions, name="Care two")
    with sessions.begin() as session:  # point 1 (the missing measure's point) now partly met
        assessment = select(Assessment.id).where(Assessment.service_id == care_two)
        session.execute(
            update(Answer)
            .where(Answer.assessment_id.in_(assessment), Answer.point_number == 1)
            .values(rating="partly_met")
        )
    report = report_of(sessions, "Care two")
    assert report.outcomes[0].missed_last_two and report.outcomes[0].flagged_points == ()
    assert FLAG not in render_report(report, tz=LONDON, generated_at=T0)


HOSTILE = '<script>alert("m")</script>'
HOSTILE_NOTE = '"><img src=x onerror=alert(2)>'


def test_hostile_measure_names_and_notes_are_text(sessions: sessionmaker[Session]) -> None:
    seed_outcomes(sessions, measure_name=HOSTILE, note=HOSTILE_NOTE)
    page = render_report(report_of(sessions), tz=LONDON, generated_at=T0)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;m&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page


def test_published_site_has_type_credit_and_no_reading_notes(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_reports(sessions)
    seed_outcomes(sessions)
    site = gather_site(
        sessions=sessions,
        team_id="T1",
        organisation="B",
        now=T0,
        tz=LONDON,
        credits=credits_of(CATALOGUE),
    )
    index = render_portfolio(
        site.summary,
        site.reports,
        organisation="B",
        tz=LONDON,
        generated_at=T0,
        report_hrefs=site.hrefs,
    )
    assert "<td>Relational</td>" in index and "<td>Transactional</td>" in index
    lgdss = credits_of(CATALOGUE)["lgdss"]
    assert index.count(f'<a href="{lgdss.licence_url}" rel="license">') == 1  # once per standard
    types = {
        r["service"]["name"]: r["service"]["type"]
        for r in open_data(site, generated_at=T0, tz=LONDON)["assessments"]
    }
    assert types[CARE] == "relational" and types["Bins"] == "transactional"
    care = next(report for report in site.reports if report.service_name == CARE)
    assert all(reading.note == "" for reading in care.outcomes)


@pytest.mark.parametrize("standard", [s.id for s in CATALOGUE])
def test_every_standard_has_a_credit_line(standard: str) -> None:
    credit = credits_of(CATALOGUE)[standard]
    found = next(s for s in CATALOGUE if s.id == standard)
    assert credit.line == found.attribution_line


def test_assessbot_publish_and_report_carry_outcomes_and_credit(
    cli_env: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    care = seed_outcomes(sessions)
    site = tmp_path / "site"
    assert run_cli(["publish", "--out", str(site)]) == 0
    data = json.loads((site / "assessments.json").read_text(encoding="utf-8"))
    validate(data)
    assert data["assessments"][0]["service"] == {"id": care, "name": CARE, "type": "relational"}
    page = (site / data["assessments"][0]["report_url"]).read_text(encoding="utf-8")
    assert FLAG in page and "72% for January 2026" in page and "Mrs Patel" not in page
    lgdss = credits_of(CATALOGUE)["lgdss"]
    for html_page in (page, (site / "index.html").read_text(encoding="utf-8")):
        assert f'<a href="{lgdss.licence_url}" rel="license">' in html_page
    assert run_cli(["publish", "--out", str(site), "--with-evidence"]) == 0
    page = (site / data["assessments"][0]["report_url"]).read_text(encoding="utf-8")
    assert "Mrs Patel" in page
    out = tmp_path / "care.html"
    assert run_cli(["report", "--service", CARE, "--out", str(out)]) == 0
    assert "Mrs Patel" in out.read_text(encoding="utf-8") and FLAG in out.read_text("utf-8")
