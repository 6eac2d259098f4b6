"""What `/assess list`, `/assess status` and the Home tab read: plain columns, counted in SQL.

At 5,000 services building an ORM `Service` (with owners), an `Assessment` and an `Answer`
(evidence text, JSON links) for each of ~65,000 current answers took seconds, only to count
ratings. Here the services are read as columns, their owners in one more statement, and each
latest assessment comes back with its ratings already counted by the database: three statements
and one row per service, whatever the size of the workspace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Session

from storage.models import Answer, Assessment, Service, ServiceOwner
from storage.values import Rating
from storage.views import AssessmentView, ServiceView


@dataclass(frozen=True)
class RatingCounts:
    """How the current answers of one assessment rate (what a list line or the Home tab shows)."""

    total: int
    answered: int
    met: int
    partly_met: int
    not_met: int
    not_applicable: int

    @property
    def complete(self) -> bool:
        return self.answered >= self.total


@dataclass(frozen=True)
class LatestAssessment:
    assessment: AssessmentView
    counts: RatingCounts


def owners_of(session: Session, where: Sequence[ColumnElement[bool]]) -> dict[int, tuple[str, ...]]:
    """The owners of the services matching `where`, by service id, in one statement."""
    owners: defaultdict[int, list[str]] = defaultdict(list)
    for service_id, user_id in session.execute(
        select(ServiceOwner.service_id, ServiceOwner.user_id)
        .join(Service, Service.id == ServiceOwner.service_id)
        .where(*where)
        .order_by(ServiceOwner.service_id, ServiceOwner.user_id)
    ):
        owners[service_id].append(user_id)
    return {service_id: tuple(users) for service_id, users in owners.items()}


# Built once, run through Core (a read path): `/assess list` and the Home tab read these on every
# request, and building the selects and their cache keys cost more than running them.
_LIVE = [Service.team_id == bindparam("team_id"), Service.archived_at.is_(None)]
_LIVE_OWNERS = (
    select(ServiceOwner.service_id, ServiceOwner.user_id)
    .join(Service, Service.id == ServiceOwner.service_id)
    .where(*_LIVE)
    .order_by(ServiceOwner.service_id, ServiceOwner.user_id)
)
_LIVE_SERVICES = (
    select(
        Service.id,
        Service.team_id,
        Service.name,
        Service.standard_id,
        Service.phase,
        Service.team_channel_id,
        Service.next_due_on,
        Service.service_type,
        Service.description,
        Service.interval_months,
        Service.last_assessed_on,
        Service.due_reason,
        Service.snoozed_until,
        Service.publishable,
    )
    .where(*_LIVE)
    .order_by(Service.name_key)
)


def service_views(*, session: Session, team_id: str) -> list[ServiceView]:
    """The workspace's live services by name, with their owners: two statements."""
    connection = session.connection()
    listed: defaultdict[int, list[str]] = defaultdict(list)
    for service_id, user_id in connection.execute(_LIVE_OWNERS, {"team_id": team_id}).all():
        listed[service_id].append(user_id)
    owners = {service_id: tuple(users) for service_id, users in listed.items()}
    rows = connection.execute(_LIVE_SERVICES, {"team_id": team_id}).all()
    views = []
    # Unpacked by position: reading 14 columns by name from 5,000 rows costs more than the query.
    for (
        service_id,
        team,
        name,
        standard_id,
        phase,
        channel_id,
        next_due_on,
        service_type,
        description,
        interval_months,
        last_assessed_on,
        due_reason,
        snoozed_until,
        publishable,
    ) in rows:
        views.append(
            ServiceView(
                id=service_id,
                team_id=team,
                name=name,
                standard_id=standard_id,
                phase=phase,
                team_channel_id=channel_id,
                next_due_on=next_due_on,
                owner_ids=owners.get(service_id, ()),
                service_type=service_type or ServiceView.service_type,
                description=description or "",
                interval_months=interval_months,
                last_assessed_on=last_assessed_on,
                due_reason=due_reason,
                snoozed_until=snoozed_until,
                publishable=bool(publishable),
            )
        )
    return views


# The newest answer of each point and its rating, in one pass over the answers: the rating is
# packed into the low bits of the key whose max() picks the newest row (id * 8 + code), so the
# database reads each answer once instead of finding the newest ids and then looking each up
# again (which PostgreSQL planned as a hash join over every answer of every assessment).
_CODES = {Rating.MET: 1, Rating.PARTLY_MET: 2, Rating.NOT_MET: 3, Rating.NOT_APPLICABLE: 4}
_SPREAD = 8


