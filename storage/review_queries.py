"""Reading and writing peer reviews: invitations, verdicts, challenge responses, review posts.

Verdicts and responses are append-only; "the current verdict" is the newest row per point.
Writers lock the invitation row first (`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE`
already serialises writers), so two clicks on the last point cannot both finish the review.
Every function takes the session and never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.claims import insert_once
from storage.models import (
    Assessment,
    ChallengeResponse,
    ReviewInvitation,
    ReviewPost,
    ReviewVerdict,
    Service,
)


def invitation_for_update(invitation_id: int, *, session: Session) -> ReviewInvitation | None:
    """The invitation, locked; who may use it is the caller's check (it spans workspaces)."""
    return session.scalars(
        select(ReviewInvitation).where(ReviewInvitation.id == invitation_id).with_for_update()
    ).one_or_none()


def active_invitation(
    assessment_id: int, reviewer_id: str, reviewer_team_id: str, *, session: Session
) -> ReviewInvitation | None:
    return session.scalars(
        select(ReviewInvitation).where(
            ReviewInvitation.assessment_id == assessment_id,
            ReviewInvitation.reviewer_id == reviewer_id,
            ReviewInvitation.reviewer_team_id == reviewer_team_id,
            ReviewInvitation.withdrawn_at.is_(None),
        )
    ).one_or_none()


def invitations_of_service(service_id: int, *, session: Session) -> list[ReviewInvitation]:
    return list(
        session.scalars(
            select(ReviewInvitation)
            .where(ReviewInvitation.service_id == service_id)
            .order_by(ReviewInvitation.id)
        )
    )


def invitations_of_team(team_id: str, *, session: Session) -> list[ReviewInvitation]:
    return list(
        session.scalars(
            select(ReviewInvitation)
            .where(ReviewInvitation.team_id == team_id)
            .order_by(ReviewInvitation.id)
        )
    )


def invitations_of_assessments(
    assessment_ids: Sequence[int], *, team_id: str, session: Session
) -> list[ReviewInvitation]:
    """Every invitation of these assessments (withdrawn too), oldest first, in one statement."""
    if not assessment_ids:
        return []
    return list(
        session.scalars(
            select(ReviewInvitation)
            .where(
                ReviewInvitation.team_id == team_id,
                ReviewInvitation.assessment_id.in_(list(assessment_ids)),
            )
            .order_by(ReviewInvitation.id)
        )
    )


def active_invitations(*, session: Session) -> list[ReviewInvitation]:
    """Invitations not withdrawn, of every workspace (open challenges live on these)."""
    return list(
        session.scalars(
            select(ReviewInvitation)
            .where(ReviewInvitation.withdrawn_at.is_(None))
            .order_by(ReviewInvitation.id)
        )
    )


def unfinished_invitations(*, session: Session) -> list[ReviewInvitation]:
    """Open, unfinished reviews of every workspace (the reviewer nudge looks at these)."""
    return list(
        session.scalars(
            select(ReviewInvitation)
            .where(
                ReviewInvitation.finished_at.is_(None),
                ReviewInvitation.withdrawn_at.is_(None),
                ReviewInvitation.thread_ts.is_not(None),
            )
            .order_by(ReviewInvitation.id)
        )
    )


def verdicts_of(invitation_ids: Sequence[int], *, session: Session) -> list[ReviewVerdict]:
    if not invitation_ids:
        return []
    return list(
        session.scalars(
            select(ReviewVerdict)
            .where(ReviewVerdict.invitation_id.in_(invitation_ids))
            .order_by(ReviewVerdict.id)
        )
    )


def responses_of(invitation_ids: Sequence[int], *, session: Session) -> list[ChallengeResponse]:
    if not invitation_ids:
        return []
    return list(
        session.scalars(
            select(ChallengeResponse)
            .where(ChallengeResponse.invitation_id.in_(invitation_ids))
            .order_by(ChallengeResponse.id)
        )
    )


def reserve_post(
    *,
    invitation_id: int,
    kind: str,
    ref: int,
    attempt: int,
    channel_id: str,
    now: datetime,
    session: Session,
) -> int | None:
    """Reserve a review message unless someone else already did; the id only for the winner."""
    return insert_once(
        ReviewPost,
        {
            "invitation_id": invitation_id,
            "kind": kind,
            "ref": ref,
            "attempt": attempt,
            "channel_id": channel_id,
            "reserved_at": now,
        },
        conflict_columns=["invitation_id", "kind", "ref", "attempt"],
        returning=ReviewPost.id,
        session=session,
    )


def posts_of(invitation_id: int, kind: str, *, session: Session) -> list[ReviewPost]:
    return list(
        session.scalars(
            select(ReviewPost)
            .where(ReviewPost.invitation_id == invitation_id, ReviewPost.kind == kind)
            .order_by(ReviewPost.id)
        )
    )


def mark_posted(post_id: int, message_ts: str, *, now: datetime, session: Session) -> None:
    session.execute(
        update(ReviewPost)
        .where(ReviewPost.id == post_id)
        .values(message_ts=message_ts, posted_at=now)
    )


@dataclass(frozen=True)
class ReviewContext:
    """An invitation with the assessment and service it grants (all in the host workspace)."""

    invitation: ReviewInvitation
    assessment: Assessment
    service: Service


def review_context(invitation: ReviewInvitation, *, session: Session) -> ReviewContext:
    assessment = session.get(Assessment, invitation.assessment_id)
    service = session.get(Service, invitation.service_id)
    assert assessment is not None and service is not None  # foreign keys
    return ReviewContext(invitation, assessment, service)
