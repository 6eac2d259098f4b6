"""The conversational assessment end to end: signed requests into the real app over HTTP, the
app talking to the fake Slack, the database checked directly. No mocks of our own code."""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import Answer, Assessment, Card, Service
from tests.fakeslack import FakeSlack
from tests.harness import (
    ADMIN,
    CHANNEL,
    NOT_JOINED,
    OUTSIDER,
    OWNER,
    SLACK_ADMIN,
    TEAMMATE,
    RunningApp,
    running_app,
)

Json = dict[str, Any]


def last_reply(app: RunningApp) -> str:
    posts = app.fake.response_posts()
    assert posts, "the app replied nothing"
    body = posts[-1].body
    return json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else str(body)


def register(
    app: RunningApp,
    name: str = "Bins",
    owners: list[str] | None = None,
    user: str = OWNER,
    **values: Any,
) -> None:
    app.driver.command(f'new "{name}"', user=user, channel=CHANNEL)
    view = app.fake.open_views(user)[-1]
    fields = {"phase": "beta", "channel": CHANNEL, "owners": owners or [OWNER, TEAMMATE]}
    fields.update(values)
    response = app.driver.submit_view(view, fields, user=user)
    assert response.status == 200


def thread_messages(app: RunningApp) -> list[Json]:
    parents = [
        m
        for m in app.fake.messages(CHANNEL)
        if m.get("text", "").startswith(("Assessment of", "Reassessment of"))
        and not m.get("thread_ts")
    ]
    assert parents, f"no assessment thread in {[m.get('text') for m in app.fake.messages(CHANNEL)]}"
    return app.fake.thread(CHANNEL, parents[-1]["ts"])


def newest_card(app: RunningApp) -> Json:
    cards = [m for m in thread_messages(app) if "Point " in m.get("text", "")]
    return cards[-1]


def card_point(message: Json) -> int:
    header = message["blocks"][0]["text"]["text"]
    return int(header.split()[1])


def test_full_assessment_through_all_15_points(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register(app)
    announcement = app.fake.messages(CHANNEL)[-1]["text"]
    assert "registered *Bins*" in announcement
    app.driver.command("start bins", user=OWNER, channel=CHANNEL)
    assert "started in the thread" in last_reply(app)

    plan = {
        1: "Met",
        2: "Met",
        3: "Partly met",
        4: "Skip for now",
        5: "Not met",
        6: "Not applicable",
        7: "Met",
        8: "Met",
        9: "Not met",
        10: "Partly met",
        11: "Met",
        12: "Met",
        13: "Met",
        14: "Partly met",
        15: "Met",
    }
    seen: list[int] = []
    while True:
        card = newest_card(app)
        point = card_point(card)
        if seen and point == seen[-1]:
            break
        seen.append(point)
        label = plan[point] if point not in seen[:-1] else "Not met"
        where = (CHANNEL, card["ts"])
        who = OWNER if point % 2 else TEAMMATE
        if label == "Not applicable":
            app.driver.click("Not applicable", user=who, in_message=where)
            modal = app.fake.open_views(who)[-1]
            app.driver.submit_view(modal, {"reason": "We run no offline channel yet"}, user=who)
        else:
            app.driver.click(label, user=who, in_message=where)
        if point in (1, 7):
            app.driver.click("Add evidence", user=who, in_message=where)
            modal = app.fake.open_views(who)[-1]
            app.driver.submit_view(
                modal,
                {"note": "Research with 12 residents", "links": "https://example.gov.uk/r"},
                user=who,
            )
        if len(seen) > 20:
            break

    assert seen[:15] == [1, 2, 3, 4, *range(5, 16)] and seen[15] == 4, seen
    with app.deps.sessions() as session:
        assessment = session.scalars(select(Assessment)).one()
        service = session.scalars(select(Service)).one()
        latest = session.execute(
            select(Answer.point_number, Answer.rating, Answer.evidence).where(
                Answer.id.in_(select(func.max(Answer.id)).group_by(Answer.point_number))
            )
        ).all()
    ratings = {point: rating for point, rating, _ in latest}
    assert assessment.status == "completed" and assessment.completed_at is not None
    assert ratings[4] == "not_met" and ratings[6] == "not_applicable"
    counts = {r: list(ratings.values()).count(r) for r in set(ratings.values())}
    assert counts == {"met": 8, "partly_met": 3, "not_met": 3, "not_applicable": 1}
    evidence = {point: text for point, _, text in latest}
    assert evidence[1] == "Research with 12 residents" and evidence[6].startswith("We run")
    completion = [m for m in app.fake.messages(CHANNEL) if "complete" in m.get("text", "")]
    thread_completion = [m for m in thread_messages(app) if "complete:" in m.get("text", "")]
    assert completion and thread_completion
    summary = thread_completion[-1]["blocks"][0]["text"]["text"]
    assert (
        f"{counts['met']} met \u00b7 {counts['partly_met']} partly met \u00b7 "
        f"{counts['not_met']} not met \u00b7 {counts['not_applicable']} not applicable"
    ) in summary
    not_met_list = thread_completion[-1]["blocks"][1]["text"]["text"]
    assert all(f"Point {n} " in not_met_list for n in (4, 5, 9))
    today = app.clock.now.date()
    assert service.last_assessed_on == today
    assert service.next_due_on == date(today.year, today.month + 6, today.day)
    parent = [m for m in app.fake.messages(CHANNEL) if m.get("text", "").startswith("Assessment")]
    assert "complete" in parent[-1]["text"]


def test_resume_after_restart_continues_where_it_stopped(
    sqlite_url: str, fake_slack: FakeSlack
) -> None:
    with running_app(sqlite_url, fake_slack) as app:
        register(app)
        app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
        app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest_card(app)["ts"]))
        old_card = newest_card(app)
        assert card_point(old_card) == 2
    with running_app(sqlite_url, fake_slack) as app:  # a new process, the same database
        app.driver.click("Partly met", user=OWNER, in_message=(CHANNEL, old_card["ts"]))
        assert card_point(newest_card(app)) == 3
        app.driver.command("start Bins", user=TEAMMATE, channel=CHANNEL)
        assert "Resuming" in last_reply(app)
        assert card_point(newest_card(app)) == 3
        with app.deps.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Assessment)) == 1
            assert session.scalar(select(func.count()).select_from(Answer)) == 2


