"""Peer-review reminders, planned like every other nudge: pure, keyed, claimed elsewhere.

- A reviewer who hasn't finished 7 days after being asked gets one nudge in the review thread:
  key (service, `review`, the day it fell due, the invitation id, the reviewer).
- Each owner gets each challenge still open after 14 days in their reminder digest, once:
  key (service, `challenge`, the day it fell due, the challenge's verdict id, the owner).
Both keys go into the same `nudges` table as reassessment reminders, so inserting the key is
the claim and a restart, a missed tick or a second replica never sends one twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, subqueryload

from bot.core.people import Person
from bot.core.reminders import Audience, PlannedNudge, Stage, is_reachable, is_snoozed
from bot.core.review_overview import AssessmentReview
from bot.core.reviews import (
    CHALLENGE_DIGEST_AFTER,
    REVIEWER_NUDGE_AFTER,
    invitation_name,
    point_reviews,
)
from bot.core.working_hours import WorkingHours
from storage.models import AssessmentPoint, ReviewInvitation, Service
from storage.reminder_queries import service_due
from storage.review_queries import responses_of, verdicts_of
from storage.values import NudgeKey, ServiceDue
from storage.views import InvitationView


@dataclass(frozen=True)
class OpenChallenge:
    service: ServiceDue
    verdict_id: int
    point_number: int
    title: str
    reviewer: str  # "Priya (Kent County Council)"
    challenged_at: datetime


@dataclass(frozen=True)
class ReviewerNudge:
    key: NudgeKey
    invitation: InvitationView
    answered: int


def plan_challenge_nudges(
    challenges: Iterable[OpenChallenge],
    now: datetime,
    people: Mapping[str, Person | None],
    hours: WorkingHours,
) -> list[PlannedNudge]:
    """Each owner's open challenges older than 14 days, for their digest."""
    planned: list[PlannedNudge] = []
    for item in challenges:
        service = item.service
        due = item.challenged_at + CHALLENGE_DIGEST_AFTER
        if now < due or service.archived or is_snoozed(service.snoozed_until, now):
            continue
        for owner in service.owner_ids:
            person = people.get(owner)
            if person is None or not is_reachable(person):
                continue
            tz = person.timezone(hours.fallback)
            if not hours.is_working_time(now, tz):
                continue
            days = (now - item.challenged_at).days
            key = NudgeKey(service.id, Stage.CHALLENGE, due.date(), str(item.verdict_id), owner)
            planned.append(
                PlannedNudge(
                    key=key,
                    service=service,
                    audience=Audience.OWNER,
                    today=now.astimezone(tz).date(),
                    what=(
                        f"Point {item.point_number} · {item.title}: challenged by peer reviewer "
                        f"{item.reviewer} {days} days ago, still open."
                    ),
                    why=(
                        "A challenge stays open until you accept it, or the reviewer agrees "
                        "after your response: answer it in the assessment thread."
                    ),
                )
            )
    return planned


def plan_reviewer_nudges(
    reviews: Iterable[AssessmentReview], now: datetime, hours: WorkingHours
) -> list[ReviewerNudge]:
    """Unfinished reviews asked for 7 or more days ago (one nudge each, in working hours)."""
    if not hours.is_working_time(now):
        return []
    planned = []
    for review in reviews:
        invitation = review.invitation
        due = invitation.invited_at + REVIEWER_NUDGE_AFTER
        if invitation.finished_at is not None or invitation.withdrawn_at is not None:
            continue
        if invitation.thread_ts is None or now < due or now >= invitation.expires_at:
            continue
        key = NudgeKey(
            invitation.service_id,
            Stage.REVIEW,
            due.date(),
            str(invitation.id),
            invitation.reviewer_id,
        )
        planned.append(ReviewerNudge(key, invitation, len(review.states)))
    return planned


def service_snapshots(service_ids: Sequence[int], *, session: Session) -> dict[int, ServiceDue]:
    """The planner's view of these services (one query; owners loaded with them)."""
    if not service_ids:
        return {}
    rows = session.scalars(
        select(Service)
        .where(Service.id.in_(set(service_ids)))
        .options(subqueryload(Service.owners))
    )
    return {service.id: service_due(service) for service in rows}


def open_challenges(
    invitations: Sequence[ReviewInvitation], *, session: Session
) -> list[OpenChallenge]:
    """Every open challenge of these invitations, with what the digest says about it."""
    active = [i for i in invitations if i.withdrawn_at is None]
    ids = [i.id for i in active]
    verdicts, responses = verdicts_of(ids, session=session), responses_of(ids, session=session)
    services = service_snapshots([i.service_id for i in active], session=session)
    titles = {
        (row.assessment_id, row.number): row.title
        for row in session.scalars(
            select(AssessmentPoint).where(
                AssessmentPoint.assessment_id.in_({i.assessment_id for i in active} or {-1})
            )
        )
    }
    found = []
    for invitation in active:
        states = point_reviews(
            [v for v in verdicts if v.invitation_id == invitation.id],
            [r for r in responses if r.invitation_id == invitation.id],
        )
        for number, state in sorted(states.items()):
            challenge = state.challenge
            if not state.open or challenge is None or invitation.service_id not in services:
                continue
            found.append(
                OpenChallenge(
                    service=services[invitation.service_id],
                    verdict_id=challenge.id,
                    point_number=number,
                    title=titles.get((invitation.assessment_id, number), f"Point {number}"),
                    reviewer=invitation_name(invitation),
                    challenged_at=challenge.given_at,
                )
            )
    return found
