"""Peer review, what people do: invite, withdraw, give verdicts, answer challenges.

Each function runs inside the caller's short transaction (no Slack here) and raises
`ReviewError` with a sentence for the person when the thing cannot be done, so nothing is
half-saved. Accepting a challenge records the reviewer's rating as a new answer through the
assessment's own `record_rating`, so the answer history keeps both ratings and who changed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.flow import FlowError, point_numbers, record_rating
from bot.core.reviews import (
    COMMENT_LIMIT,
    INVITATION_LASTS,
    PointReview,
    ReviewError,
    ReviewTally,
    first_unreviewed,
    point_reviews,
    review_tally,
)
from bot.core.text import escape
from storage.assessment_queries import current_answers
from storage.models import (
    Answer,
    Assessment,
    ChallengeResponse,
    ResponseKind,
    ReviewInvitation,
    ReviewVerdict,
    Service,
    Verdict,
)
from storage.review_queries import active_invitation, responses_of, verdicts_of
from storage.values import AssessmentStatus, Rating
from storage.views import VerdictView

CARD = "card"
CHALLENGE_POST = "challenge"
FINISH_POST = "finish"
ASK_AGAIN_POST = "ask_again"


@dataclass(frozen=True)
class Reviewer:
    """Who is being invited, as Slack told us before the transaction opened."""

    user_id: str
    team_id: str
    name: str
    org: str
    in_channel: bool
    is_bot: bool = False


def invite(
    service: Service,
    assessment: Assessment | None,
    reviewer: Reviewer,
    *,
    invited_by: str,
    channel_id: str,
    now: datetime,
    session: Session,
) -> ReviewInvitation:
    """A new invitation for one reviewer to review the service's completed assessment."""
    if assessment is None or assessment.status != AssessmentStatus.COMPLETED:
        raise ReviewError(
            f"{escape(service.name)} has no completed assessment to review yet. Finish the "
            "assessment first, then ask for a peer review."
        )
    if reviewer.is_bot:
        raise ReviewError("A bot can't review an assessment. Ask a person.")
    if reviewer.user_id in service.owner_ids and reviewer.team_id == service.team_id:
        raise ReviewError(
            "A peer reviewer must not be an owner of the service. Ask someone from another "
            "team or another council."
        )
    if not reviewer.in_channel:
        raise ReviewError(
            f"{escape(reviewer.name)} isn't in this channel, so they couldn't see the review. "
            "Ask in a channel you share with them (for another council, a Slack Connect "
            "channel), or add them here first."
        )
    existing = active_invitation(assessment.id, reviewer.user_id, reviewer.team_id, session=session)
    if existing is not None and now < existing.expires_at:
        raise ReviewError(f"{escape(reviewer.name)} is already invited to review this assessment.")
    if existing is not None:  # an expired one makes way for the new one
        existing.withdrawn_at, existing.withdrawn_by = now, invited_by
        session.flush()
    invitation = ReviewInvitation(
        team_id=service.team_id,
        service_id=service.id,
        assessment_id=assessment.id,
        reviewer_id=reviewer.user_id,
        reviewer_team_id=reviewer.team_id,
        reviewer_name=reviewer.name[:120],
        reviewer_org=reviewer.org[:120],
        invited_by=invited_by,
        invited_at=now,
        expires_at=now + INVITATION_LASTS,
        channel_id=channel_id,
    )
    session.add(invitation)
    session.flush()
    return invitation


def withdraw(invitation: ReviewInvitation, *, user_id: str, now: datetime) -> None:
    if invitation.withdrawn_at is not None:
        raise ReviewError("That invitation was already withdrawn.")
    invitation.withdrawn_at, invitation.withdrawn_by = now, user_id


def review_state(invitation: ReviewInvitation, *, session: Session) -> dict[int, PointReview]:
    return point_reviews(
        verdicts_of([invitation.id], session=session),
        responses_of([invitation.id], session=session),
    )


@dataclass(frozen=True)
class VerdictOutcome:
    """What a saved verdict changed, for the messages posted after the ack."""

    verdict: ReviewVerdict
    next_point: int | None
    finished: ReviewTally | None  # only for the transaction that finished the review


def give_verdict(
    invitation: ReviewInvitation,
    assessment: Assessment,
    point_number: int,
    verdict: Verdict,
    *,
    rating: Rating | None,
    comment: str,
    now: datetime,
    session: Session,
) -> VerdictOutcome:
    """The reviewer's first verdict on a point (Agree, or Challenge with rating and comment)."""
    numbers = point_numbers(assessment)
    if point_number not in numbers:
        raise ReviewError(f"Point {point_number} is not part of this assessment.")
    state = review_state(invitation, session=session)
    if point_number in state:
        raise ReviewError(f"You have already answered point {point_number}.")
    answer = current_answers(assessment.id, session=session).get(point_number)
    team_rating = answer.rating if answer is not None else ""
    row = _verdict_row(
        invitation, point_number, verdict, team_rating, rating, comment, round_=0, now=now
    )
    session.add(row)
    session.flush()
    state = review_state(invitation, session=session)
    finished = None
    result = review_tally(numbers, state)
    if result.complete and invitation.finished_at is None:
        invitation.finished_at = now
        finished = result
    return VerdictOutcome(row, first_unreviewed(numbers, state), finished)


