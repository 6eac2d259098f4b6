"""What a first real use found (issue 11), each driven like a person through signed HTTP and the
fake Slack: the result seen in the team channel, due dates that follow edits, restoring an
archived service, old cards that are closed, the status modal, and the smaller mends."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import func, select

from storage.models import Answer, Assessment, Service
from tests.harness import CHANNEL, OTHER_CHANNEL, OUTSIDER, OWNER, TEAMMATE, RunningApp
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


# --- filling modals by what they say -----------------------------------------------------------


def by_label(view: Json, answers: dict[str, Any]) -> dict[str, Any]:
    """Turn {input label: what the person picks or types} into the driver's block-id values;
    a select is chosen by the text of its option, as a person would."""
    inputs = {
        block["label"]["text"]: block for block in view["blocks"] if block.get("type") == "input"
    }
    values: dict[str, Any] = {}
    for label, answer in answers.items():
        assert label in inputs, f"the modal has no input labelled {label!r}: {list(inputs)}"
        block = inputs[label]
        element = block["element"]
        if element["type"] == "static_select":
            shown = {o["text"]["text"]: o["value"] for o in element["options"]}
            assert answer in shown, f"{label!r} offers {list(shown)}"
            answer = shown[answer]
        values[block["block_id"]] = answer
    return values


def edit(app: RunningApp, answers: dict[str, Any], name: str = "Bins") -> Any:
    app.driver.command(f"edit {name}", user=OWNER, channel=CHANNEL)
    view = app.fake.open_views(OWNER)[-1]
    return app.driver.submit_view(view, by_label(view, answers), user=OWNER)


def status_text(app: RunningApp, name: str = "Bins") -> str:
    app.driver.command(f"status {name}", user=OWNER, channel=CHANNEL)
    return last_reply(app)


# --- due dates follow edits --------------------------------------------------------------------


def test_editing_the_interval_and_last_assessed_moves_the_due_date(
    slack_app_each_db: RunningApp,
) -> None:
    app = slack_app_each_db  # the clock reads Tue 3 Mar 2026
    register_short(app, interval="12", last_assessed=date(2025, 12, 1))
    assert service_row(app).next_due_on == date(2026, 12, 1)

    edit(app, {"Reassess every": "3 months"})
    assert (service_row(app).next_due_on, service_row(app).due_reason) == (
        date(2026, 3, 1),
        "interval",
    )
    text = status_text(app)
    assert "overdue since Sun 1 Mar 2026" in text
    assert "Why this date: 3 months after the last assessment on Mon 1 Dec 2025" in text

    edit(app, {"Last assessed on": date(2026, 2, 1)})
    assert service_row(app).next_due_on == date(2026, 5, 1)
    assert "3 months after the last assessment on Sun 1 Feb 2026" in status_text(app)


def test_a_phase_change_is_due_now_and_the_sooner_date_wins(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register_short(app, interval="12", last_assessed=date(2025, 12, 1))
    edit(app, {"Phase": "Live"})
    service = service_row(app)
    assert (service.next_due_on, service.due_reason) == (date(2026, 3, 3), "phase_change")
    text = status_text(app)
    assert "Why this date: it moved to the live phase on Tue 3 Mar 2026" in text
    assert "sooner than 12 months after the last assessment on Mon 1 Dec 2025" in text
    announced = app.fake.messages(CHANNEL)[-1]["text"]
    assert "moved to the live phase, so a reassessment is due now" in announced

    # A 3-month interval is sooner still (already overdue); the phase change is still waiting...
    edit(app, {"Reassess every": "3 months"})
    assert (service_row(app).next_due_on, service_row(app).due_reason) == (
        date(2026, 3, 1),
        "interval",
    )
    assert "sooner than the phase change on Tue 3 Mar 2026" in status_text(app)
    # ...so going back to 12 months does not forget it.
    edit(app, {"Reassess every": "12 months"})
    assert (service_row(app).next_due_on, service_row(app).due_reason) == (
        date(2026, 3, 3),
        "phase_change",
    )
    # An assessment completed after the change settles it: next due a year on.
    completed(app)
    service = service_row(app)
    assert (service.next_due_on, service.due_reason) == (date(2027, 3, 3), "interval")
    assert "12 months after the last assessment on Tue 3 Mar 2026" in status_text(app)


# --- archived names can come back --------------------------------------------------------------


def test_an_archived_name_points_at_restore_and_restore_brings_history_back(
    slack_app_each_db: RunningApp,
) -> None:
    app = slack_app_each_db
    register_short(app)
    completed(app)
    app.driver.command("archive Bins", user=OWNER, channel=CHANNEL)
    app.driver.click("Archive", user=OWNER)

    # Registering the name again: told inline that it is archived, and how to bring it back.
    app.driver.command('new "bins"', user=TEAMMATE, channel=CHANNEL)
    view = app.fake.open_views(TEAMMATE)[-1]
    response = app.driver.submit_view(
        view,
        by_label(view, {"Phase": "Beta", "Team channel": CHANNEL, "Owners": [TEAMMATE]}),
        user=TEAMMATE,
    )
    error = response.json()["errors"]["name"]
    assert "'Bins' is an archived service" in error and "/assess restore Bins" in error
    assert app.fake.open_views(TEAMMATE)  # the modal stays open, nothing saved
    app.fake.close_view(view["id"])

    app.driver.command("restore Bins", user=OUTSIDER, channel=CHANNEL)
    assert "only the owners of Bins" in last_reply(app) and "restore it" in last_reply(app)
    assert service_row(app).archived_at is not None

    app.driver.command("restore bins", user=TEAMMATE, channel=CHANNEL)
    reply = last_reply(app)
    assert "Bins is back, with its history" in reply and "Next assessment due" in reply
    service = service_row(app)
    assert service.archived_at is None and service.archived_by is None
    app.driver.command("list", user=OWNER, channel=CHANNEL)
    assert "Bins" in last_reply(app)
    text = status_text(app)
    assert "Completed assessment" in text and "14 of 14 answered" in text

    app.driver.command("restore Bins", user=TEAMMATE, channel=CHANNEL)
    assert "isn't archived" in last_reply(app)
    app.driver.command("restore Parking", user=TEAMMATE, channel=CHANNEL)
    assert "No archived service called 'Parking'" in last_reply(app)
