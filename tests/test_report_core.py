"""The report as data, assembled from real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.core.report import (
    NOT_ASSESSED,
    ActionEntry,
    ReportData,
    ReviewVerdict,
    build_reports,
    is_web_link,
    report_filename,
)
from storage.outcome_queries import measures_of_services
from storage.report_queries import (
    load_report_rows,
    remember_workspace_name,
    workspace_name,
)
from tests.report_outcome_seed import seed_outcomes
from tests.report_seed import BAD_LINK, EVIDENCE, SAFE_LINK, TITLES_NEW, seed_reports
from tests.test_export import T0


def reports(sessions: sessionmaker[Session], **kwargs: Any) -> dict[str, ReportData]:
    with sessions.begin() as session:
        rows = load_report_rows(session=session, team_id="T1")
    built = build_reports(rows, organisation="Borsetshire", **kwargs)
    return {report.service_name: report for report in built}


def test_latest_assessment_with_history_and_the_previous_rating(
    sessions: sessionmaker[Session],
) -> None:
    ids = seed_reports(sessions)
    bins = reports(sessions, person=lambda user: f"name of {user}")["Bins"]
    assert bins.assessment_id == ids.bins_new
    assert bins.previous_assessment_id == ids.bins_old
    assert bins.owners == ("name of UOWNER", "name of UTEAM")
    points = bins.points
    assert [point.title for point in points] == TITLES_NEW  # the titles as answered
    one, two, three = points
    assert one.rating == "met" and one.current.answered_by == "name of UTEAM"
    assert [entry.rating for entry in one.earlier] == ["partly_met"]
    assert one.previous_rating == "not_met"
    assert two.previous_rating == "met" and two.current.evidence == EVIDENCE
    assert two.current.links == (SAFE_LINK,)  # javascript: never becomes a link
    assert three.previous_rating is None  # the old snapshot had no point 3
    assert bins.status == "completed" and bins.overall == "met"  # met, met, n/a


def test_sections_for_other_features_are_there_and_empty_today(
    sessions: sessionmaker[Session],
) -> None:
    seed_reports(sessions)
    for report in reports(sessions).values():
        assert report.actions == () and report.reviews == () and report.outcomes == ()
        assert report.service_type == "transactional"  # no measures seeded: no outcomes
    # and they take the shapes their features will fill
    assert ActionEntry(1, "Fix it", "open", "Olive", None).title == "Fix it"
    assert ReviewVerdict(None, "Peer", "Met", "", None).verdict == "Met"


def test_in_progress_unanswered_never_assessed_and_archived(
    sessions: sessionmaker[Session],
) -> None:
    seed_reports(sessions)
    by_name = reports(sessions)
    parking = by_name["Parking"]
    assert parking.status == "in_progress" and parking.overall == "in_progress"
    assert [point.rating for point in parking.points] == ["not_met", "unanswered", "met"]
    assert all(point.previous_rating is None for point in parking.points)
    never = by_name["Never assessed"]
    assert never.status == NOT_ASSESSED and never.points == ()
    assert "Archived thing" not in by_name


def test_publishable_only_and_evidence_left_out(sessions: sessionmaker[Session]) -> None:
    seed_reports(sessions)
    with sessions.begin() as session:
        rows = load_report_rows(session=session, team_id="T1", publishable_only=True)
    built = build_reports(rows, organisation="B", with_evidence=False)
    assert [report.service_name for report in built] == ["Bins", "Never assessed", "Parking"]
    for report in built:
        for point in report.points:
            for entry in (point.current, *point.earlier):
                assert entry is None or (entry.evidence == "" and entry.links == ())


def test_another_workspace_sees_nothing(sessions: sessionmaker[Session]) -> None:
    seed_reports(sessions)
    with sessions.begin() as session:
        rows = load_report_rows(session=session, team_id="T2")
    assert rows.services == () and rows.answers == {}


def test_any_number_of_services_costs_five_statements(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    seed_reports(sessions)
    seed_reports(sessions, team_id="T1b")
    seed_outcomes(sessions)  # measures and readings cost the same three statements at any size
    seed_outcomes(sessions, name="Care two")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with sessions.begin() as session:
            rows = load_report_rows(session=session, team_id="T1")
            ids = [service.id for service in rows.services]
            measures = measures_of_services(session=session, team_id="T1", service_ids=ids)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 8, selects  # five for the answers, three for outcome measures
    assert len(rows.services) == 6
    assert sorted(len(found) for found in measures.values()) == [2, 2]


def test_the_workspace_name_is_remembered(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert workspace_name(session=session, team_id="T1") is None
        remember_workspace_name(session=session, team_id="T1", name="Borsetshire", now=T0)
    with sessions.begin() as session:
        remember_workspace_name(
            session=session, team_id="T1", name="Borsetshire CC", now=T0 + timedelta(days=1)
        )
    with sessions.begin() as session:
        assert workspace_name(session=session, team_id="T1") == "Borsetshire CC"


@pytest.mark.parametrize(
    ("link", "ok"),
    [
        (SAFE_LINK, True),
        ("http://example.org/x", True),
        ("HTTPS://EXAMPLE.ORG", True),
        (BAD_LINK, False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//example.org", False),
        ("https://", False),
    ],
)
def test_only_web_links_are_links(link: str, ok: bool) -> None:
    assert is_web_link(link) is ok


def test_report_file_names_are_safe_and_stable() -> None:
    assert report_filename("Bins & Recycling", 12) == "bins-recycling-12.html"
    assert report_filename("<script>alert(1)</script>", 3) == "script-alert-1-script-3.html"
    assert report_filename("Ŵyr 🎉", 4) == "yr-4.html"
    assert report_filename("🎉", 5) == "service-5.html"