def test_two_people_answer_at_once_both_in_history_one_next_card(
    slack_app_each_db: RunningApp,
) -> None:
    app = slack_app_each_db
    register(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    card = newest_card(app)
    where = (CHANNEL, card["ts"])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def click(user: str, label: str) -> None:
        try:
            barrier.wait()
            app.driver.click(label, user=user, in_message=where)
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=click, args=(OWNER, "Met")),
        threading.Thread(target=click, args=(TEAMMATE, "Not met")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.deps.sessions() as session:
        answers = session.scalars(select(Answer).order_by(Answer.id)).all()
        cards = session.scalars(select(Card).where(Card.point_number == 2)).all()
    assert sorted(a.answered_by for a in answers) == sorted([OWNER, TEAMMATE])
    assert len(cards) == 1
    point_two_cards = [m for m in thread_messages(app) if "Point 2 of 15" in m.get("text", "")]
    assert len(point_two_cards) == 1


def test_double_click_records_once(slack_app: RunningApp) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    where = (CHANNEL, newest_card(slack_app)["ts"])
    slack_app.driver.click("Met", user=OWNER, in_message=where)
    slack_app.driver.click("\u2713 Met", user=OWNER, in_message=where)
    with slack_app.deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 1
    assert len([m for m in thread_messages(slack_app) if "Point 2" in m["text"]]) == 1


@pytest.mark.parametrize("user", [OUTSIDER])
def test_people_who_are_not_owners_are_refused_politely(slack_app: RunningApp, user: str) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=user, channel=CHANNEL)
    reply = last_reply(slack_app)
    assert "only the owners of Bins" in reply and f"<@{OWNER}>" in reply
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    slack_app.driver.click("Met", user=user, in_message=(CHANNEL, newest_card(slack_app)["ts"]))
    assert "only the owners" in last_reply(slack_app)
    slack_app.driver.command("edit Bins", user=user, channel=CHANNEL)
    assert "only the owners" in last_reply(slack_app)
    slack_app.driver.command("archive Bins", user=user, channel=CHANNEL)
    assert "only the owners" in last_reply(slack_app)
    with slack_app.deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 0
    slack_app.driver.command("status Bins", user=user, channel=CHANNEL)
    assert "Status" in last_reply(slack_app)  # anyone may look


@pytest.mark.parametrize("admin", [ADMIN, SLACK_ADMIN])
def test_admins_may_answer_for_any_service(slack_app: RunningApp, admin: str) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=admin, channel=CHANNEL)
    slack_app.driver.click("Met", user=admin, in_message=(CHANNEL, newest_card(slack_app)["ts"]))
    with slack_app.deps.sessions() as session:
        assert session.scalars(select(Answer.answered_by)).all() == [admin]


def test_unknown_service_gets_suggestions_or_the_list(slack_app: RunningApp) -> None:
    register(slack_app, "Garden waste")
    register(slack_app, "Parking permits")
    slack_app.driver.command("start gardn wast", user=OWNER, channel=CHANNEL)
    assert "No service called 'gardn wast'. Did you mean 'Garden waste'?" in last_reply(slack_app)
    slack_app.driver.command("status Zebra crossing", user=OWNER, channel=CHANNEL)
    reply = last_reply(slack_app)
    assert "Garden waste" in reply and "Parking permits" in reply


