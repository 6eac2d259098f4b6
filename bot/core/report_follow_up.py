"""What a report shows after the ratings: the improvement actions and the peer reviews.

Both are read with the queries their own features use, so the report says what `/assess
actions`, status and the exports say: `export_views` (every action of the chosen services,
two statements), the latest assessments' invitations (one) and `with_states` (their verdicts
and responses, two, walked by `bot.core.reviews.point_reviews`). Five statements whatever
the number of services, in the same read-only transaction as `load_report_rows`.

Which actions a report shows: those that arose in its assessment or the one before (so the
next panel sees whether last time's actions were done), and any still open. Which reviews:
every invitation of the latest assessment that was not withdrawn, each reviewer separately.

Action texts and reviewers' comments may hold personal data, like evidence notes: without
evidence they are left out (empty strings); counts, statuses and verdict words stay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.core.review_overview import AssessmentReview, with_states
from bot.core.reviews import OPEN_STATUSES, review_tally
from storage.action_queries import export_views
from storage.models import Verdict
from storage.report_queries import ReportRows
from storage.review_queries import invitations_of_assessments
from storage.values import ActionStatus
from storage.views import ActionItem


@dataclass(frozen=True)
class ActionEntry:
    """One improvement action on a point, as the report shows it."""

    point_number: int
    text: str  # "" when left out (publishing without evidence)
    owner: str  # a display name (or the Slack id when no name is known)
    due_on: date
    status: str  # open | done | dropped (`ActionStatus`)
    overdue: bool  # open and due before the report's day
    closed_on: datetime | None


@dataclass(frozen=True)
class PeerVerdict:
    """One reviewer's current verdict on one point, and where its challenge stands."""

    point_number: int
    reviewer_name: str
    reviewer_org: str
    verdict: str  # agree | challenge: the reviewer's newest word on the point
    challenged: bool  # the reviewer challenged the point at some time
    reviewer_rating: str | None  # the (newest) challenge's rating; None if never challenged
    comment: str  # the (newest) challenge's comment, else the verdict's; "" if none or left out
    challenge_status: str  # `ChallengeStatus`: none, open, responded, accepted, agreed, kept
    given_at: datetime

    @property
    def open(self) -> bool:
        return self.challenge_status in OPEN_STATUSES


@dataclass(frozen=True)
class PeerReview:
    """One reviewer's review of the assessment, counted as first answered (like Slack says)."""

    reviewer_name: str
    reviewer_org: str
    finished_at: datetime | None  # None while the reviewer is still going
    agreed: int
    challenged: int
    open_challenges: int
    points: int


@dataclass(frozen=True)
class FollowUp:
    """The loaded rows: actions per service, reviews per (latest) assessment."""

    actions: dict[int, tuple[ActionItem, ...]] = field(default_factory=dict)
    reviews: dict[int, tuple[AssessmentReview, ...]] = field(default_factory=dict)


def load_follow_up(rows: ReportRows, *, session: Session, team_id: str) -> FollowUp:
    """The actions and peer reviews behind `rows`' reports (five statements at any size)."""
    views = export_views(
        session=session, team_id=team_id, service_ids=[service.id for service in rows.services]
    )
    actions: dict[int, list[ActionItem]] = {}
    for view in views:
        actions.setdefault(view.action.service_id, []).append(view.action)
    latest = [kept[0].id for kept in rows.assessments.values() if kept]
    return FollowUp(
        actions={key: tuple(value) for key, value in actions.items()},
        reviews=reviews_of_assessments(latest, session=session, team_id=team_id),
    )


def reviews_of_assessments(
    assessment_ids: Sequence[int], *, session: Session, team_id: str
) -> dict[int, tuple[AssessmentReview, ...]]:
    """The reviews of these assessments that were not withdrawn (three statements)."""
    invitations = [
        invitation
        for invitation in invitations_of_assessments(
            assessment_ids, team_id=team_id, session=session
        )
        if invitation.withdrawn_at is None
    ]
    reviews: dict[int, list[AssessmentReview]] = {}
    for review in with_states(invitations, session):
        reviews.setdefault(review.invitation.assessment_id, []).append(review)
    return {key: tuple(value) for key, value in reviews.items()}


def action_entries(
    actions: Sequence[ActionItem],
    *,
    assessment_ids: Sequence[int],
    today: date,
    with_evidence: bool,
    person: Callable[[str], str],
) -> tuple[ActionEntry, ...]:
    """The actions a report of `assessment_ids[0]` shows, by point, open ones first."""
    arose_in = set(assessment_ids)
    shown = [
        action
        for action in actions
        if action.assessment_id in arose_in or action.status == ActionStatus.OPEN
    ]
    shown.sort(key=lambda a: (a.point_number, a.status != ActionStatus.OPEN, a.due_on, a.id))
    return tuple(
        ActionEntry(
            point_number=action.point_number,
            text=action.text.strip() if with_evidence else "",
            owner=person(action.owner_id),
            due_on=action.due_on,
            status=action.status,
            overdue=action.status == ActionStatus.OPEN and action.due_on < today,
            closed_on=action.closed_at,
        )
        for action in shown
    )


def peer_entries(
    reviews: Sequence[AssessmentReview], *, numbers: Sequence[int], with_evidence: bool
) -> tuple[tuple[PeerReview, ...], tuple[PeerVerdict, ...]]:
    """Each reviewer's tally, and every verdict by point then reviewer."""
    summaries = []
    verdicts = []
    for review in reviews:
        invitation = review.invitation
        tally = review_tally(numbers, review.states)
        summaries.append(
            PeerReview(
                reviewer_name=invitation.reviewer_name,
                reviewer_org=invitation.reviewer_org,
                finished_at=invitation.finished_at,
                agreed=tally.agreed,
                challenged=tally.challenged,
                open_challenges=tally.open_challenges,
                points=tally.total,
            )
        )
        for number, state in review.states.items():
            challenge = state.challenge
            said = (challenge or state.verdict).comment.strip()
            verdicts.append(
                PeerVerdict(
                    point_number=number,
                    reviewer_name=invitation.reviewer_name,
                    reviewer_org=invitation.reviewer_org,
                    verdict=Verdict(state.verdict.verdict).value,
                    challenged=challenge is not None,
                    reviewer_rating=None if challenge is None else challenge.reviewer_rating,
                    comment=said if with_evidence else "",
                    challenge_status=state.status.value,
                    given_at=state.verdict.given_at,
                )
            )
    verdicts.sort(key=lambda verdict: verdict.point_number)  # stable: reviewers stay in order
    return tuple(summaries), tuple(verdicts)
