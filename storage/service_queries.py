"""Finding services, always inside one workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.models import Assessment, Service


def service_by_id(service_id: int, *, team_id: str, session: Session) -> Service | None:
    """The service, only if it belongs to `team_id` (button values can be forged)."""
    return session.scalars(
        select(Service)
        .where(Service.id == service_id, Service.team_id == team_id)
        .options(selectinload(Service.owners))
    ).one_or_none()


def service_of_assessment(assessment_id: int, *, team_id: str, session: Session) -> Service | None:
    """The service an assessment belongs to (with its owners), only inside `team_id`."""
    return session.scalars(
        select(Service)
        .join(Assessment, Assessment.service_id == Service.id)
        .where(Assessment.id == assessment_id, Assessment.team_id == team_id)
        .options(selectinload(Service.owners))
    ).one_or_none()


def service_by_name(name: str, *, team_id: str, session: Session) -> Service | None:
    return session.scalars(
        select(Service)
        .where(Service.team_id == team_id, Service.name_key == name_key(name))
        .options(selectinload(Service.owners))
    ).one_or_none()


def service_names(*, team_id: str, session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Service.name)
            .where(Service.team_id == team_id, Service.archived_at.is_(None))
            .order_by(Service.name_key)
        )
    )


def name_key(name: str) -> str:
    """Names are unique per workspace ignoring case (and surrounding spaces)."""
    return " ".join(name.split()).casefold()


def archived_service_names(*, team_id: str, session: Session) -> list[str]:
    """Names held by archived services (they can be restored, so they are not free)."""
    return list(
        session.scalars(
            select(Service.name)
            .where(Service.team_id == team_id, Service.archived_at.is_not(None))
            .order_by(Service.name_key)
        )
    )
