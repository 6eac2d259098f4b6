"""Reading and writing assessments, answers and cards.

Answers are append-only; "the current answer" is the newest row per point. Writers lock the
assessment row first (`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already
serialises writers) so two people answering the last two points at once cannot both miss
the completion.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.claims import insert_once
from storage.models import Answer, Assessment, AssessmentPoint, Card, CardStatus
from storage.values import AssessmentStatus


def assessment_for_update(
    assessment_id: int, *, team_id: str, session: Session
) -> Assessment | None:
    """The assessment, locked for this transaction, only if it is in `team_id`."""
    return session.scalars(
        select(Assessment)
        .where(Assessment.id == assessment_id, Assessment.team_id == team_id)
        .with_for_update()
    ).one_or_none()


def assessment_by_id(assessment_id: int, *, team_id: str, session: Session) -> Assessment | None:
    return session.scalars(
        select(Assessment)
        .where(Assessment.id == assessment_id, Assessment.team_id == team_id)
        .options(selectinload(Assessment.points))
    ).one_or_none()


def in_progress_assessment(service_id: int, *, session: Session) -> Assessment | None:
    return session.scalars(
        select(Assessment).where(
            Assessment.service_id == service_id,
            Assessment.status == AssessmentStatus.IN_PROGRESS,
        )
    ).one_or_none()


def latest_assessment(service_id: int, *, session: Session) -> Assessment | None:
    return session.scalars(
        select(Assessment)
        .where(Assessment.service_id == service_id)
        .order_by(Assessment.id.desc())
        .limit(1)
    ).first()


def previous_completed(
    service_id: int, *, before_id: int | None = None, session: Session
) -> Assessment | None:
    """The newest completed assessment (before `before_id`, when given)."""
    query = select(Assessment).where(
        Assessment.service_id == service_id,
        Assessment.status == AssessmentStatus.COMPLETED,
    )
    if before_id is not None:
        query = query.where(Assessment.id < before_id)
    return session.scalars(query.order_by(Assessment.id.desc()).limit(1)).first()


def current_answers(assessment_id: int, *, session: Session) -> dict[int, Answer]:
    """The newest answer of each answered point."""
    newest = (
        select(func.max(Answer.id))
        .where(Answer.assessment_id == assessment_id)
        .group_by(Answer.point_number)
    )
    rows = session.scalars(select(Answer).where(Answer.id.in_(newest)))
    return {answer.point_number: answer for answer in rows}


def point_titles(assessment_id: int, *, session: Session) -> dict[int, str]:
    """The assessment's snapshot of point titles by number, without loading the assessment."""
    rows = session.execute(
        select(AssessmentPoint.number, AssessmentPoint.title)
        .where(AssessmentPoint.assessment_id == assessment_id)
        .order_by(AssessmentPoint.number)
    )
    return {number: title for number, title in rows}


def cards_of(assessment_id: int, *, session: Session) -> list[Card]:
    return list(
        session.scalars(select(Card).where(Card.assessment_id == assessment_id).order_by(Card.id))
    )


def reserve_card(
    *,
    assessment_id: int,
    point_number: int,
    attempt: int,
    channel_id: str,
    now: datetime,
    session: Session,
) -> int | None:
    """Insert the card unless someone else already did; the id only for the winner."""
    return insert_once(
        Card,
        {
            "assessment_id": assessment_id,
            "point_number": point_number,
            "attempt": attempt,
            "status": CardStatus.OPEN,
            "channel_id": channel_id,
            "reserved_at": now,
        },
        conflict_columns=["assessment_id", "point_number", "attempt"],
        returning=Card.id,
        session=session,
    )


def unposted_cards(assessment_id: int, *, session: Session) -> list[Card]:
    """Cards reserved but never posted (the process died between reserve and post)."""
    return list(
        session.scalars(
            select(Card).where(
                Card.assessment_id == assessment_id,
                Card.status == CardStatus.OPEN,
                Card.message_ts.is_(None),
            )
        )
    )
