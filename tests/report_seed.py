"""A small portfolio for the report and publishing tests, seeded with the real models.

- "Bins" (publishable): an old completed assessment and a newer completed one, where point 1
  was answered twice (history), point 2 has evidence with a safe and a `javascript:` link, and
  point 3 (new in this snapshot) was never asked before;
- "Parking" (publishable): one assessment in progress, point 2 unanswered;
- "Secret Squirrel Service" (NOT publishable): completed, with evidence;
- "Archived thing" (publishable but archived): never published;
- "Never assessed" (publishable): no assessment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Assessment, Service
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


def seed_reports(sessions: sessionmaker[Session], *, team_id: str = "T1") -> Portfolio:
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
    return ids
