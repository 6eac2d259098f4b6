"""What a first real use found (issue 11), each driven like a person through signed HTTP and the
fake Slack: the result seen in the team channel, due dates that follow edits, restoring an
archived service, old cards that are closed, the status modal, and the smaller mends."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import func, select

from storage.models import Answer, Assessment, Service
from tests.harness import CHANNEL, OTHER_CHANNEL, OWNER, TEAMMATE, RunningApp
from tests.test_assessment_e2e import last_reply, newest_card, register, thread_messages

Json = dict[str, Any]
POINTS = 14  # govuk-2019: the shortest standard, so a whole assessment stays quick


def register_short(app: RunningApp, name: str = "Bins", **values: Any) -> None:
    register(app, name, standard="govuk-2019", **values)


def answer_every_point(app: RunningApp, label: str = "Met", user: str = OWNER) -> None:
    for _ in range(POINTS):
        app.driver.click(label, user=user, in_message=(CHANNEL, newest_card(app)["ts"]))


def completed(app: RunningApp, name: str = "Bins", channel: str = CHANNEL) -> None:
    app.driver.command(f"start {name}", user=OWNER, channel=channel)
    for _ in range(POINTS):
        card = [m for m in app.fake.messages(channel) if "Point " in m.get("text", "")][-1]
        app.driver.click("Met", user=OWNER, in_message=(channel, card["ts"]))


def answers(app: RunningApp) -> list[tuple[int, int, str]]:
    with app.deps.sessions() as session:
        rows = session.execute(
            select(Answer.assessment_id, Answer.point_number, Answer.rating).order_by(Answer.id)
        )
        return [(a, p, r) for a, p, r in rows]


def service_row(app: RunningApp, name: str = "Bins") -> Service:
    with app.deps.sessions() as session:
        service = session.scalars(select(Service).where(Service.name == name)).one()
        session.expunge(service)
        return service


# --- the result is seen in the team channel ----------------------------------------------------


def test_completion_is_also_sent_to_the_team_channel_once(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register_short(app)
    completed(app)
    parent = thread_messages(app)[0]
    seen_in_channel = [
        m for m in app.fake.channel_history(CHANNEL) if "complete:" in m.get("text", "")
    ]
    assert len(seen_in_channel) == 1
    [result] = seen_in_channel
    assert result["subtype"] == "thread_broadcast" and result["thread_ts"] == parent["ts"]
    assert "14 met" in result["blocks"][0]["text"]["text"]
    # ...and it is the thread's own reply, not a second copy
    in_thread = [m for m in thread_messages(app) if "complete:" in m.get("text", "")]
    assert [m["ts"] for m in in_thread] == [result["ts"]]
    [call] = [
        c for c in app.fake.calls_to("chat.postMessage") if "complete:" in str(c.params.get("text"))
    ]
    assert call.params["reply_broadcast"] is True


def test_a_thread_elsewhere_tells_the_team_channel_with_its_own_message(
    slack_app: RunningApp,
) -> None:
    register_short(slack_app)
    completed(slack_app, channel=OTHER_CHANNEL)
    in_team_channel = [
        m for m in slack_app.fake.channel_history(CHANNEL) if "complete:" in m.get("text", "")
    ]
    assert len(in_team_channel) == 1 and "thread_ts" not in in_team_channel[0]
    elsewhere = [
        m for m in slack_app.fake.channel_history(OTHER_CHANNEL) if "complete:" in m.get("text", "")
    ]
    assert elsewhere == []  # the thread's reply stays in its thread there