def test_modal_validation_errors_appear_inline_and_nothing_is_saved(
    slack_app: RunningApp,
) -> None:
    register(slack_app, "Bins")
    slack_app.driver.command("new", user=OWNER, channel=CHANNEL)
    view = slack_app.fake.open_views(OWNER)[-1]
    response = slack_app.driver.submit_view(
        view,
        {"name": "BINS", "phase": "beta", "channel": CHANNEL, "owners": [OWNER]},
        user=OWNER,
    )
    errors = response.json()["errors"]
    assert "already a service" in errors["name"]
    response = slack_app.driver.submit_view(
        view,
        {"name": "x" * 81, "phase": "beta", "channel": NOT_JOINED, "owners": [OWNER]},
        user=OWNER,
    )
    errors = response.json()["errors"]
    assert "80 characters" in errors["name"] and "Invite me" in errors["channel"]
    with slack_app.deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 1


def test_user_text_is_escaped_everywhere(slack_app: RunningApp) -> None:
    register(slack_app, "<!channel> & co")
    slack_app.driver.command('start "<!channel> & co"', user=OWNER, channel=CHANNEL)
    where = (CHANNEL, newest_card(slack_app)["ts"])
    slack_app.driver.click("Met", user=OWNER, in_message=where)
    slack_app.driver.click("Add evidence", user=OWNER, in_message=where)
    modal = slack_app.fake.open_views(OWNER)[-1]
    slack_app.driver.submit_view(
        modal, {"note": "see <https://evil.example|click> <@U999>"}, user=OWNER
    )
    everything = json.dumps([m for m in slack_app.fake.all_posts()]) + last_reply(slack_app)
    assert "<!channel>" not in everything
    assert "<https://evil.example|click>" not in everything
    assert "&lt;!channel&gt; &amp; co" in everything
    assert "&lt;https://evil.example|click&gt;" in everything


def test_bot_not_in_channel_explains_how_to_invite_and_creates_nothing(
    slack_app: RunningApp,
) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=NOT_JOINED)
    assert "/invite @assessbot" in last_reply(slack_app)
    with slack_app.deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 0


def test_reassessment_shows_previous_ratings(slack_app: RunningApp) -> None:
    register(slack_app, standard="govuk-2019")
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    for _ in range(14):
        slack_app.driver.click(
            "Met", user=OWNER, in_message=(CHANNEL, newest_card(slack_app)["ts"])
        )
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    assert "Reassessment of Bins started" in last_reply(slack_app)
    assert "Last assessment" in json.dumps(newest_card(slack_app)["blocks"])


def test_archive_hides_but_keeps_history(slack_app: RunningApp) -> None:
    register(slack_app)
    slack_app.driver.command("archive Bins", user=OWNER, channel=CHANNEL)
    slack_app.driver.click("Archive", user=OWNER)
    assert "archived" in last_reply(slack_app)
    slack_app.driver.command("list", user=OWNER, channel=CHANNEL)
    assert "No services yet" in last_reply(slack_app)
    with slack_app.deps.sessions() as session:
        assert session.scalars(select(Service.archived_by)).one() == OWNER


def test_status_lists_every_point_and_changes_answers(slack_app: RunningApp) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    slack_app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest_card(slack_app)["ts"]))
    slack_app.driver.command("status Bins", user=OWNER, channel=CHANNEL)
    reply = last_reply(slack_app)
    assert "1. Understand user needs" in reply and "Met without evidence: 1" in reply
    assert "Not answered: 2, 3" in reply
    slack_app.driver.select("status_change_2", "1:2:not_met", user=OWNER)
    with slack_app.deps.sessions() as session:
        assert session.scalars(select(Answer.rating).order_by(Answer.id)).all() == [
            "met",
            "not_met",
        ]


def test_home_tab_within_limits_with_300_services(slack_app: RunningApp) -> None:
    from datetime import UTC, datetime

    from storage.models import ServiceOwner

    now = datetime(2026, 3, 1, tzinfo=UTC)
    with slack_app.deps.sessions.begin() as session:
        for number in range(300):
            session.add(
                Service(
                    team_id="T1",
                    name=f"Service {number} <b>",
                    name_key=f"service {number} <b>",
                    description="",
                    standard_id="lgdss",
                    phase="beta",
                    team_channel_id=CHANNEL,
                    interval_months=6,
                    next_due_on=date(2026, 1 + number % 12, 1),
                    due_reason="interval",
                    created_by=OWNER,
                    created_at=now,
                    updated_at=now,
                    owners=[ServiceOwner(user_id=OWNER if number % 3 == 0 else TEAMMATE)],
                )
            )
    slack_app.driver.event({"type": "app_home_opened", "user": OWNER, "tab": "home"})
    home = slack_app.fake.home_view(OWNER)
    assert home is not None and 10 < len(home["blocks"]) <= 100
    slack_app.driver.command("list", user=OWNER, channel=CHANNEL)
    assert "Services (300)" in last_reply(slack_app)