def _latest_with_counts(where: list[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    latest = (
        select(func.max(Assessment.id))
        .join(Service, Service.id == Assessment.service_id)
        .where(*where)
        .group_by(Assessment.service_id)
    )
    code = case({rating.value: value for rating, value in _CODES.items()}, value=Answer.rating)
    newest = (
        select(
            Answer.assessment_id.label("assessment_id"),
            Answer.point_number.label("number"),
            func.max(cast(Answer.id, BigInteger) * _SPREAD + func.coalesce(code, 0)).label("key"),
        )
        .where(Answer.assessment_id.in_(latest))
        .group_by(Answer.assessment_id, Answer.point_number)
        .subquery()
    )

    def counted(rating: Rating) -> ColumnElement[int]:
        return func.sum(case((newest.c.key % _SPREAD == _CODES[rating], 1), else_=0))

    counts = (
        select(
            newest.c.assessment_id,
            func.count().label("answered"),
            counted(Rating.MET).label("met"),
            counted(Rating.PARTLY_MET).label("partly_met"),
            counted(Rating.NOT_MET).label("not_met"),
            counted(Rating.NOT_APPLICABLE).label("not_applicable"),
        )
        .join(Assessment, Assessment.id == newest.c.assessment_id)
        # Points are 1..point_count; an answer to any other number is not one of them.
        .where(newest.c.number.between(1, Assessment.point_count))
        .group_by(newest.c.assessment_id)
        .subquery()
    )
    return (
        select(
            Assessment.id,
            Assessment.service_id,
            Assessment.standard_id,
            Assessment.standard_title,
            Assessment.phase,
            Assessment.status,
            Assessment.started_at,
            Assessment.point_count,
            Assessment.channel_id,
            Assessment.thread_ts,
            Assessment.started_by,
            Assessment.standard_version,
            Assessment.completed_at,
            counts.c.answered,
            counts.c.met,
            counts.c.partly_met,
            counts.c.not_met,
            counts.c.not_applicable,
        )
        .where(Assessment.id.in_(latest))
        .outerjoin(counts, counts.c.assessment_id == Assessment.id)
    )


# Built once: the tree above (three nested selects, eight `case`s) took longer to construct and
# to derive SQLAlchemy's cache key from than the database took to run it — a quarter of the CPU
# of `/assess status`. A statement object memoises its cache key, so a prebuilt one with bound
# parameters costs only the lookup; the ids go into the SQL as numbers, as `storage.reads.among`
# explains.
_TEAM = bindparam("team_id", type_=Service.team_id.type)
_SERVICE_IDS = bindparam("service_ids", type_=Integer, expanding=True, literal_execute=True)
_LATEST_OF_LIVE = _latest_with_counts([Service.team_id == _TEAM, Service.archived_at.is_(None)])
_LATEST_OF_THESE = _latest_with_counts([Service.team_id == _TEAM, Service.id.in_(_SERVICE_IDS)])


def _latest_rows(
    session: Session, team_id: str, service_ids: Collection[int] | None
) -> Sequence[Any]:
    """Run the prebuilt statement through Core on the session's connection (a read path:
    nothing is pending, so there is nothing to autoflush; see `storage.reads.read_rows`)."""
    connection = session.connection()
    if service_ids is None:
        return connection.execute(_LATEST_OF_LIVE, {"team_id": team_id}).all()
    ids = sorted(set(service_ids))
    return connection.execute(_LATEST_OF_THESE, {"team_id": team_id, "service_ids": ids}).all()


def latest_assessments(
    *, session: Session, team_id: str, service_ids: Collection[int] | None = None
) -> dict[int, LatestAssessment]:
    """The latest assessment of each live service (or of exactly these services), with its
    ratings counted, by service id: one statement, one row per assessed service."""
    found: dict[int, LatestAssessment] = {}
    for (
        assessment_id,
        service_id,
        standard_id,
        standard_title,
        phase,
        status,
        started_at,
        point_count,
        channel_id,
        thread_ts,
        started_by,
        standard_version,
        completed_at,
        answered,
        met,
        partly_met,
        not_met,
        not_applicable,
    ) in _latest_rows(session, team_id, service_ids):
        view = AssessmentView(
            id=assessment_id,
            service_id=service_id,
            standard_id=standard_id,
            standard_title=standard_title,
            phase=phase,
            status=status,
            started_at=started_at,
            point_count=point_count,
            channel_id=channel_id,
            thread_ts=thread_ts,
            started_by=started_by,
            standard_version=standard_version,
            completed_at=completed_at,
        )
        counts = RatingCounts(
            total=point_count,
            answered=int(answered or 0),
            met=int(met or 0),
            partly_met=int(partly_met or 0),
            not_met=int(not_met or 0),
            not_applicable=int(not_applicable or 0),
        )
        found[service_id] = LatestAssessment(view, counts)
    return found
