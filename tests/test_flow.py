"""The assessment flow's domain logic, on SQLite and PostgreSQL, with no Slack at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.flow import (
    SUPERSEDED,
    FlowError,
    complete_if_done,
    parse_links,
    plan_next_card,
    record_evidence,
    record_rating,
    reserve_next_card,
    skip_point,
    start_assessment,
    supersede_open_cards,
    tally,
)
from bot.core.services import (
    NotFound,
    ServiceForm,
    find_service,
    register_service,
    update_service,
    validate_form,
)
from standards import load_catalogue
from storage.assessment_queries import current_answers
from storage.models import Answer, Assessment, Card, CardStatus, Service
from storage.values import Rating

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
CATALOGUE = load_catalogue()


def form(**changes: object) -> ServiceForm:
    values: dict[str, object] = {
        "name": "Garden waste",
        "description": "Collect garden waste every fortnight",
        "standard_id": "lgdss",
        "phase": "beta",
        "team_channel_id": "C1",
        "owner_ids": ("U1",),
        "interval_months": 6,
        "last_assessed_on": None,
    }
    values.update(changes)
    return ServiceForm(**values)  # type: ignore[arg-type]


def new_service(session: Session, **changes: object) -> Service:
    return register_service(
        form(**changes), team_id="T1", user_id="U1", now=NOW, tz=LONDON, session=session
    )


def new_assessment(session: Session, service: Service) -> Assessment:
    standard = CATALOGUE.get(service.standard_id)
    assert standard is not None
    return start_assessment(
        service,
        standard,
        user_id="U1",
        channel_id="C1",
        thread_ts="1.0",
        now=NOW,
        session=session,
    )


def test_registration_sets_due_dates(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        never = new_service(session)
        assessed = new_service(session, name="Parking", last_assessed_on=date(2025, 12, 31))
        assert never.next_due_on == date(2026, 4, 2) and never.due_reason == "never_assessed"
        assert assessed.next_due_on == date(2026, 6, 30) and assessed.due_reason == "interval"


def test_validation_reports_each_field(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        new_service(session)
        errors = validate_form(
            form(
                name="  GARDEN   waste ",
                owner_ids=(),
                standard_id="nope",
                phase="gamma",
                interval_months=5,
                last_assessed_on=date(2027, 1, 1),
            ),
            team_id="T1",
            catalogue=CATALOGUE,
            today=NOW.date(),
            session=session,
        )
        assert set(errors) == {"name", "owners", "standard", "phase", "interval", "last_assessed"}
        assert "already a service" in errors["name"]
        long = validate_form(
            form(name="x" * 81),
            team_id="T1",
            catalogue=CATALOGUE,
            today=NOW.date(),
            session=session,
        )
        assert "80 characters" in long["name"]
        other_team = validate_form(
            form(), team_id="T2", catalogue=CATALOGUE, today=NOW.date(), session=session
        )
        assert other_team == {}


def test_find_service_ignores_case_and_suggests(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        new_service(session)
        new_service(session, name="Garden rooms")
        assert isinstance(find_service("garden WASTE", team_id="T1", session=session), Service)
        missing = find_service("Gardn waste", team_id="T1", session=session)
        assert isinstance(missing, NotFound) and missing.suggestions[0] == "Garden waste"
        elsewhere = find_service("Garden waste", team_id="T2", session=session)
        assert isinstance(elsewhere, NotFound) and elsewhere.all_names == ()


def test_phase_change_makes_reassessment_due_now(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service = new_service(session)
        later = NOW + timedelta(days=10)
        assert update_service(service, form(phase="live"), now=later, tz=LONDON, session=session)
        assert service.next_due_on == later.date() and service.due_reason == "phase_change"
        assert not update_service(
            service, form(phase="live", name="Green waste"), now=later, tz=LONDON, session=session
        )


def test_answers_are_append_only_and_double_clicks_are_ignored(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        assessment = new_assessment(session, new_service(session))
        assert record_rating(assessment, 1, Rating.MET, user_id="U1", now=NOW, session=session)
        assert (
            record_rating(assessment, 1, Rating.MET, user_id="U1", now=NOW, session=session) is None
        )
        assert record_rating(assessment, 1, Rating.MET, user_id="U2", now=NOW, session=session)
        assert record_rating(assessment, 1, Rating.NOT_MET, user_id="U1", now=NOW, session=session)
        record_evidence(
            assessment,
            1,
            "Research report",
            ["https://example.gov.uk/r"],
            user_id="U2",
            now=NOW,
            session=session,
        )
        rows = session.scalars(select(Answer).order_by(Answer.id)).all()
        assert [row.rating for row in rows] == ["met", "met", "not_met", "not_met"]
        current = current_answers(assessment.id, session=session)[1]
        assert (current.rating, current.evidence, current.evidence_links) == (
            "not_met",
            "Research report",
            ["https://example.gov.uk/r"],
        )
        with pytest.raises(FlowError):
            record_rating(assessment, 99, Rating.MET, user_id="U1", now=NOW, session=session)
        with pytest.raises(FlowError, match="reason"):
            record_rating(
                assessment,
                2,
                Rating.NOT_APPLICABLE,
                user_id="U1",
                now=NOW,
                session=session,
                reason="  ",
            )
        with pytest.raises(FlowError, match="Rate this point first"):
            record_evidence(assessment, 3, "x", [], user_id="U1", now=NOW, session=session)


def test_cards_go_in_order_skips_come_back_and_reservation_is_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        assessment = new_assessment(session, new_service(session))
        first = reserve_next_card(assessment, now=NOW, session=session)
        assert first is not None and first.point_number == 1
        assert reserve_next_card(assessment, now=NOW, session=session) is None  # card 1 open
        record_rating(assessment, 1, Rating.MET, user_id="U1", now=NOW, session=session)
        second = reserve_next_card(assessment, now=NOW, session=session)
        assert second is not None and second.point_number == 2
        skip_point(assessment, 2, user_id="U1", now=NOW, session=session)
        order = []
        for _ in range(13):
            card = reserve_next_card(assessment, now=NOW, session=session)
            assert card is not None
            order.append(card.point_number)
            record_rating(
                assessment,
                card.point_number,
                Rating.PARTLY_MET,
                user_id="U1",
                now=NOW,
                session=session,
            )
        assert order == list(range(3, 16))
        back = reserve_next_card(assessment, now=NOW, session=session)
        assert back is not None and (back.point_number, back.attempt) == (2, 1)


def test_resume_reposts_the_current_point(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assessment = new_assessment(session, new_service(session))
        reserve_next_card(assessment, now=NOW, session=session)
        supersede_open_cards(assessment.id, now=NOW, session=session)
        again = reserve_next_card(assessment, now=NOW, session=session)
        assert again is not None and (again.point_number, again.attempt) == (1, 1)
        statuses = session.scalars(select(Card.status).order_by(Card.id)).all()
        assert statuses == [SUPERSEDED, CardStatus.OPEN]


def test_plan_next_card_is_pure() -> None:
    assert plan_next_card([1, 2, 3], set(), []) == plan_next_card([1, 2, 3], set(), [])
    assert plan_next_card([1, 2, 3], {1, 2, 3}, []) is None


def test_completion_sets_next_due_date_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service = new_service(session, standard_id="govuk-2019")
        assessment = new_assessment(session, service)
        for number in range(1, 14):
            record_rating(assessment, number, Rating.MET, user_id="U1", now=NOW, session=session)
        assert complete_if_done(assessment, service, now=NOW, tz=LONDON, session=session) is None
        record_rating(
            assessment,
            14,
            Rating.NOT_APPLICABLE,
            user_id="U1",
            now=NOW,
            session=session,
            reason="No code yet",
        )
        result = complete_if_done(assessment, service, now=NOW, tz=LONDON, session=session)
        assert result is not None and (result.met, result.not_applicable) == (13, 1)
        assert assessment.status == "completed" and service.next_due_on == date(2026, 9, 3)
        assert complete_if_done(assessment, service, now=NOW, tz=LONDON, session=session) is None
        assert session.scalar(select(func.count()).select_from(Answer)) == 14


def test_tally_counts() -> None:
    result = tally([1, 2, 3, 4], {})
    assert result.unanswered == (1, 2, 3, 4) and result.answered == 0


def test_links_are_validated() -> None:
    assert parse_links("https://a.gov.uk/x\nhttp://b.org") == (
        ["https://a.gov.uk/x", "http://b.org"],
        None,
    )
    assert parse_links("javascript:alert(1)")[1] is not None
    assert parse_links("https://evil|click")[1] is not None
    assert parse_links(" ".join(["https://a.org"] * 11))[1] is not None
