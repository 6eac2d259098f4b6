"""The summary's and Home's peer-review figures read a fixed number of statements however many
services and reviews a workspace has."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from bot.core.review_export import review_rows
from bot.core.review_overview import review_portfolio, team_reviews
from storage.models import Assessment, ReviewInvitation, ReviewVerdict, Service
from tests.test_query_counts import NOW, add_services, statements_for

LONDON = ZoneInfo("Europe/London")


def add_reviews(engine: Engine) -> None:
    """A finished review with one challenge for every service that has none yet."""
    with engine.begin() as connection:
        reviewed = set(connection.scalars(select(ReviewInvitation.service_id)))
        pairs = [
            (service_id, assessment_id)
            for service_id, assessment_id in connection.execute(
                select(Assessment.service_id, Assessment.id)
            )
            if service_id not in reviewed
        ]
        connection.execute(
            insert(ReviewInvitation),
            [
                {
                    "team_id": "T1",
                    "service_id": service_id,
                    "assessment_id": assessment_id,
                    "reviewer_id": "UPRIYA",
                    "reviewer_team_id": "TKENT",
                    "reviewer_name": "Priya",
                    "reviewer_org": "Kent County Council",
                    "invited_by": "U1",
                    "invited_at": NOW,
                    "expires_at": NOW + timedelta(days=30),
                    "channel_id": "CSHARED",
                    "thread_ts": "1.1",
                    "finished_at": NOW,
                }
                for service_id, assessment_id in pairs
            ],
        )
        invitations = connection.execute(
            select(ReviewInvitation.id, ReviewInvitation.assessment_id)
        ).all()
        connection.execute(
            insert(ReviewVerdict),
            [
                {
                    "team_id": "T1",
                    "invitation_id": invitation_id,
                    "assessment_id": assessment_id,
                    "point_number": 1,
                    "round": 0,
                    "verdict": "challenge",
                    "team_rating": "met",
                    "reviewer_rating": "partly_met",
                    "comment": "why",
                    "given_by": "UPRIYA",
                    "given_at": NOW,
                }
                for invitation_id, assessment_id in invitations
            ],
        )


def figures(session: Session) -> None:
    portfolio = review_portfolio("T1", now=NOW, tz=LONDON, session=session)
    assert portfolio.open_challenges == portfolio.services


def home(session: Session) -> None:
    assert team_reviews("T1", session=session)


def export(session: Session) -> None:
    ids = list(session.scalars(select(Service.id)))
    assert review_rows("T1", ids, session=session)


def counts(engine: Engine) -> dict[str, int]:
    return {
        name: statements_for(engine, work)
        for name, work in (("summary", figures), ("home", home), ("export", export))
    }


def test_review_statement_counts_do_not_grow_with_the_portfolio(engine: Engine) -> None:
    add_services(engine, 0, 3)
    add_reviews(engine)
    small = counts(engine)
    add_services(engine, 3, 1200)
    add_reviews(engine)
    assert counts(engine) == small
