"""Peer review as status, Home and the leadership summary see it.

Loaded in a fixed number of queries whatever the size of the portfolio: invitations, their
verdicts and responses, and the services they belong to, each in one query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from bot.core.due import add_months
from bot.core.reviews import PointReview, grade_gap, point_reviews
from storage.models import AssessmentPoint, ReviewInvitation, ReviewVerdict, Service
from storage.review_queries import invitations_of_team, responses_of, verdicts_of
from storage.view_rows import invitation_view
from storage.views import InvitationView, ServiceView

MOST_CHALLENGED = 3


@dataclass(frozen=True)
class AssessmentReview:
    invitation: InvitationView
    states: dict[int, PointReview]
    first_verdicts: tuple[ReviewVerdict, ...] = ()  # round 0: what the reviewer first said


def assessment_reviews(assessment_id: int, *, session: Session) -> list[AssessmentReview]:
    """Every review of one assessment, oldest first (withdrawn ones too: history)."""
    invitations = list(
        session.scalars(
            select(ReviewInvitation)
            .where(ReviewInvitation.assessment_id == assessment_id)
            .order_by(ReviewInvitation.id)
        )
    )
    return with_states(invitations, session)


def with_states(
    invitations: Sequence[ReviewInvitation], session: Session
) -> list[AssessmentReview]:
    ids = [invitation.id for invitation in invitations]
    verdicts, responses = verdicts_of(ids, session=session), responses_of(ids, session=session)
    return [
        AssessmentReview(
            invitation_view(invitation),
            point_reviews(
                [v for v in verdicts if v.invitation_id == invitation.id],
                [r for r in responses if r.invitation_id == invitation.id],
            ),
            tuple(v for v in verdicts if v.invitation_id == invitation.id and v.round == 0),
        )
        for invitation in invitations
    ]


@dataclass(frozen=True)
class ChallengedPoint:
    number: int
    title: str
    challenges: int


@dataclass(frozen=True)
class ReviewPortfolio:
    """The summary's peer-review figures."""

    services: int  # counted services
    reviewed_within_interval: int
    open_challenges: int
    most_challenged: tuple[ChallengedPoint, ...]
    average_gap: float | None  # self minus peer, in grades (met 2, partly 1, not met 0)
    compared: int  # verdicts the gap is averaged over


def reviewed_service_ids(
    services: Sequence[Service | ServiceView],
    reviews: Sequence[AssessmentReview],
    now: datetime,
    tz: ZoneInfo,
) -> set[int]:
    """Services with a finished peer review within their reassessment interval."""
    today = now.astimezone(tz).date()
    by_id = {service.id: service for service in services}
    found: set[int] = set()
    for review in reviews:
        invitation = review.invitation
        service = by_id.get(invitation.service_id)
        if service is None or invitation.finished_at is None or invitation.withdrawn_at:
            continue
        finished = invitation.finished_at.astimezone(tz).date()
        if add_months(finished, service.interval_months) > today:
            found.add(service.id)
    return found


def team_reviews(team_id: str, *, session: Session) -> list[AssessmentReview]:
    return with_states(invitations_of_team(team_id, session=session), session)


def review_portfolio(
    team_id: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    session: Session,
    service_ids: Sequence[int] | None = None,
) -> ReviewPortfolio:
    """Peer review across the workspace's services (or the summary's counted ones)."""
    counted = set(
        session.scalars(
            select(Service.id).where(Service.team_id == team_id, Service.archived_at.is_(None))
        )
    )
    if service_ids is not None:
        counted.intersection_update(service_ids)
    reviews = [
        r for r in team_reviews(team_id, session=session) if r.invitation.service_id in counted
    ]
    # Only reviewed services need their interval: building all 5,000 rows as objects was a
    # tenth of the summary. No statement at all when nothing has been reviewed.
    services = _reviewed_services(team_id, {r.invitation.service_id for r in reviews}, session)
    titles = _titles([r.invitation.assessment_id for r in reviews], session)
    challenged: Counter[int] = Counter()
    gaps: list[int] = []
    open_count = 0
    for review in reviews:
        if review.invitation.withdrawn_at is not None:
            continue
        for number, state in review.states.items():
            open_count += state.open
            if state.challenged:
                challenged[number] += 1
        for verdict in review.first_verdicts:
            gap = _gap(verdict)
            if gap is not None:
                gaps.append(gap)
    most = tuple(
        ChallengedPoint(number, titles.get(number, f"Point {number}"), count)
        for number, count in sorted(challenged.items(), key=lambda item: (-item[1], item[0]))[
            :MOST_CHALLENGED
        ]
    )
    return ReviewPortfolio(
        services=len(counted),
        reviewed_within_interval=len(reviewed_service_ids(services, reviews, now, tz)),
        open_challenges=open_count,
        most_challenged=most,
        average_gap=round(sum(gaps) / len(gaps), 2) if gaps else None,
        compared=len(gaps),
    )


def _reviewed_services(team_id: str, ids: set[int], session: Session) -> list[Service]:
    if not ids:
        return []
    reviewed = select(ReviewInvitation.service_id).where(ReviewInvitation.team_id == team_id)
    query = (
        select(Service)
        .where(Service.team_id == team_id, Service.id.in_(reviewed))
        .options(lazyload(Service.owners))  # owners aren't needed: one statement at any size
    )
    return [service for service in session.scalars(query) if service.id in ids]


def _gap(verdict: ReviewVerdict) -> int | None:
    if not verdict.team_rating or not verdict.reviewer_rating:
        return None
    return grade_gap(verdict.team_rating, verdict.reviewer_rating)


def _titles(assessment_ids: Sequence[int], session: Session) -> dict[int, str]:
    """A title per point number (the newest assessment's wording wins)."""
    if not assessment_ids:
        return {}
    rows = session.execute(
        select(AssessmentPoint.number, AssessmentPoint.title)
        .where(AssessmentPoint.assessment_id.in_(set(assessment_ids)))
        .order_by(AssessmentPoint.assessment_id)
    )
    return {number: title for number, title in rows}
