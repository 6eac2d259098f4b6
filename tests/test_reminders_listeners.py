"""`/assess due` and the reminder buttons, through the real app over signed HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.slack.reminder_job import TickReport, run_reminders_tick
from storage.models import Assessment, Service, Snooze
from storage.reminder_queries import current_snooze
from tests.harness import ADMIN, CHANNEL, OUTSIDER, OWNER, SLACK_ADMIN, TEAMMATE, RunningApp
from tests.reminder_seed import add_service, slack_client


def tick(app: RunningApp) -> TickReport:
    return run_reminders_tick(app.deps, slack_client(app.fake.api_url))


def last_reply(app: RunningApp) -> str:
    posts = app.fake.response_posts()
    assert posts, "the app replied nothing"
    return json.dumps(posts[-1].body, ensure_ascii=False)


def seed_due(app: RunningApp, name: str = "Bins & <recycling>", **kwargs: object) -> int:
    today = app.clock.now.date()
    with app.deps.sessions.begin() as session:
        return add_service(session, name, next_due_on=today, owners=(OWNER,), **kwargs).id  # type: ignore[arg-type]


def dm(app: RunningApp) -> tuple[str, str]:
    channel = app.fake.im_channel(OWNER)
    assert channel is not None
    return channel, app.fake.messages(channel)[-1]["ts"]


def test_due_lists_this_workspace_most_overdue_first(slack_app: RunningApp) -> None:
    app = slack_app
    today = app.clock.now.date()
    with app.deps.sessions.begin() as session:
        add_service(session, "Parking", next_due_on=today + timedelta(days=20))
        add_service(session, "Bins & <recycling>", next_due_on=today - timedelta(days=45))
        add_service(session, "Council tax", next_due_on=today)
        add_service(session, "Libraries", next_due_on=today + timedelta(days=31))
        add_service(
            session, "Old", next_due_on=today - timedelta(days=99), archived_at=app.clock.now
        )
        add_service(session, "Elsewhere", next_due_on=today, team_id="T2")
    app.driver.command("due", user=OUTSIDER, channel=CHANNEL)
    reply = last_reply(app)
    assert app.fake.response_posts()[-1].body["response_type"] == "ephemeral"
    order = [
        reply.index(name) for name in ("Bins &amp; &lt;recycling&gt;", "Council tax", "Parking")
    ]
    assert order == sorted(order)
    assert "*45 days overdue*" in reply and "flagged for the leadership summary" in reply
    for hidden in ("Libraries", "Old", "Elsewhere", "<recycling>"):
        assert hidden not in reply


def test_due_with_nothing_due(slack_app: RunningApp) -> None:
    slack_app.driver.command("due", user=OWNER, channel=CHANNEL)
    assert "Nothing is overdue or due in the next 30 days" in last_reply(slack_app)


def test_an_owner_snoozes_a_week_and_reminders_wait(slack_app: RunningApp) -> None:
    app = slack_app
    service_id = seed_due(app)
    assert tick(app).sent == 2
    clicked_at = app.clock.now
    response = app.driver.click("Snooze 1 week", user=OWNER, in_message=dm(app))
    assert response.status == 200
    assert "are snoozed until <!date^" in last_reply(app)
    with app.deps.sessions() as session:
        service = session.get(Service, service_id)
        assert service is not None and service.snoozed_until == clicked_at + timedelta(weeks=1)
        view = current_snooze(session=session, service_id=service_id, now=app.clock.now)
        assert view is not None and (view.snoozed_by, view.until) == (OWNER, service.snoozed_until)
        name = service.name
    app.driver.command(f'status "{name}"', user=TEAMMATE, channel=CHANNEL)
    assert "Reminders snoozed until <!date^" in last_reply(app)
    assert f"by <@{OWNER}>" in last_reply(app)
    for _ in range(6):
        app.clock.advance(days=1)
        if app.clock.now.weekday() < 5:
            assert tick(app).planned == 0
    app.clock.now = clicked_at + timedelta(weeks=1, minutes=5)
    report = tick(app)
    assert report.sent == 2  # the current occurrence only: overdue week 1, DM and channel
    assert "overdue by 7 days" in str(app.fake.messages(dm(app)[0])[-1]["blocks"])


def test_snoozes_stop_at_four_weeks_and_admins_may_snooze(slack_app: RunningApp) -> None:
    app = slack_app
    service_id = seed_due(app)
    tick(app)
    channel_post = (CHANNEL, app.fake.messages(CHANNEL)[-1]["ts"])
    for user in (OWNER, SLACK_ADMIN, ADMIN, OWNER, OWNER):
        app.driver.click("Snooze 1 week", user=user, in_message=channel_post)
    with app.deps.sessions() as session:
        service = session.get(Service, service_id)
        assert service is not None and service.snoozed_until == app.clock.now + timedelta(weeks=4)
        who = session.scalars(select(Snooze.snoozed_by).order_by(Snooze.id)).all()
    assert who == [OWNER, SLACK_ADMIN, ADMIN, OWNER, OWNER]


def test_only_owners_and_admins_may_snooze(slack_app: RunningApp) -> None:
    app = slack_app
    service_id = seed_due(app)
    tick(app)
    channel_post = (CHANNEL, app.fake.messages(CHANNEL)[-1]["ts"])
    app.driver.click("Snooze 1 week", user=OUTSIDER, in_message=channel_post)
    assert "only the owners of Bins &amp; &lt;recycling&gt;" in last_reply(app)
    forged = app.driver.click_action(
        "reminder_snooze", str(service_id), user=OUTSIDER, in_message=channel_post
    )
    assert forged.status == 200
    with app.deps.sessions() as session:
        assert session.scalars(select(Snooze)).all() == []


def test_snoozing_an_archived_service_says_so(slack_app: RunningApp) -> None:
    app = slack_app
    service_id = seed_due(app)
    tick(app)
    with app.deps.sessions.begin() as session:
        service = session.get(Service, service_id)
        assert service is not None
        service.archived_at = app.clock.now
    app.driver.click("Snooze 1 week", user=OWNER, in_message=dm(app))
    assert "archived or removed" in last_reply(app)


def test_start_button_is_the_assessment_flows(slack_app: RunningApp) -> None:
    app = slack_app
    service_id = seed_due(app)
    tick(app)
    response = app.driver.click("Start reassessment", user=OWNER, in_message=dm(app))
    assert response.status == 200
    with app.deps.sessions() as session:
        started = session.scalars(
            select(Assessment).where(Assessment.service_id == service_id)
        ).all()
    assert len(started) == 1
