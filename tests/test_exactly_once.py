"""Exactly once when Slack took a post but the answer was lost: the fake posts the message and
then drops the connection. Cards, nudges and summaries appear once, and nothing is lost.
Every test uses the production WebClient (bot.slack.client), retry handlers included."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.slack.claimed_post import CLAIM_EVENT
from bot.slack.client import web_client
from bot.slack.reminder_job import run_reminders_tick
from bot.slack.summary_job import run_summary_tick
from storage.models import Card, ClaimStatus, CompletionPost, Nudge, SummaryPost
from tests.click_costs import click_met
from tests.fakeslack import FakeSlack
from tests.harness import CHANNEL, OWNER, RunningApp
from tests.reminder_seed import FakeClock, add_service, delivered, job_deps
from tests.test_assessment_e2e import card_point, newest_card, register, thread_messages
from tests.test_summary_slack import (
    LEAD,
    MONDAY_0900,
    configure,
    make_deps,
    parents,
    posts,
    seed_many,
)
from tests.test_summary_slack import Clock as SummaryClock


def cards_for(app: RunningApp, point: int) -> list[dict[str, object]]:
    return [
        m for m in thread_messages(app) if "Point " in str(m.get("text")) and card_point(m) == point
    ]


def test_a_card_accepted_then_dropped_is_posted_once(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    first = newest_card(app)
    app.fake.fail_next("chat.postMessage", accept_then_drop=True)
    app.fake.clear_calls()
    assert app.driver.click("Met", user=OWNER, in_message=(CHANNEL, first["ts"])).status == 200
    assert len(app.fake.calls_to("chat.postMessage")) == 1  # the SDK did not retry blindly
    assert app.fake.calls_to("conversations.replies")  # the thread was asked instead
    [second] = cards_for(app, 2)
    assert second["metadata"]["event_type"] == CLAIM_EVENT  # type: ignore[index]
    with app.deps.sessions() as session:
        card = session.scalars(select(Card).where(Card.point_number == 2)).one()
    assert card.message_ts == second["ts"]  # recorded as posted: resume won't post it again


def test_a_card_whose_post_never_arrived_is_resent_once_and_never_lost(
    slack_app_each_db: RunningApp,
) -> None:
    app = slack_app_each_db
    register(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    first = newest_card(app)
    app.fake.fail_next("chat.postMessage", drop=True)  # dropped before Slack saw it
    assert app.driver.click("Met", user=OWNER, in_message=(CHANNEL, first["ts"])).status == 200
    assert len(cards_for(app, 2)) == 1  # not in the thread, so resent at once
    second = cards_for(app, 2)[0]
    app.fake.fail_next("chat.postMessage", drop=True, times=2)  # and the resend is lost too
    assert app.driver.click("Met", user=OWNER, in_message=(CHANNEL, second["ts"])).status == 200
    assert cards_for(app, 3) == []
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    assert len(cards_for(app, 3)) == 1


NOW = datetime(2027, 1, 19, 10, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user(OWNER, name="olive")
        fake.add_channel(CHANNEL, "team-bins")
        yield fake


def test_nudges_accepted_then_dropped_are_sent_once(fake: FakeSlack, database_url: str) -> None:
    clock = FakeClock(NOW)
    deps = job_deps(fake.api_url, database_url, clock)
    client = web_client(fake.bot_token, fake.api_url)
    try:
        with deps.sessions.begin() as session:
            service_id = add_service(session, "Bins", next_due_on=NOW.date()).id
        fake.fail_next("chat.postMessage", accept_then_drop=True, times=2)  # the DM and the channel
        first = run_reminders_tick(deps, client)
        assert (first.sent, first.released) == (2, 0)
        for _ in range(2):
            clock.advance(minutes=15)
            assert run_reminders_tick(deps, client).sent == 0
        with deps.sessions() as session:
            rows = session.scalars(select(Nudge)).all()
            assert {row.status for row in rows} == {ClaimStatus.SENT.value}
            assert all(row.message_ts for row in rows)
    finally:
        deps.engine.dispose()
    assert delivered(fake, [OWNER]) == {
        (OWNER, service_id, "due", "0"): 1,
        (CHANNEL, service_id, "due", "0"): 1,
    }


def test_a_nudge_left_by_a_stopped_process_is_looked_for_before_resending(
    fake: FakeSlack, database_url: str
) -> None:
    """A process posted the nudges and stopped before recording them: after ten minutes the
    claims are taken over, found in the conversations, and not sent again."""
    clock = FakeClock(NOW)
    deps = job_deps(fake.api_url, database_url, clock)
    client = web_client(fake.bot_token, fake.api_url)
    try:
        with deps.sessions.begin() as session:
            service_id = add_service(session, "Bins", next_due_on=NOW.date()).id
        run_reminders_tick(deps, client)
        with deps.sessions.begin() as session:  # as if never recorded
            for row in session.scalars(select(Nudge)):
                row.status, row.sent_at, row.message_ts = ClaimStatus.CLAIMED.value, None, None
        clock.advance(minutes=11)
        again = run_reminders_tick(deps, client)
        assert again.reclaimed == 2
    finally:
        deps.engine.dispose()
    assert delivered(fake, [OWNER]) == {
        (OWNER, service_id, "due", "0"): 1,
        (CHANNEL, service_id, "due", "0"): 1,
    }


@pytest.fixture
def summary_fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token="xoxb-test", team_id="T1") as fake:
        fake.add_user("UADMIN", name="ada")
        fake.add_channel(LEAD, "leadership")
        yield fake


def test_a_summary_accepted_then_dropped_is_posted_once(
    summary_fake: FakeSlack, database_url: str
) -> None:
    deps = make_deps(
        database_url, summary_fake.api_url, SummaryClock(MONDAY_0900 + timedelta(minutes=1))
    )
    client = web_client("xoxb-test", summary_fake.api_url)
    try:
        configure(deps)
        summary_fake.fail_next("chat.postMessage", accept_then_drop=True)
        assert run_summary_tick(deps, client) == 1
        assert run_summary_tick(deps, client) == 0
        [post] = posts(deps)
        [parent] = parents(summary_fake, LEAD)
        assert (post.status, post.message_ts) == (ClaimStatus.SENT, parent["ts"])
    finally:
        deps.engine.dispose()


def summary_claims(fake: FakeSlack) -> Counter[str]:
    """How many messages in the leadership channel carry each claim key (threads included)."""
    found: Counter[str] = Counter()
    for message in fake.messages(LEAD):
        metadata = message.get("metadata") or {}
        if message["via"] == "api" and metadata.get("event_type") == CLAIM_EVENT:
            found.update(metadata["event_payload"]["claims"])
    return found


def assert_one_summary_with_every_reply_once(fake: FakeSlack) -> Counter[str]:
    [parent] = parents(fake, LEAD)
    claims = summary_claims(fake)
    [key] = [claim for claim in claims if ":reply:" not in claim]
    replies = sorted(int(claim.rsplit(":", 1)[1]) for claim in claims if ":reply:" in claim)
    assert replies == list(range(1, len(replies) + 1)) and len(replies) >= 1
    assert set(claims.values()) == {1}, claims
    thread = [m for m in fake.thread(LEAD, parent["ts"]) if m["via"] == "api"]
    assert len(thread) == 1 + len(replies)  # nothing posted without its claim
    assert parent["metadata"]["event_payload"]["claims"] == [key]
    return claims


def test_a_summary_whose_replies_never_went_gets_each_reply_once(
    summary_fake: FakeSlack, database_url: str
) -> None:
    """The parent was taken but the answer lost, and history could not say so: the claim is
    kept. Ten minutes on it is taken over, the parent found, and only the replies posted."""
    clock = SummaryClock(MONDAY_0900 + timedelta(minutes=1))
    deps = make_deps(database_url, summary_fake.api_url, clock)
    client = web_client("xoxb-test", summary_fake.api_url)
    try:
        with deps.sessions.begin() as session:
            seed_many(session, 500)  # too big for one message: the rest goes in the thread
        configure(deps)
        summary_fake.fail_next("chat.postMessage", accept_then_drop=True)
        summary_fake.fail_next("conversations.history", error="internal_error")
        assert run_summary_tick(deps, client) == 0
        [parent] = parents(summary_fake, LEAD)
        assert fake_replies(summary_fake, parent["ts"]) == []
        clock.now = MONDAY_0900 + timedelta(minutes=12)
        assert run_summary_tick(deps, client) == 1
        assert run_summary_tick(deps, client) == 0
        [post] = posts(deps)
        assert (post.status, post.message_ts) == (ClaimStatus.SENT, parent["ts"])
    finally:
        deps.engine.dispose()
    assert_one_summary_with_every_reply_once(summary_fake)


def test_a_summary_fully_posted_but_not_recorded_is_not_touched_again(
    summary_fake: FakeSlack, database_url: str
) -> None:
    clock = SummaryClock(MONDAY_0900 + timedelta(minutes=1))
    deps = make_deps(database_url, summary_fake.api_url, clock)
    client = web_client("xoxb-test", summary_fake.api_url)
    try:
        with deps.sessions.begin() as session:
            seed_many(session, 500)
        configure(deps)
        assert run_summary_tick(deps, client) == 1
        before = assert_one_summary_with_every_reply_once(summary_fake)
        with deps.sessions.begin() as session:  # as if the process stopped before recording
            for row in session.scalars(select(SummaryPost)):
                row.status, row.sent_at, row.message_ts = ClaimStatus.CLAIMED, None, None
        clock.now = MONDAY_0900 + timedelta(minutes=12)
        summary_fake.clear_calls()
        assert run_summary_tick(deps, client) == 1
        assert summary_fake.calls_to("chat.postMessage") == []
        assert summary_fake.calls_to("conversations.replies") != []  # it did look
        [post] = posts(deps)
        assert post.status == ClaimStatus.SENT
    finally:
        deps.engine.dispose()
    assert assert_one_summary_with_every_reply_once(summary_fake) == before


def test_each_summary_reply_accepted_then_dropped_is_posted_once(
    summary_fake: FakeSlack, database_url: str
) -> None:
    deps = make_deps(
        database_url, summary_fake.api_url, SummaryClock(MONDAY_0900 + timedelta(minutes=1))
    )
    client = web_client("xoxb-test", summary_fake.api_url)
    try:
        with deps.sessions.begin() as session:
            seed_many(session, 500)
        configure(deps)
        summary_fake.fail_next("chat.postMessage", accept_then_drop=True, times=3)
        assert run_summary_tick(deps, client) == 1
    finally:
        deps.engine.dispose()
    assert_one_summary_with_every_reply_once(summary_fake)


def fake_replies(fake: FakeSlack, ts: str) -> list[dict[str, object]]:
    return [m for m in fake.thread(LEAD, ts) if m["ts"] != ts]


def completions(app: RunningApp) -> list[dict[str, object]]:
    return [
        m
        for m in thread_messages(app)
        if str(m.get("text")).startswith("Assessment of Bins complete")
    ]


def replay(app: RunningApp, last: str) -> None:
    """The final click again, on the card as it was (its buttons may be gone by now)."""
    assessment_id = completion_claims(app)[0].assessment_id
    response = app.driver.click_action(
        "rate_met", f"{assessment_id}:15", user=OWNER, in_message=(CHANNEL, last)
    )
    assert response.status == 200


def completion_claims(app: RunningApp) -> list[CompletionPost]:
    with app.deps.sessions() as session:
        return list(session.scalars(select(CompletionPost)))


def up_to_the_last_card(app: RunningApp) -> str:
    register(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    while card_point(newest_card(app)) < 15:
        click_met(app)
    return str(newest_card(app)["ts"])


def test_a_completion_accepted_then_dropped_is_posted_once(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    last = up_to_the_last_card(app)
    app.fake.fail_next("chat.postMessage", accept_then_drop=True)
    assert app.driver.click("Met", user=OWNER, in_message=(CHANNEL, last)).status == 200
    [posted] = completions(app)
    assert posted["metadata"]["event_type"] == CLAIM_EVENT  # type: ignore[index]
    [claim] = completion_claims(app)
    assert (claim.status, claim.message_ts) == (ClaimStatus.SENT.value, posted["ts"])
    # The final click again (as after an error the person saw): refused, nothing posted.
    app.clock.advance(minutes=11)
    replay(app, last)
    assert len(completions(app)) == 1
    # A process that posted it and stopped before recording it: the claim is looked for once
    # it is stale, found in the thread, and recorded, not posted again.
    with app.deps.sessions.begin() as session:
        session.execute(
            update(CompletionPost).values(status=ClaimStatus.CLAIMED.value, message_ts=None)
        )
    app.clock.advance(minutes=11)
    app.fake.clear_calls()
    replay(app, last)
    assert app.fake.calls_to("conversations.replies")
    assert app.fake.calls_to("chat.postMessage") == []
    assert len(completions(app)) == 1
    [claim] = completion_claims(app)
    assert (claim.status, claim.message_ts, claim.attempts) == (
        ClaimStatus.SENT.value,
        posted["ts"],
        2,
    )


def test_a_completion_never_delivered_is_posted_once_later(slack_app_each_db: RunningApp) -> None:
    """Both the post and its resend are lost before Slack saw them: the claim stays, and
    the next attempt after it went stale (here: the final click again) posts it once."""
    app = slack_app_each_db
    last = up_to_the_last_card(app)
    app.fake.fail_next("chat.postMessage", drop=True, times=2)
    assert app.driver.click("Met", user=OWNER, in_message=(CHANNEL, last)).status == 200
    assert completions(app) == []
    [claim] = completion_claims(app)
    assert claim.status == ClaimStatus.CLAIMED.value
    replay(app, last)
    assert completions(app) == []  # not stale yet: its process may still be posting it
    app.clock.advance(minutes=11)
    replay(app, last)
    assert len(completions(app)) == 1
    app.clock.advance(minutes=11)
    replay(app, last)
    assert len(completions(app)) == 1
    [claim] = completion_claims(app)
    assert claim.status == ClaimStatus.SENT.value