def answer_response(
    invitation: ReviewInvitation,
    assessment: Assessment,
    point_number: int,
    verdict: Verdict,
    *,
    comment: str,
    now: datetime,
    session: Session,
) -> ReviewVerdict:
    """The reviewer answers the team's response: Agree closes the challenge, Keep keeps it."""
    state = review_state(invitation, session=session).get(point_number)
    if state is None or not state.awaiting_reviewer:
        raise ReviewError(f"There's no response on point {point_number} waiting for you.")
    previous = state.verdict
    answer = current_answers(assessment.id, session=session).get(point_number)
    row = _verdict_row(
        invitation,
        point_number,
        verdict,
        answer.rating if answer is not None else previous.team_rating,
        Rating(previous.reviewer_rating),
        comment or previous.comment,
        round_=previous.round + 1,
        now=now,
    )
    session.add(row)
    session.flush()
    return row


def accept_challenge(
    invitation: ReviewInvitation,
    assessment: Assessment,
    point_number: int,
    *,
    user_id: str,
    now: datetime,
    session: Session,
) -> tuple[VerdictView, Answer | None]:
    """Record the reviewer's rating as the team's new answer; the challenge is then closed."""
    challenge = _open_challenge(invitation, point_number, session)
    try:
        answer = record_rating(
            assessment,
            point_number,
            Rating(challenge.reviewer_rating),
            user_id=user_id,
            now=now,
            session=session,
            reason=challenge.comment or "Accepted from peer review",
        )
    except FlowError as error:
        raise ReviewError(str(error)) from None
    session.add(
        ChallengeResponse(
            team_id=invitation.team_id,
            invitation_id=invitation.id,
            verdict_id=challenge.id,
            point_number=point_number,
            kind=ResponseKind.ACCEPTED,
            note="",
            links=[],
            answer_id=answer.id if answer is not None else None,
            responded_by=user_id,
            responded_at=now,
        )
    )
    session.flush()
    return challenge, answer


def respond_to_challenge(
    invitation: ReviewInvitation,
    point_number: int,
    *,
    note: str,
    links: Sequence[str],
    user_id: str,
    now: datetime,
    session: Session,
) -> ChallengeResponse:
    """A note (and more evidence) from the team; the reviewer is asked again."""
    challenge = _open_challenge(invitation, point_number, session)
    if not note.strip():
        raise ReviewError("Say why the rating stands, or what the new evidence shows.")
    response = ChallengeResponse(
        team_id=invitation.team_id,
        invitation_id=invitation.id,
        verdict_id=challenge.id,
        point_number=point_number,
        kind=ResponseKind.RESPONDED,
        note=note.strip()[:COMMENT_LIMIT],
        links=list(links),
        answer_id=None,
        responded_by=user_id,
        responded_at=now,
    )
    session.add(response)
    session.flush()
    return response


def _open_challenge(
    invitation: ReviewInvitation, point_number: int, session: Session
) -> VerdictView:
    state = review_state(invitation, session=session).get(point_number)
    if state is None or not state.open:
        raise ReviewError(f"The challenge on point {point_number} is no longer open.")
    if state.awaiting_reviewer:
        raise ReviewError(
            f"You've responded to the challenge on point {point_number}; the reviewer has it now."
        )
    return state.verdict


def _verdict_row(
    invitation: ReviewInvitation,
    point_number: int,
    verdict: Verdict,
    team_rating: str,
    rating: Rating | None,
    comment: str,
    *,
    round_: int,
    now: datetime,
) -> ReviewVerdict:
    if verdict == Verdict.CHALLENGE:
        if rating is None:
            raise ReviewError("A challenge needs your own rating.")
        if not comment.strip():
            raise ReviewError("A challenge needs a comment saying why.")
        reviewer_rating = rating.value
    else:
        reviewer_rating = team_rating
    return ReviewVerdict(
        team_id=invitation.team_id,
        invitation_id=invitation.id,
        assessment_id=invitation.assessment_id,
        point_number=point_number,
        round=round_,
        verdict=verdict,
        team_rating=team_rating,
        reviewer_rating=reviewer_rating,
        comment=comment.strip()[:COMMENT_LIMIT],
        given_by=invitation.reviewer_id,
        given_at=now,
    )
