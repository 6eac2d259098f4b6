"""The report as data, assembled from real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.core.report import (
    NOT_ASSESSED,
    ReportData,
    build_reports,
    is_web_link,
    report_filename,
)
from bot.core.report_follow_up import ActionEntry, PeerReview, PeerVerdict, load_follow_up
from bot.core.report_html import render_report
from storage.outcome_queries import measures_of_services
from storage.report_queries import (
    load_report_rows,
    remember_workspace_name,
    workspace_name,
)
from tests.report_outcome_seed import seed_outcomes
from tests.report_seed import (
    ACTION_DONE,
    ACTION_DROPPED,
    ACTION_LATE,
    ACTION_OPEN,
    ANSWERED_CHALLENGE,
    BAD_LINK,
    CHALLENGE_COMMENT,
    EVIDENCE,
    FAR_FUTURE,
    HIDDEN,
    HIDDEN_ACTION,
    REVIEWER,
    REVIEWER_ORG,
    SAFE_LINK,
    TITLES_NEW,
    WITHDRAWN_REVIEWER,
    add_action,
    add_review,
    seed_reports,
)
from tests.test_export import T0, add_assessment, add_service

TODAY = date(2026, 4, 1)  # after the late action's due date, long before the others'


def reports(
    sessions: sessionmaker[Session], team_id: str = "T1", **kwargs: Any
) -> dict[str, ReportData]:
    with sessions.begin() as session:
        rows = load_report_rows(session=session, team_id=team_id)
        follow_up = load_follow_up(rows, session=session, team_id=team_id)
    kwargs.setdefault("today", TODAY)
    built = build_reports(rows, follow_up=follow_up, organisation="Borsetshire", **kwargs)
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


def test_actions_and_peer_review_of_the_latest_assessment(
    sessions: sessionmaker[Session],
) -> None:
    seed_reports(sessions)
    by_name = reports(sessions, person=lambda user: f"name of {user}")
    bins = by_name["Bins"]
    # by point, open first: this assessment's actions, and last time's that are done or open
    assert bins.actions == (
        ActionEntry(1, ACTION_LATE, "name of UACTION", date(2026, 3, 20), "open", True, None),
        ActionEntry(1, ACTION_OPEN, "name of UACTION", FAR_FUTURE, "open", False, None),
        ActionEntry(
            2, ACTION_DONE, "name of UACTION", date(2026, 1, 5), "done", False, T0 - timedelta(60)
        ),
        ActionEntry(
            2,
            ACTION_DROPPED,
            "name of UACTION",
            FAR_FUTURE,
            "dropped",
            False,
            T0 + timedelta(days=3),
        ),
    )
    # one review (the withdrawn one is not shown), counted as first answered
    assert bins.reviews == (PeerReview(REVIEWER, REVIEWER_ORG, T0 + timedelta(days=5), 1, 2, 1, 3),)
    one, two, three = bins.verdicts
    assert one == PeerVerdict(
        1, REVIEWER, REVIEWER_ORG, "agree", False, None, "", "none", one.given_at
    )
    assert (two.verdict, two.reviewer_rating, two.comment, two.challenge_status) == (
        "challenge",
        "partly_met",
        CHALLENGE_COMMENT,
        "open",
    )
    assert two.open and not three.open
    assert (three.verdict, three.challenged, three.reviewer_rating, three.comment) == (
        "agree",
        True,
        "not_met",
        ANSWERED_CHALLENGE,
    )
    assert three.challenge_status == "agreed"
    assert WITHDRAWN_REVIEWER not in repr(bins)
    assert [action.text for action in by_name[HIDDEN].actions] == [HIDDEN_ACTION]
    for name in ("Parking", "Never assessed"):
        assert by_name[name].actions == () and by_name[name].reviews == ()
    # no outcome measures in this seed (tests/test_report_outcomes.py has them)
    assert all(r.outcomes == () and r.service_type == "transactional" for r in by_name.values())


def test_overdue_is_judged_on_the_day_of_the_report(sessions: sessionmaker[Session]) -> None:
    seed_reports(sessions)
    early = reports(sessions, today=date(2026, 3, 20))["Bins"]
    assert not any(action.overdue for action in early.actions)  # due today is not overdue
    late = reports(sessions, today=date(2026, 3, 21))["Bins"]
    assert [action.text for action in late.actions if action.overdue] == [ACTION_LATE]


def test_without_evidence_actions_and_comments_are_left_out_but_counted(
    sessions: sessionmaker[Session],
) -> None:
    seed_reports(sessions)
    bins = reports(sessions, with_evidence=False)["Bins"]
    assert [action.text for action in bins.actions] == ["", "", "", ""]
    assert [action.status for action in bins.actions] == ["open", "open", "done", "dropped"]
    assert [verdict.comment for verdict in bins.verdicts] == ["", "", ""]
    assert [verdict.verdict for verdict in bins.verdicts] == ["agree", "challenge", "agree"]
    page = render_report(bins, tz=ZoneInfo("Europe/London"), generated_at=T0)
    for secret in (ACTION_OPEN, ACTION_LATE, CHALLENGE_COMMENT, ANSWERED_CHALLENGE):
        assert secret not in page
    assert "4 improvement actions: 2 open (1 overdue), 1 done, 1 dropped." in page
    assert "Not included in this copy" in page


def test_the_rendered_report_shows_actions_and_verdicts(sessions: sessionmaker[Session]) -> None:
    seed_reports(sessions)
    bins = reports(sessions)["Bins"]
    page = render_report(bins, tz=ZoneInfo("Europe/London"), generated_at=T0)
    for needed in (
        '<h2 id="follow-up">Actions and peer review</h2>',
        "4 improvement actions: 2 open (1 overdue), 1 done, 1 dropped.",
        f"Peer review by <strong>{REVIEWER} ({REVIEWER_ORG})</strong>",
        "1 agreed, 2 challenged.",
        "1 challenge still open.",
        "<caption>Improvement actions on point 1</caption>",
        ACTION_OPEN,
        '20 March 2026 <strong class="overdue">Overdue</strong>',
        "Done on 1 January 2026",
        "Dropped on 5 March 2026",
        "<caption>Peer review of point 2</caption>",
        '<th scope="col">Peer review</th>',
        'Challenge: <span class="badge partly">',
        CHALLENGE_COMMENT,
        "Open: waiting for the team",
        "Agree, after challenging as",
        "Resolved: the reviewer agreed after the team&#x27;s response",
    ):
        assert needed in page, needed
    assert WITHDRAWN_REVIEWER not in page and "Withdrawn words" not in page


def test_hostile_action_and_comment_are_escaped(sessions: sessionmaker[Session]) -> None:
    script, img = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'
    with sessions.begin() as session:
        service = add_service(session, "Hostile")
        assessment = add_assessment(
            session, service, ["One"], started_at=T0, completed_at=T0 + timedelta(1)
        )
        add_action(session, assessment, 1, f"{script}{img}", due_on=FAR_FUTURE, owner=img)
        add_review(session, assessment, script, img, [(1, "challenge", "not_met", img + script)])
    page = render_report(
        reports(sessions)["Hostile"], tz=ZoneInfo("Europe/London"), generated_at=T0
    )
    assert "<script>" not in page and "<img" not in page
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    )
    assert f"{img}{script}".replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in page


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
        follow_up = load_follow_up(rows, session=session, team_id="T1")
    built = build_reports(
        rows, follow_up=follow_up, today=TODAY, organisation="B", with_evidence=False
    )
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


def test_any_number_of_services_costs_ten_statements(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    def selects(team_id: str) -> tuple[int, int, int]:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            with sessions.begin() as session:
                rows = load_report_rows(session=session, team_id=team_id)
                follow_up = load_follow_up(rows, session=session, team_id=team_id)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        found = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        actions = sum(len(value) for value in follow_up.actions.values())
        return len(found), len(rows.services), actions

    seed_reports(sessions)
    assert selects("T1") == (10, 4, 5)  # rows 5, actions 2, invitations 1, verdicts+responses 2
    seed_reports(sessions, team_id="T1b")
    with sessions.begin() as session:  # many more services, each with actions and a review
        for number in range(20):
            service = add_service(session, f"More {number}", team_id="T1b")
            assessment = add_assessment(
                session, service, ["One"], started_at=T0, completed_at=T0 + timedelta(1)
            )
            add_action(session, assessment, 1, "Fix it", due_on=FAR_FUTURE)
            add_review(session, assessment, "Pat", "", [(1, "challenge", "met", "Hmm")])
    assert selects("T1b") == (10, 24, 25)


def test_outcome_measures_cost_three_more_statements_at_any_size(
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
    reads = ("SELECT", "WITH")  # the readings' statement starts with its CTE
    selects = [s for s in statements if s.lstrip().upper().startswith(reads)]
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
