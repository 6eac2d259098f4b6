"""What lists, Home and status read (#17): the database's counts must agree with what the
assessment itself says, on SQLite and PostgreSQL; and messages built from the first services
of a large workspace still count all of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.portfolio import (
    HOME_LINES,
    LIST_LINES,
    SHORTEST_LINE,
    build_home,
    build_list,
    service_line,
)
from bot.core.flow import tally
from bot.core.overview import ServiceLine, service_lines
from standards import load_catalogue
from storage.assessment_queries import current_answers
from storage.models import Answer, Assessment, Service, ServiceOwner
from storage.overview_queries import RatingCounts, latest_assessments, service_views
from storage.views import ServiceView

NOW = datetime(2026, 3, 3, 10, tzinfo=UTC)
CATALOGUE = load_catalogue()


def _service(name: str, owners: tuple[str, ...] = ("U1",), team_id: str = "T1") -> Service:
    return Service(
        team_id=team_id,
        name=name,
        name_key=name.casefold(),
        description="About " + name,
        standard_id="lgdss",
        phase="beta",
        team_channel_id="C1",
        interval_months=6,
        next_due_on=NOW.date(),
        due_reason="interval",
        created_by="U1",
        created_at=NOW,
        updated_at=NOW,
        owners=[ServiceOwner(user_id=user) for user in owners],
    )


def _assessment(service: Service, status: str, points: int = 15) -> Assessment:
    return Assessment(
        team_id=service.team_id,
        service=service,
        standard_id="lgdss",
        standard_version="2016",
        standard_title="LGDSS",
        phase="beta",
        status=status,
        started_by="U1",
        started_at=NOW,
        channel_id="C1",
        point_count=points,
    )


def _answer(assessment: Assessment, number: int, rating: str, minutes: int) -> Answer:
    return Answer(
        team_id="T1",
        assessment_id=assessment.id,
        point_number=number,
        rating=rating,
        evidence="long evidence " * 50,
        evidence_links=["https://example.gov.uk/a"],
        answered_by="U1",
        answered_at=NOW + timedelta(minutes=minutes),
    )


def test_counts_are_the_newest_answer_of_each_point_of_the_latest_assessment(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        bins, parks, roads, gone = (_service(n) for n in ("Bins", "Parks", "Roads", "Gone"))
        gone.archived_at = NOW
        session.add_all([bins, parks, roads, gone, _service("Elsewhere", team_id="T2")])
        old, latest = _assessment(bins, "completed"), _assessment(bins, "in_progress")
        session.add_all([old, latest, _assessment(parks, "in_progress")])  # Parks: no answers
        session.add(_assessment(gone, "completed"))
        session.flush()
        session.add_all([_answer(old, n, "met", n) for n in range(1, 16)])
        ratings = ["met", "partly_met", "not_met", "not_applicable", "met"]
        session.add_all([_answer(latest, n, r, n) for n, r in enumerate(ratings, start=1)])
        session.add(_answer(latest, 1, "not_met", 60))  # changed later: not met now
        session.add(_answer(latest, 3, "met", 61))  # and this one met
        session.add(_answer(latest, 16, "met", 62))  # not one of its 15 points
        latest_id = latest.id

    with sessions() as session:
        found = latest_assessments(session=session, team_id="T1")
        answers = current_answers(latest_id, session=session)
    assert set(found) == {bins.id, parks.id}  # Roads never assessed; Gone archived
    assert found[bins.id].assessment.id == latest_id and found[bins.id].assessment.in_progress
    assert found[bins.id].counts == RatingCounts(
        total=15, answered=5, met=2, partly_met=1, not_met=1, not_applicable=1
    )
    live = tally(list(range(1, 16)), answers)  # what the assessment itself counts
    counted = found[bins.id].counts
    assert (counted.met, counted.partly_met, counted.not_met, counted.not_applicable) == (
        live.met,
        live.partly_met,
        live.not_met,
        live.not_applicable,
    )
    assert counted.answered == live.answered
    assert found[parks.id].counts == RatingCounts(15, 0, 0, 0, 0, 0)

    with sessions() as session:  # /assess status of an archived service still finds its own
        archived = latest_assessments(session=session, team_id="T1", service_ids=[gone.id])
        elsewhere = latest_assessments(session=session, team_id="T2", service_ids=[bins.id])
    assert list(archived) == [gone.id] and archived[gone.id].counts.answered == 0
    assert elsewhere == {}  # ids from another workspace are not read


def test_service_views_are_the_live_services_by_name_with_their_owners(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        gone = _service("Gone")
        gone.archived_at = NOW
        session.add_all([_service("roads", ("U3", "U1")), _service("Bins", ()), gone])
        session.add(_service("Other", team_id="T2"))
    with sessions() as session:
        views = service_views(session=session, team_id="T1")
        lines = service_lines(views, catalogue=CATALOGUE, session=session)
    assert [(v.name, v.owner_ids, v.description) for v in views] == [
        ("Bins", (), "About Bins"),
        ("roads", ("U1", "U3"), "About roads"),
    ]
    assert [(line.standard_short, line.latest, line.tally) for line in lines] == [
        ("LGDSS", None, None),
        ("LGDSS", None, None),
    ]


def _line(n: int) -> ServiceLine:
    service = ServiceView(
        id=n,
        team_id="T1",
        name=f"S{n}",
        standard_id="lgdss",
        phase="beta",
        team_channel_id="C1",
        next_due_on=date(2026, 6, 1),
        owner_ids=("U1",),
    )
    return ServiceLine(service, "LGDSS", None, None)


def test_a_list_of_the_first_services_counts_them_all_and_says_there_are_more() -> None:
    shown = [_line(n) for n in range(LIST_LINES)]
    blocks = build_list(shown, NOW.date(), total=5000)
    assert blocks[0]["text"]["text"] == "Services (5000)"
    assert "More services than fit here" in blocks[-1]["elements"][0]["text"]
    everything = build_list(shown[:3], NOW.date())
    assert everything[0]["text"]["text"] == "Services (3)" and len(everything) == 2


def test_home_from_the_first_lines_of_each_section_counts_every_service() -> None:
    mine, others = [_line(n) for n in range(3)], [_line(n) for n in range(10, 10 + HOME_LINES)]
    view = build_home(mine, others, NOW.date(), totals=(3, 4000))
    texts = [str(block) for block in view["blocks"]]
    assert any("`/assess list` shows all 4000" in text for text in texts)
    assert len(view["blocks"]) <= 100


def test_no_list_line_is_shorter_than_the_loaders_assume() -> None:
    """`SHORTEST_LINE` bounds how many services `/assess list` and Home read at all."""
    service = ServiceView(
        id=1,
        team_id="T1",
        name="x",
        standard_id="x",
        phase="live",
        team_channel_id="C1",
        next_due_on=date(2026, 6, 1),
        service_type="relational",
    )
    counts = RatingCounts(total=1, answered=0, met=0, partly_met=0, not_met=0, not_applicable=0)
    for line in (ServiceLine(service, "x", None, None), ServiceLine(service, "x", None, counts)):
        assert len(service_line(line, date(2026, 1, 1))) >= SHORTEST_LINE
