"""Bad input to improvement actions: a clear inline error (or note), and nothing changed.

Empty text, a past due date, an owner who has left Slack, an archived service, a point the
assessment lacks, a bad evidence link, a re-dating without a reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Assessment, ImprovementAction, Service
from tests.harness import CHANNEL, OWNER, TEAMMATE, RunningApp
from tests.test_assessment_e2e import last_reply, newest_card, register
from tests.test_authorization import rows

LEFT = "ULEFT"


def rated_not_met(app: RunningApp) -> dict[str, Any]:
    app.fake.add_user(LEFT, name="lee", real_name="Lee Leaver", deleted=True)
    register(app, "Bins", owners=[OWNER])
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    card = newest_card(app)
    app.driver.click("Not met", user=OWNER, in_message=(CHANNEL, card["ts"]))
    return card


def open_add(app: RunningApp, card: dict[str, Any]) -> dict[str, Any]:
    app.driver.click("Add action", user=OWNER, in_message=(CHANNEL, card["ts"]))
    return app.fake.open_views(OWNER)[-1]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"text": "   \n "}, "text", "Say what will be done"),
        ({"text": "Fix it", "due": date(2026, 3, 2)}, "due", "can't be in the past"),
        ({"text": "Fix it", "owner": LEFT}, "owner", "has left Slack"),
    ],
    ids=["empty-text", "past-due-date", "deactivated-owner"],
)
def test_add_refuses_bad_input_inline_and_saves_nothing(
    slack_app_each_db: RunningApp, values: dict[str, Any], field: str, words: str
) -> None:
    app = slack_app_each_db
    card = rated_not_met(app)
    view = open_add(app, card)
    before = rows(app)
    response = app.driver.submit_view(view, {"owner": TEAMMATE, **values}, user=OWNER)
    ack = response.json()
    assert ack["response_action"] == "errors" and words in ack["errors"][field]
    assert rows(app) == before
    assert app.fake.open_views(OWNER), "the modal stays open for a correction"


def test_add_on_an_archived_service_is_refused(slack_app: RunningApp) -> None:
    app = slack_app
    card = rated_not_met(app)
    view = open_add(app, card)
    with app.deps.sessions.begin() as session:
        service = session.scalars(select(Service)).one()
        service.archived_at = app.clock()
    before = rows(app)
    ack = app.driver.submit_view(view, {"text": "Fix it", "owner": TEAMMATE}, user=OWNER).json()
    assert "archived" in ack["errors"]["text"]
    assert rows(app) == before
    app.driver.click("Add action", user=OWNER, in_message=(CHANNEL, card["ts"]))
    assert "archived" in last_reply(app)
    assert rows(app) == before


def test_add_on_a_point_the_assessment_lacks_is_refused(slack_app: RunningApp) -> None:
    app = slack_app
    card = rated_not_met(app)
    with app.deps.sessions() as session:
        assessment_id = session.scalars(select(Assessment.id)).one()
    before = rows(app)
    views = len(app.fake.open_views(OWNER))
    app.driver.click_action(
        "improvement_add", f"{assessment_id}:99", user=OWNER, in_message=(CHANNEL, card["ts"])
    )
    assert "Point 99 is not part of this assessment" in last_reply(app)
    assert len(app.fake.open_views(OWNER)) == views and rows(app) == before


def add_one(app: RunningApp) -> int:
    card = rated_not_met(app)
    view = open_add(app, card)
    app.driver.submit_view(view, {"text": "Fix it", "owner": TEAMMATE}, user=OWNER)
    with app.deps.sessions() as session:
        return session.scalars(select(ImprovementAction.id)).one()


@pytest.mark.parametrize(
    ("button", "values", "field", "words"),
    [
        ("Mark done", {"note": "Done", "links": "javascript:alert(1)"}, "links", "https://"),
        ("Mark done", {"note": "  "}, "note", "Say what was done"),
        ("Change due date", {"due": date(2026, 3, 1), "reason": "Late"}, "due", "past"),
        ("Change due date", {"due": date(2026, 5, 1), "reason": "   "}, "reason", "Say why"),
        ("Drop", {"reason": " \n"}, "reason", "Say why"),
    ],
    ids=["bad-link", "empty-note", "past-date", "no-reason", "drop-no-reason"],
)
def test_changes_refuse_bad_input_inline_and_change_nothing(
    slack_app_each_db: RunningApp, button: str, values: dict[str, Any], field: str, words: str
) -> None:
    app = slack_app_each_db
    action_id = add_one(app)
    app.driver.command("actions", user=TEAMMATE, channel=CHANNEL)
    app.driver.click(button, user=TEAMMATE)
    view = app.fake.open_views(TEAMMATE)[-1]
    before = rows(app)
    ack = app.driver.submit_view(view, values, user=TEAMMATE).json()
    assert ack["response_action"] == "errors" and words in ack["errors"][field]
    assert rows(app) == before
    with app.deps.sessions() as session:
        action = session.get(ImprovementAction, action_id)
        assert action is not None and action.status == "open" and action.note == ""


def test_the_actions_export_follows_the_export_rules(slack_app: RunningApp) -> None:
    app = slack_app
    rated_not_met(app)
    app.driver.command("export actions", user=OWNER, channel=CHANNEL)
    assert "No improvement actions yet on your services" in last_reply(app)
    app.driver.command("export actions Bins", user=TEAMMATE, channel=CHANNEL)
    assert "You can only export services you own" in last_reply(app)
    assert app.fake.uploaded_files() == []
