"""Peer-review reminders through the real reminders tick: once each, claimed like the others."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.reminders import Stage
from bot.slack.reminder_job import run_reminders_tick
from storage.models import ClaimStatus, Nudge
from tests.harness import OWNER, TEAMMATE, RunningApp
from tests.reminder_seed import slack_client
from tests.review_steps import agree, ask, challenge, complete_assessment, review_thread


def nudges(app: RunningApp, stage: Stage) -> list[Nudge]:
    with app.deps.sessions() as session:
        return list(session.scalars(select(Nudge).where(Nudge.stage == stage.value)))


def tick(app: RunningApp) -> None:
    run_reminders_tick(app.deps, slack_client(app.fake.api_url))


def test_an_unfinished_reviewer_is_nudged_once_in_the_review_thread(slack_app: RunningApp) -> None:
    app = slack_app
    complete_assessment(app)
    ask(app)
    agree(app, 1)
    app.clock.advance(days=6)
    tick(app)
    assert not [m for m in review_thread(app) if "gentle reminder" in m.get("text", "")]
    app.clock.advance(days=1)
    tick(app)
    tick(app)
    reminded = [m for m in review_thread(app) if "gentle reminder" in m.get("text", "")]
    assert len(reminded) == 1 and "<@UPRIYA>" in reminded[0]["text"]
    assert "1 points answered" in reminded[0]["text"]
    [claim] = nudges(app, Stage.REVIEW)
    assert claim.status == ClaimStatus.SENT and claim.recipient == "UPRIYA"


def test_a_challenge_open_for_14_days_reaches_the_owners_digest_once(
    slack_app: RunningApp,
) -> None:
    app = slack_app
    complete_assessment(app)
    ask(app)
    challenge(app, 1, "not_met", "No research with residents yet")
    app.clock.advance(days=13)
    tick(app)
    assert nudges(app, Stage.CHALLENGE) == []
    app.clock.advance(days=1)
    tick(app)
    tick(app)
    sent = nudges(app, Stage.CHALLENGE)
    assert sorted(n.recipient for n in sent) == sorted([OWNER, TEAMMATE])
    assert all(n.status == ClaimStatus.SENT for n in sent)
    dm = app.fake.im_channel(OWNER)
    assert dm is not None
    texts = [str(m["blocks"]) for m in app.fake.messages(dm)]
    assert sum("challenged by peer reviewer Priya (Kent County Council)" in t for t in texts) == 1
    digest = next(m for m in app.fake.messages(dm) if "challenged by" in str(m["blocks"]))
    assert "Snooze" not in str(digest["blocks"])  # a challenge is answered in its thread
