"""Peer review, the pure part: who an invitation lets in, and where each point stands.

The invitation is the only grant a reviewer has. It names one assessment and one person by
their user id *and* their own workspace id (a Slack Connect user from another council carries
their own team id), and lapses after 30 days or when an owner withdraws it. Nothing here
touches Slack or the database; `bot.core.review_actions` records what people do.

A point's challenge, walked from the append-only rows:
- the newest verdict is *agree*: agreed (round 0), or agreed after the team's response;
- it is a *challenge*: accepted once an owner accepted it, *responded* while the reviewer has
  the team's response to answer, otherwise open. Open and responded both count as open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.text import escape
from storage.models import ChallengeResponse, ResponseKind, ReviewInvitation, ReviewVerdict, Verdict
from storage.values import Rating
from storage.view_rows import challenge_response_view, verdict_view
from storage.views import ChallengeResponseView, InvitationView, VerdictView

INVITATION_LASTS = timedelta(days=30)
REVIEWER_NUDGE_AFTER = timedelta(days=7)
CHALLENGE_DIGEST_AFTER = timedelta(days=14)
COMMENT_LIMIT = 2000
GRADES = {Rating.MET: 2, Rating.PARTLY_MET: 1, Rating.NOT_MET: 0}


class ChallengeStatus(StrEnum):
    """Stable words: they appear in the reviews export."""

    NONE = "none"
    OPEN = "open"
    RESPONDED = "responded"
    ACCEPTED = "accepted"
    AGREED = "agreed"
    KEPT = "kept"


# The row while it is being changed, or its snapshot once read: the rules read either alike.
Invitation = InvitationView | ReviewInvitation
OPEN_STATUSES = frozenset({ChallengeStatus.OPEN, ChallengeStatus.RESPONDED})


class ReviewError(Exception):
    """Something asked of a review cannot be done; the message says why (mrkdwn, escaped)."""


def reviewer_identity(body: Mapping[str, object]) -> tuple[str, str]:
    """(user id, their own workspace id) from an interaction payload.

    Slack Connect payloads carry the clicker's home workspace in `user.team_id`; the payload's
    `team.id` is the fallback for payloads that don't.
    """
    user = body.get("user")
    team = body.get("team")
    user_id = str(user.get("id", "")) if isinstance(user, dict) else ""
    team_id = str(user.get("team_id") or "") if isinstance(user, dict) else ""
    if not team_id and isinstance(team, dict):
        team_id = str(team.get("id", ""))
    return user_id, team_id


def grant_refusal(
    invitation: Invitation, user_id: str, user_team_id: str, now: datetime
) -> str | None:
    """Why this person may not act as the invitation's reviewer now (mrkdwn), or None."""
    if user_id != invitation.reviewer_id or user_team_id != invitation.reviewer_team_id:
        return (
            f"Sorry, only {escape(invitation_name(invitation))} was invited to review this, so "
            "only their answers count. Nothing was saved."
        )
    if invitation.withdrawn_at is not None:
        return "This review invitation was withdrawn by the service's owners. Nothing was saved."
    if now >= invitation.expires_at:
        return "This review invitation has expired (they last 30 days). Nothing was saved."
    return None


def is_active(invitation: Invitation, now: datetime) -> bool:
    return invitation.withdrawn_at is None and now < invitation.expires_at


def invitation_name(invitation: Invitation) -> str:
    """e.g. "Priya (Kent County Council)" — plain text; escape before showing."""
    if invitation.reviewer_org:
        return f"{invitation.reviewer_name} ({invitation.reviewer_org})"
    return invitation.reviewer_name


@dataclass(frozen=True)
class PointReview:
    """Where one point of one review stands."""

    point_number: int
    verdict: VerdictView
    status: ChallengeStatus
    resolved_at: datetime | None
    challenged_at: datetime | None  # when the (first) challenge of the point was made
    last_response: ChallengeResponseView | None
    challenge: VerdictView | None = None  # the newest challenge (its rating and comment)

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def challenged(self) -> bool:
        return self.challenged_at is not None

    @property
    def awaiting_reviewer(self) -> bool:
        return self.status == ChallengeStatus.RESPONDED


