"""Which assessment a click may write into, checked directly on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.core.closed import ClosedAssessment, Source, check_open
from storage.models import Assessment, Service
from tests.reminder_seed import add_assessment, add_service

STARTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def service_with(session: Session, *statuses: str) -> tuple[Service, list[Assessment]]:
    service = add_service(session, "Bins", next_due_on=date(2026, 9, 1))
    made = [
        add_assessment(session, service, started_at=STARTED + timedelta(days=index), status=status)
        for index, status in enumerate(statuses)
    ]
    return service, made


def test_an_assessment_in_progress_takes_clicks_from_anywhere(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        service, [running] = service_with(session, "in_progress")
        for source in Source:
            check_open(running, service, source=source, session=session)


def test_a_completed_latest_assessment_is_closed_to_cards_but_open_to_status(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        service, [done] = service_with(session, "completed")
        check_open(done, service, source=Source.STATUS, session=session)
        with pytest.raises(ClosedAssessment) as refused:
            check_open(done, service, source=Source.CARD, session=session)
    closed = refused.value.closed
    assert closed.assessment_id == done.id and closed.completed_at == done.completed_at
    assert closed.newer_started_at is None and not closed.newer_in_progress


def test_a_replaced_assessment_is_closed_to_everything(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service, [old, new] = service_with(session, "completed", "in_progress")
        for source in Source:
            with pytest.raises(ClosedAssessment) as refused:
                check_open(old, service, source=source, session=session)
            closed = refused.value.closed
            assert closed.newer_started_at == new.started_at and closed.newer_in_progress
            assert closed.source == source
        check_open(new, service, source=Source.CARD, session=session)
