"""A small portfolio for the report and publishing tests, seeded with the real models.

- "Bins" (publishable): an old completed assessment and a newer completed one, where point 1
  was answered twice (history), point 2 has evidence with a safe and a `javascript:` link, and
  point 3 (new in this snapshot) was never asked before;
- "Parking" (publishable): one assessment in progress, point 2 unanswered;
- "Secret Squirrel Service" (NOT publishable): completed, with evidence;
- "Archived thing" (publishable but archived): never published;
- "Never assessed" (publishable): no assessment.

`seed_follow_up` adds improvement actions and peer reviews to them (see there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.models import (
    Assessment,
    ChallengeResponse,
    ImprovementAction,
    ResponseKind,
    ReviewInvitation,
    ReviewVerdict,
    Service,
    Verdict,
)
from storage.values import ActionStatus
from tests.test_export import T0, add_answer, add_assessment, add_service

HIDDEN = "Secret Squirrel Service"
HIDDEN_EVIDENCE = "Confidential: Mrs Jones at 12 Acacia Avenue"
EVIDENCE = "Research with 12 residents, report linked"
SAFE_LINK = "https://example.gov.uk/research"
BAD_LINK = "javascript:alert(1)"
TITLES_OLD = ["Understand users", "Solve a whole problem"]
TITLES_NEW = [
    "Understand users and their needs",
    "Solve a whole problem",
    "Provide a joined up experience",
]


@dataclass(frozen=True)
class Portfolio:
    bins: int
    parking: int
    hidden: int
    archived: int
    never: int
    bins_old: int
    bins_new: int


def seed_reports(
    sessions: sessionmaker[Session], *, team_id: str = "T1", follow_up: bool = True
) -> Portfolio:
    with sessions.begin() as session:
        bins = add_service(session, "Bins", team_id=team_id, owners=("UOWNER", "UTEAM"))
        bins.description = "Collecting household waste and recycling every fortnight."
        bins.team_channel_id = "CTEAM"
        old = add_assessment(
            session,
            bins,
            TITLES_OLD,
            started_at=T0 - timedelta(days=200),
            completed_at=T0 - timedelta(days=190),
        )
        add_answer(session, old, 1, "not_met", at=T0 - timedelta(days=195))
        add_answer(session, old, 2, "met", at=T0 - timedelta(days=195))
        new = add_assessment(
            session, bins, TITLES_NEW, started_at=T0, completed_at=T0 + timedelta(days=2)
        )
        add_answer(session, new, 1, "partly_met", at=T0 + timedelta(hours=1))
        add_answer(session, new, 1, "met", by="UTEAM", at=T0 + timedelta(days=1))
        add_answer(
            session,
            new,
            2,
            "met",
            evidence=EVIDENCE,
            links=[SAFE_LINK, BAD_LINK],
            at=T0 + timedelta(hours=2),
        )
        add_answer(session, new, 3, "not_applicable", evidence="No joined up part", at=T0)

        parking = add_service(session, "Parking", team_id=team_id)
        parking_assessment = add_assessment(session, parking, TITLES_NEW, started_at=T0)
        add_answer(session, parking_assessment, 1, "not_met", at=T0)
        add_answer(session, parking_assessment, 3, "met", at=T0)

        hidden = add_service(session, HIDDEN, team_id=team_id)
        hidden_assessment = add_assessment(
            session, hidden, TITLES_NEW, started_at=T0, completed_at=T0 + timedelta(days=1)
        )
        for point in (1, 2, 3):
            add_answer(session, hidden_assessment, point, "met", evidence=HIDDEN_EVIDENCE, at=T0)

        archived = add_service(session, "Archived thing", team_id=team_id, archived=True)
        add_assessment(session, archived, TITLES_NEW, started_at=T0)
        never = add_service(session, "Never assessed", team_id=team_id)
        ids = Portfolio(bins.id, parking.id, hidden.id, archived.id, never.id, old.id, new.id)
    with sessions.begin() as session:
        session.execute(
            update(Service)
            .where(Service.id.in_([ids.bins, ids.parking, ids.archived, ids.never]))
            .values(publishable=True)
        )
        assert session.get(Assessment, ids.bins_new) is not None
    if follow_up:
        seed_follow_up(sessions, ids)
    return ids


# --- improvement actions and peer review (#14, #15) on the reports -----------------------------

ACTION_OPEN = "Run usability tests with residents who use screen readers"
ACTION_LATE = "Publish the research plan"
ACTION_DONE = "Write up the research with 12 residents"
ACTION_DROPPED = "Buy a research panel"
HIDDEN_ACTION = "Call Mrs Jones back about her bin"
REVIEWER = "Priya Patel"
REVIEWER_ORG = "Kent County Council"
CHALLENGE_COMMENT = "Only 12 residents, and nobody using assistive technology"
ANSWERED_CHALLENGE = "Point 3 applies: residents move between services"
WITHDRAWN_REVIEWER = "Wendy Withdrawn"
FAR_FUTURE = date(2036, 3, 2)  # not overdue on any clock these tests run on


def add_action(
    session: Session,
    assessment: Assessment,
    point: int,
    text: str,
    *,
    due_on: date,
    status: str = ActionStatus.OPEN,
    owner: str = "UACTION",
    closed_at: datetime | None = None,
) -> ImprovementAction:
    action = ImprovementAction(
        team_id=assessment.team_id,
        service_id=assessment.service_id,
        assessment_id=assessment.id,
        point_number=point,
        text=text,
        owner_id=owner,
        due_on=due_on,
        status=status,
        created_by="UOWNER",
        created_at=assessment.started_at,
        updated_at=closed_at or assessment.started_at,
        closed_at=closed_at,
        closed_by="UOWNER" if closed_at else None,
        note="",
        evidence_links=[],
    )
    session.add(action)
    session.flush()
    return action


Said = tuple[int, str, str, str]  # (point, verdict, reviewer's rating, comment)


def add_review(
    session: Session,
    assessment: Assessment,
    name: str,
    org: str,
    said: list[Said],
    *,
    withdrawn: bool = False,
    finished: bool = True,
) -> ReviewInvitation:
    """A review with its verdicts in order (a point said twice: the team responded between)."""
    at = assessment.completed_at or assessment.started_at
    invitation = ReviewInvitation(
        team_id=assessment.team_id,
        service_id=assessment.service_id,
        assessment_id=assessment.id,
        reviewer_id=f"U{name.upper()[:8]}",
        reviewer_team_id="TKENT",
        reviewer_name=name,
        reviewer_org=org,
        invited_by="UOWNER",
        invited_at=at,
        expires_at=at + timedelta(days=30),
        channel_id="CSHARED",
        finished_at=at + timedelta(days=3) if finished else None,
        withdrawn_at=at + timedelta(days=4) if withdrawn else None,
    )
    session.add(invitation)
    session.flush()
    rounds: dict[int, ReviewVerdict] = {}
    for step, (point, verdict, rating, comment) in enumerate(said):
        earlier = rounds.get(point)
        if earlier is not None:  # the team answered the challenge before the reviewer spoke again
            session.add(
                ChallengeResponse(
                    team_id=assessment.team_id,
                    invitation_id=invitation.id,
                    verdict_id=earlier.id,
                    point_number=point,
                    kind=ResponseKind.RESPONDED,
                    note="We think it does not apply",
                    links=[],
                    responded_by="UOWNER",
                    responded_at=at + timedelta(days=1, minutes=step),
                )
            )
        row = ReviewVerdict(
            team_id=assessment.team_id,
            invitation_id=invitation.id,
            assessment_id=assessment.id,
            point_number=point,
            round=0 if earlier is None else earlier.round + 1,
            verdict=verdict,
            team_rating="met",
            reviewer_rating=rating,
            comment=comment,
            given_by=invitation.reviewer_id,
            given_at=at + timedelta(days=1 if earlier is None else 2, minutes=step),
        )
        session.add(row)
        session.flush()
        rounds[point] = row
    return invitation


def seed_follow_up(sessions: sessionmaker[Session], ids: Portfolio) -> None:
    """On Bins' latest assessment: an open, an overdue, a done and a dropped action, and a peer
    review that agrees with point 1, challenges point 2 (open) and agrees with point 3 after
    the team answered its challenge; a withdrawn review that must not show; and an action on
    the unpublished service that must never be published."""
    with sessions.begin() as session:
        new = session.get(Assessment, ids.bins_new)
        old = session.get(Assessment, ids.bins_old)
        assert new is not None and old is not None
        add_action(session, new, 1, ACTION_OPEN, due_on=FAR_FUTURE)
        add_action(session, old, 1, ACTION_LATE, due_on=date(2026, 3, 20))  # open: still shown
        add_action(
            session,
            old,
            2,
            ACTION_DONE,
            due_on=date(2026, 1, 5),
            status=ActionStatus.DONE,
            closed_at=T0 - timedelta(days=60),
        )
        add_action(
            session,
            new,
            2,
            ACTION_DROPPED,
            due_on=FAR_FUTURE,
            status=ActionStatus.DROPPED,
            closed_at=T0 + timedelta(days=3),
        )
        add_review(
            session,
            new,
            REVIEWER,
            REVIEWER_ORG,
            [
                (1, Verdict.AGREE, "met", ""),
                (2, Verdict.CHALLENGE, "partly_met", CHALLENGE_COMMENT),
                (3, Verdict.CHALLENGE, "not_met", ANSWERED_CHALLENGE),
                (3, Verdict.AGREE, "not_applicable", ""),
            ],
        )
        add_review(
            session,
            new,
            WITHDRAWN_REVIEWER,
            "",
            [(1, Verdict.CHALLENGE, "not_met", "Withdrawn words")],
            withdrawn=True,
        )
        hidden = session.scalars(
            select(Assessment).where(Assessment.service_id == ids.hidden)
        ).one()
        add_action(session, hidden, 1, HIDDEN_ACTION, due_on=FAR_FUTURE)
