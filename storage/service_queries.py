"""Finding services, always inside one workspace."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from storage.models import Assessment, Service, ServiceOwner
from storage.reads import read_rows
from storage.view_rows import SERVICE_VIEW_COLUMNS, service_view_of_row
from storage.views import ServiceView

# Built once, the owners joined in (the relationship's order kept): a command names its service
# on every request, and building the select, deriving its cache key and a second statement for
# the owners (selectin) was most of that lookup's CPU.
_BY_ID = (
    select(Service)
    .where(Service.id == bindparam("service_id"), Service.team_id == bindparam("team_id"))
    .options(joinedload(Service.owners))
)
_BY_NAME = (
    select(Service)
    .where(Service.team_id == bindparam("team_id"), Service.name_key == bindparam("name_key"))
    .options(joinedload(Service.owners))
)


def service_by_id(service_id: int, *, team_id: str, session: Session) -> Service | None:
    """The service, only if it belongs to `team_id` (button values can be forged)."""
    found = session.scalars(_BY_ID, {"service_id": service_id, "team_id": team_id})
    return found.unique().one_or_none()


def service_of_assessment(assessment_id: int, *, team_id: str, session: Session) -> Service | None:
    """The service an assessment belongs to (with its owners), only inside `team_id`."""
    return session.scalars(
        select(Service)
        .join(Assessment, Assessment.service_id == Service.id)
        .where(Assessment.id == assessment_id, Assessment.team_id == team_id)
        .options(selectinload(Service.owners))
    ).one_or_none()


# A click asks who may answer before it opens its transaction: the service's view and its owners
# in one statement (an outer join, one row per owner), built once and run through Core. The ORM
# `Service` with its selectin-loaded owners was two statements and most of that read's CPU.
_SERVICE_OF_ASSESSMENT = (
    select(*SERVICE_VIEW_COLUMNS, ServiceOwner.user_id)
    .join(Assessment, Assessment.service_id == Service.id)
    .outerjoin(ServiceOwner, ServiceOwner.service_id == Service.id)
    .where(Assessment.id == bindparam("assessment_id"), Assessment.team_id == bindparam("team_id"))
    .order_by(ServiceOwner.user_id)
)


def service_view_of_assessment(
    assessment_id: int, *, team_id: str, session: Session
) -> ServiceView | None:
    """`service_of_assessment` as a snapshot, for a read path (Core: no entities, no
    autoflush), in one statement."""
    rows = read_rows(
        session, _SERVICE_OF_ASSESSMENT, {"assessment_id": assessment_id, "team_id": team_id}
    )
    if not rows:
        return None
    owners = tuple(str(row[-1]) for row in rows if row[-1] is not None)
    return service_view_of_row(rows[0], owners)


def service_by_name(name: str, *, team_id: str, session: Session) -> Service | None:
    found = session.scalars(_BY_NAME, {"team_id": team_id, "name_key": name_key(name)})
    return found.unique().one_or_none()


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
