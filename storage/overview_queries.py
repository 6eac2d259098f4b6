"""What `/assess list`, `/assess status` and the Home tab read: plain columns, counted in SQL.

At 5,000 services building an ORM `Service` (with owners), an `Assessment` and an `Answer`
(evidence text, JSON links) for each of ~65,000 current answers took seconds, only to count
ratings. Here the services are read as columns, their owners in one more statement, and each
latest assessment comes back with its ratings already counted by the database: three statements
and one row per service, whatever the size of the workspace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    bindparam,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Session

from storage.models import Answer, Assessment, Service, ServiceOwner
from storage.reads import literal_ids, read_rows
from storage.values import Rating
from storage.view_rows import SERVICE_VIEW_COLUMNS, service_view_of_row
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
    return _by_service(
        session.execute(
            select(ServiceOwner.service_id, ServiceOwner.user_id)
            .join(Service, Service.id == ServiceOwner.service_id)
            .where(*where)
            .order_by(ServiceOwner.service_id, ServiceOwner.user_id)
        )
    )


def _by_service(rows: Iterable[Sequence[Any]]) -> dict[int, tuple[str, ...]]:
    """(service id, user id) rows, in order, as each service's owners."""
    owners: defaultdict[int, list[str]] = defaultdict(list)
    for service_id, user_id in rows:
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
_LIVE_SERVICES = select(*SERVICE_VIEW_COLUMNS).where(*_LIVE).order_by(Service.name_key)


def service_views(*, session: Session, team_id: str) -> list[ServiceView]:
    """The workspace's live services by name, with their owners: two statements."""
    owners = _by_service(read_rows(session, _LIVE_OWNERS, {"team_id": team_id}))
    rows = read_rows(session, _LIVE_SERVICES, {"team_id": team_id})
    return [service_view_of_row(row, owners.get(row[0], ())) for row in rows]


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
# parameters costs only the lookup; the ids go into the SQL as numbers, as
# `storage.reads.literal_ids` explains.
_TEAM = bindparam("team_id", type_=Service.team_id.type)
_SERVICE_IDS = literal_ids("service_ids")
_LATEST_OF_LIVE = _latest_with_counts([Service.team_id == _TEAM, Service.archived_at.is_(None)])
_LATEST_OF_THESE = _latest_with_counts([Service.team_id == _TEAM, Service.id.in_(_SERVICE_IDS)])


def _latest_rows(
    session: Session, team_id: str, service_ids: Collection[int] | None
) -> Sequence[Any]:
    """The prebuilt statement, through Core (a read path: nothing is pending)."""
    if service_ids is None:
        return read_rows(session, _LATEST_OF_LIVE, {"team_id": team_id})
    ids = sorted(set(service_ids))
    return read_rows(session, _LATEST_OF_THESE, {"team_id": team_id, "service_ids": ids})


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