def point_reviews(
    verdicts: Iterable[ReviewVerdict], responses: Iterable[ChallengeResponse]
) -> dict[int, PointReview]:
    """Each reviewed point's state, from one invitation's verdicts and responses."""
    by_point: dict[int, list[ReviewVerdict]] = {}
    for verdict in sorted(verdicts, key=lambda v: v.id):
        by_point.setdefault(verdict.point_number, []).append(verdict)
    answers: dict[int, list[ChallengeResponse]] = {}
    for response in sorted(responses, key=lambda r: r.id):
        answers.setdefault(response.verdict_id, []).append(response)
    states: dict[int, PointReview] = {}
    for number, rows in by_point.items():
        latest = rows[-1]
        challenges = [row for row in rows if row.verdict == Verdict.CHALLENGE]
        challenged_at = challenges[0].given_at if challenges else None
        status, resolved_at = verdict_status(latest, answers.get(latest.id, []), None)
        replies = [r for row in rows for r in answers.get(row.id, [])]
        states[number] = PointReview(
            number,
            verdict_view(latest),
            status,
            resolved_at,
            challenged_at,
            challenge_response_view(replies[-1]) if replies else None,
            verdict_view(challenges[-1]) if challenges else None,
        )
    return states


def verdict_status(
    verdict: ReviewVerdict,
    responses: Sequence[ChallengeResponse],
    following: ReviewVerdict | None,
) -> tuple[ChallengeStatus, datetime | None]:
    """A verdict row's challenge status (and when it was resolved), for status and export."""
    if verdict.verdict == Verdict.AGREE:
        if verdict.round == 0:
            return ChallengeStatus.NONE, None
        return ChallengeStatus.AGREED, verdict.given_at
    accepted = [r for r in responses if r.kind == ResponseKind.ACCEPTED]
    if accepted:
        return ChallengeStatus.ACCEPTED, accepted[0].responded_at
    if following is not None:
        if following.verdict == Verdict.AGREE:
            return ChallengeStatus.AGREED, following.given_at
        return ChallengeStatus.KEPT, None
    if any(r.kind == ResponseKind.RESPONDED for r in responses):
        return ChallengeStatus.RESPONDED, None
    return ChallengeStatus.OPEN, None


def first_unreviewed(numbers: Sequence[int], reviewed: Mapping[int, PointReview]) -> int | None:
    """Where the reviewer resumes: the first point without a verdict."""
    for number in numbers:
        if number not in reviewed:
            return number
    return None


@dataclass(frozen=True)
class ReviewTally:
    agreed: int
    challenged: int
    total: int
    open_challenges: int

    @property
    def done(self) -> int:
        return self.agreed + self.challenged

    @property
    def complete(self) -> bool:
        return self.done >= self.total


def review_tally(numbers: Sequence[int], reviewed: Mapping[int, PointReview]) -> ReviewTally:
    """Agreed and challenged as first answered (a later agreement doesn't rewrite the result)."""
    first_round = [state for n, state in reviewed.items() if n in set(numbers)]
    challenged = sum(1 for state in first_round if state.challenged)
    return ReviewTally(
        agreed=len(first_round) - challenged,
        challenged=challenged,
        total=len(numbers),
        open_challenges=sum(1 for state in first_round if state.open),
    )


def grade_gap(team_rating: str, reviewer_rating: str) -> int | None:
    """Self minus peer in grades (met 2, partly 1, not met 0); None when either is n/a."""
    team, peer = GRADES.get(Rating(team_rating)), GRADES.get(Rating(reviewer_rating))
    if team is None or peer is None:
        return None
    return team - peer
