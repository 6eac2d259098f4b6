"""Peer review's domain logic on SQLite and PostgreSQL, with no Slack: the grant, expiry,
withdrawal, verdicts, challenges and the export rows."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.flow import complete_if_done, record_rating, start_assessment
from bot.core.review_actions import (
    Reviewer,
    accept_challenge,
    answer_response,
    give_verdict,
    invite,
    respond_to_challenge,
    review_state,
    withdraw,
)
from bot.core.review_export import COLUMNS, review_rows, write_reviews_csv
from bot.core.review_overview import review_portfolio
from bot.core.reviews import ChallengeStatus, ReviewError, grant_refusal, review_tally
from storage.assessment_queries import current_answers
from storage.models import Answer, Assessment, ReviewInvitation, Service, Verdict
from storage.values import Rating
from tests.test_flow import CATALOGUE, LONDON, NOW, new_service

PRIYA = Reviewer("UPRIYA", "TKENT", "Priya", "Kent County Council", in_channel=True)


def completed(session: Session) -> tuple[Service, Assessment]:
    service = new_service(session)
    standard = CATALOGUE.get("lgdss")
    assert standard is not None
    assessment = start_assessment(
        service,
        standard,
        user_id="U1",
        channel_id="C1",
        thread_ts="1.1",
        now=NOW,
        session=session,
    )
    for point in range(1, 16):
        record_rating(assessment, point, Rating.MET, user_id="U1", now=NOW, session=session)
    assert complete_if_done(assessment, service, now=NOW, tz=LONDON, session=session)
    return service, assessment


def invited(session: Session) -> tuple[Service, Assessment, ReviewInvitation]:
    service, assessment = completed(session)
    invitation = invite(
        service,
        assessment,
        PRIYA,
        invited_by="U1",
        channel_id="CSHARED",
        now=NOW,
        session=session,
    )
    return service, assessment, invitation


def test_the_grant_is_the_reviewer_of_their_own_workspace_for_30_days(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _, _, invitation = invited(session)
    assert grant_refusal(invitation, "UPRIYA", "TKENT", NOW) is None
    assert grant_refusal(invitation, "UPRIYA", "T1", NOW)  # same id, another workspace
    assert grant_refusal(invitation, "UOTHER", "TKENT", NOW)
    assert grant_refusal(invitation, "UPRIYA", "TKENT", NOW + timedelta(days=29)) is None
    expired = grant_refusal(invitation, "UPRIYA", "TKENT", NOW + timedelta(days=30))
    assert expired is not None and "expired" in expired


def test_withdrawn_invitations_refuse_and_a_new_one_can_follow(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        service, assessment, invitation = invited(session)
        withdraw(invitation, user_id="U1", now=NOW)
        refusal = grant_refusal(invitation, "UPRIYA", "TKENT", NOW)
        assert refusal is not None and "withdrawn" in refusal
        with pytest.raises(ReviewError):
            withdraw(invitation, user_id="U1", now=NOW)
        again = invite(
            service,
            assessment,
            PRIYA,
            invited_by="U1",
            channel_id="C1",
            now=NOW,
            session=session,
        )
        assert again.id != invitation.id


def test_who_may_be_invited(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service, assessment, _ = invited(session)
        owner = Reviewer("U1", "T1", "Owner", "", in_channel=True)
        for person, words in (
            (owner, "must not be an owner"),
            (Reviewer("UX", "TKENT", "X", "", in_channel=False), "isn't in this channel"),
            (Reviewer("UB", "T1", "Bot", "", in_channel=True, is_bot=True), "bot"),
            (PRIYA, "already invited"),
        ):
            with pytest.raises(ReviewError, match=words):
                invite(
                    service,
                    assessment,
                    person,
                    invited_by="U1",
                    channel_id="C1",
                    now=NOW,
                    session=session,
                )
        other = new_service(session, name="Parking")
        with pytest.raises(ReviewError, match="no completed assessment"):
            invite(other, None, PRIYA, invited_by="U1", channel_id="C1", now=NOW, session=session)


def test_verdicts_challenges_and_their_history(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _, assessment, invitation = invited(session)
        for point in range(1, 13):
            outcome = give_verdict(
                invitation,
                assessment,
                point,
                Verdict.AGREE,
                rating=None,
                comment="",
                now=NOW,
                session=session,
            )
            assert outcome.finished is None and outcome.next_point == point + 1
        with pytest.raises(ReviewError, match="already answered"):
            give_verdict(
                invitation,
                assessment,
                1,
                Verdict.AGREE,
                rating=None,
                comment="",
                now=NOW,
                session=session,
            )
        with pytest.raises(ReviewError, match="comment"):
            give_verdict(
                invitation,
                assessment,
                13,
                Verdict.CHALLENGE,
                rating=Rating.NOT_MET,
                comment="  ",
                now=NOW,
                session=session,
            )
        for point in (13, 14, 15):
            outcome = give_verdict(
                invitation,
                assessment,
                point,
                Verdict.CHALLENGE,
                rating=Rating.PARTLY_MET,
                comment=f"why {point}",
                now=NOW,
                session=session,
            )
        assert outcome.finished is not None
        assert (outcome.finished.agreed, outcome.finished.challenged) == (12, 3)
        later = NOW + timedelta(days=1)
        accept_challenge(invitation, assessment, 13, user_id="U2", now=later, session=session)
        answers = session.scalars(
            select(Answer).where(Answer.point_number == 13).order_by(Answer.id)
        ).all()
        assert [(a.rating, a.answered_by) for a in answers] == [
            ("met", "U1"),
            ("partly_met", "U2"),
        ]
        with pytest.raises(ReviewError, match="no longer open"):
            accept_challenge(invitation, assessment, 13, user_id="U2", now=later, session=session)
        respond_to_challenge(
            invitation, 14, note="see log", links=[], user_id="U1", now=later, session=session
        )
        with pytest.raises(ReviewError, match="reviewer has it"):
            accept_challenge(invitation, assessment, 14, user_id="U1", now=later, session=session)
        answer_response(
            invitation, assessment, 14, Verdict.AGREE, comment="", now=later, session=session
        )
        respond_to_challenge(
            invitation,
            15,
            note="more",
            links=["https://x.example"],
            user_id="U1",
            now=later,
            session=session,
        )
        answer_response(
            invitation, assessment, 15, Verdict.CHALLENGE, comment="", now=later, session=session
        )
        state = review_state(invitation, session=session)
        assert state[13].status == ChallengeStatus.ACCEPTED and not state[13].open
        assert state[14].status == ChallengeStatus.AGREED and not state[14].open
        assert state[15].status == ChallengeStatus.OPEN and state[15].open
        assert state[1].status == ChallengeStatus.NONE
        assert review_tally(list(range(1, 16)), state).open_challenges == 1
        assert current_answers(assessment.id, session=session)[14].rating == "met"

        rows = review_rows("T1", [assessment.service_id], session=session)
        statuses = [(r.verdict.point_number, r.verdict.verdict, r.challenge_status) for r in rows]
        assert statuses[12:] == [
            (13, "challenge", "accepted"),
            (14, "challenge", "agreed"),
            (14, "agree", "agreed"),
            (15, "challenge", "kept"),
            (15, "challenge", "open"),
        ]
        out = io.BytesIO()
        assert write_reviews_csv(out, rows) == 17
        assert out.getvalue().decode("utf-8-sig").split("\r\n")[0] == ",".join(COLUMNS)

        figures = review_portfolio("T1", now=later, tz=LONDON, session=session)
        assert figures.reviewed_within_interval == 1 and figures.open_challenges == 1
        assert [p.number for p in figures.most_challenged] == [13, 14, 15]
        assert figures.average_gap == round(3 / 15, 2)  # met → partly on three points
        assert review_portfolio("T2", now=later, tz=LONDON, session=session).services == 0
        far = later + timedelta(days=200)  # six months on, the review is out of its interval
        assert (
            review_portfolio("T1", now=far, tz=LONDON, session=session).reviewed_within_interval
            == 0
        )


def test_refusals_escape_the_reviewers_name(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service, assessment = completed(session)
        sly = Reviewer("UX", "TKENT", "<!channel> Sly", "Kent & Co", in_channel=True)
        invitation = invite(
            service, assessment, sly, invited_by="U1", channel_id="C1", now=NOW, session=session
        )
    refusal = grant_refusal(invitation, "UOTHER", "T1", NOW)
    assert refusal is not None and "&lt;!channel&gt; Sly (Kent &amp; Co)" in refusal


def test_the_reviewer_is_known_by_their_own_workspace_in_any_payload_shape() -> None:
    from bot.core.reviews import reviewer_identity

    connect = {"team": {"id": "T1"}, "user": {"id": "UPRIYA", "team_id": "TKENT"}}
    assert reviewer_identity(connect) == ("UPRIYA", "TKENT")
    assert reviewer_identity({"team": {"id": "TKENT"}, "user": {"id": "UPRIYA"}}) == (
        "UPRIYA",
        "TKENT",
    )
    assert reviewer_identity({}) == ("", "")
