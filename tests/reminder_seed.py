"""Small builders for the reminder tests: services, assessments in progress, answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from bot.core.due import DueReason
from storage.models import Answer, Assessment, AssessmentPoint, Service, ServiceOwner

REGISTERED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def add_service(
    session: Session,
    name: str,
    *,
    next_due_on: date,
    owners: Sequence[str] = ("UOWNER",),
    team_id: str = "T1",
    channel: str = "CTEAM",
    due_reason: str = DueReason.NEVER_ASSESSED,
    last_assessed_on: date | None = None,
    phase: str = "beta",
    archived_at: datetime | None = None,
    snoozed_until: datetime | None = None,
    created_at: datetime = REGISTERED,
) -> Service:
    service = Service(
        team_id=team_id,
        name=name,
        name_key=name.casefold(),
        description="",
        standard_id="lgdss",
        phase=phase,
        team_channel_id=channel,
        interval_months=6,
        last_assessed_on=last_assessed_on,
        next_due_on=next_due_on,
        due_reason=due_reason,
        created_by=owners[0] if owners else "UADMIN",
        created_at=created_at,
        updated_at=created_at,
        archived_at=archived_at,
        archived_by="UADMIN" if archived_at else None,
        snoozed_until=snoozed_until,
        owners=[ServiceOwner(user_id=owner) for owner in owners],
    )
    session.add(service)
    session.flush()
    return service


def add_assessment(
    session: Session,
    service: Service,
    *,
    started_at: datetime,
    answers: Sequence[tuple[int, datetime]] = (),
    status: str = "in_progress",
    point_count: int = 15,
) -> Assessment:
    assessment = Assessment(
        team_id=service.team_id,
        service_id=service.id,
        standard_id="lgdss",
        standard_version="1",
        standard_title="Local Government Digital Service Standard",
        phase=service.phase,
        status=status,
        started_by=service.created_by,
        started_at=started_at,
        completed_at=None if status == "in_progress" else started_at,
        channel_id=service.team_channel_id,
        point_count=point_count,
        points=[AssessmentPoint(number=n, title=f"Point {n}") for n in range(1, point_count + 1)],
    )
    session.add(assessment)
    session.flush()
    for number, answered_at in answers:
        session.add(
            Answer(
                team_id=service.team_id,
                assessment_id=assessment.id,
                point_number=number,
                rating="met",
                evidence="Because.",
                evidence_links=[],
                answered_by=service.created_by,
                answered_at=answered_at,
            )
        )
    session.flush()
    return assessment
