"""What a first real use found (issue 11), each driven like a person through signed HTTP and the
fake Slack: the result seen in the team channel, due dates that follow edits, restoring an
archived service, old cards that are closed, the status modal, and the smaller mends."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.blocks import ids
from bot.blocks.summary_ids import CHANNELS_BLOCK
from bot.slack.directory import QUICK_TIMEOUT_SECONDS
from storage.models import Answer, Assessment, Service
from storage.summary_queries import get_settings, save_settings
from storage.values import SummarySettings
from tests.fakeslack import FakeSlack
from tests.fakeslack.blockkit import iter_elements
from tests.harness import (
    ADMIN,
    CHANNEL,
    NOT_JOINED,
    OTHER_CHANNEL,
    OUTSIDER,
    OWNER,
    SLACK_ADMIN,
    TEAM,
    TEAMMATE,
    RunningApp,
    running_app,
)
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


# --- picking from menus by what they say -------------------------------------------------------


def pick(
    app: RunningApp,
    menu: str,
    option: str,
    *,
    user: str = OWNER,
    in_message: tuple[str, str] | None = None,
) -> Any:
    """Open the overflow menu `menu` (action id) on the newest surface showing it and pick the
    option whose text is `option`."""
    surfaces = app.fake.surfaces(user)
    if in_message is not None:
        surfaces = [s for s in surfaces if (s.channel, s.ts) == in_message]
    for surface in reversed(surfaces):
        for found in iter_elements(surface.blocks):
            if found.action_id == menu and found.type == "overflow":
                shown = {o["text"]["text"]: o["value"] for o in found.element["options"]}
                assert option in shown, f"{menu} offers {list(shown)}"
                return app.driver.select(menu, shown[option], user=user, in_message=in_message)
    raise AssertionError(f"{user} sees no menu {menu}")


def point_menu(point: int) -> str:
    return f"{ids.STATUS_CHANGE}_{point}"


def blocks_text(blocks: list[Json]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def card_of(app: RunningApp, point: int, assessment_index: int = 0) -> Json:
    parents = [
        m
        for m in app.fake.messages(CHANNEL)
        if m.get("text", "").startswith(("Assessment of", "Reassessment of"))
        and not m.get("thread_ts")
    ]
    thread = app.fake.thread(CHANNEL, parents[assessment_index]["ts"])
    return [m for m in thread if m.get("text", "").split(": Point ")[-1].startswith(f"{point} of")][
        -1
    ]


# --- old cards are closed ----------------------------------------------------------------------


def test_a_card_of_a_completed_assessment_refuses_clicks_and_shows_it_is_closed(
    slack_app_each_db: RunningApp,
) -> None:
    app = slack_app_each_db
    register_short(app)
    completed(app)
    before = answers(app)
    old = card_of(app, 1)
    app.driver.click("Not met", user=OWNER, in_message=(CHANNEL, old["ts"]))
    assert answers(app) == before  # history is not rewritten
    told = last_reply(app)
    assert "That card belongs to the assessment of *Bins* started" in told
    assert "and completed <!date^" in told and "It is closed, so your click changed nothing" in told
    assert "`/assess status Bins`" in told and "`/assess start Bins`" in told
    assert app.fake.response_posts()[-1].body["response_type"] == "ephemeral"
    redrawn = app.fake.message(CHANNEL, old["ts"])
    assert [b for b in redrawn["blocks"] if b["type"] == "actions"] == []
    assert "Closed — this assessment was completed" in blocks_text(redrawn["blocks"])
    assert "Met" in blocks_text(redrawn["blocks"])  # the answer given stays visible

    # The modals behind a closed card are refused too, before anything opens.
    for point, label in ((2, "Not applicable"), (3, "Add evidence")):
        card = card_of(app, point)
        app.driver.click(label, user=OWNER, in_message=(CHANNEL, card["ts"]))
        assert app.fake.open_views(OWNER) == []
        assert "It is closed" in last_reply(app)
        assert "Closed — " in blocks_text(app.fake.message(CHANNEL, card["ts"])["blocks"])
    assert answers(app) == before

    # Today's answer is still changed where the refusal said: the status menu.
    app.driver.command("status Bins", user=OWNER, channel=CHANNEL)
    pick(app, point_menu(1), "Not met")
    assert answers(app) == [*before, (before[0][0], 1, "not_met")]


def test_a_card_replaced_by_a_newer_assessment_refuses_clicks(
    slack_app_each_db: RunningApp,
) -> None:
    app = slack_app_each_db
    register_short(app)
    completed(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    assert "Reassessment of Bins started" in last_reply(app)
    before = answers(app)
    old = card_of(app, 3, assessment_index=0)
    app.driver.click("Partly met", user=TEAMMATE, in_message=(CHANNEL, old["ts"]))
    assert answers(app) == before
    told = last_reply(app)
    assert "A newer assessment, started <!date^" in told and "replaced it" in told
    assert "answer in the newer assessment's thread" in told
    redrawn = app.fake.message(CHANNEL, old["ts"])
    assert "A newer assessment has replaced it" in blocks_text(redrawn["blocks"])
    # The newer assessment's own card still works.
    newest = newest_card(app)
    app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest["ts"]))
    with app.deps.sessions() as session:
        latest = session.scalar(select(func.max(Assessment.id)))
    assert answers(app)[-1] == (latest, 1, "met")


# --- the status modal changes answers ----------------------------------------------------------


def open_status_from_home(app: RunningApp, user: str = OWNER) -> Json:
    app.driver.event({"type": "app_home_opened", "user": user, "tab": "home"})
    pick(app, ids.HOME_SERVICE_MENU, "Status", user=user)
    [modal] = app.fake.open_views(user)
    assert modal["title"]["text"] == "Service status"
    return modal


def point_line(modal: Json, point: int) -> str:
    for block in modal["blocks"]:
        if (block.get("accessory") or {}).get("action_id") == point_menu(point):
            return str(block["text"]["text"])
    raise AssertionError(f"no point {point} in the status modal")


def test_home_status_modal_changes_a_rating_and_refreshes_with_its_hash(
    slack_app_each_db: RunningApp,
) -> None:
    app = slack_app_each_db
    register_short(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest_card(app)["ts"]))
    modal = open_status_from_home(app)
    assert "_not answered_" in point_line(modal, 2)
    app.fake.clear_calls()
    replies = len(app.fake.response_posts(include_rejected=True))

    pick(app, point_menu(2), "Not met")
    assert answers(app)[-1][1:] == (2, "not_met")
    [update] = app.fake.calls_to("views.update")
    assert update.ok and update.params["view_id"] == modal["id"]
    assert update.params["hash"] == modal["hash"]  # the hash Slack sent with the click
    [refreshed] = app.fake.open_views(OWNER)
    assert "*Not met*" in point_line(refreshed, 2) and refreshed["hash"] != modal["hash"]
    # a modal has no response_url: nothing was sent to one
    assert len(app.fake.response_posts(include_rejected=True)) == replies
    # The thread's card for point 2 shows the answer given in the modal.
    assert "Not met" in blocks_text(card_of(app, 2)["blocks"])


def test_not_applicable_and_evidence_open_on_top_of_the_status_modal(
    slack_app_each_db: RunningApp,
) -> None:
    app = slack_app_each_db
    register_short(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest_card(app)["ts"]))
    status = open_status_from_home(app)
    app.fake.clear_calls()

    pick(app, point_menu(2), "Not applicable…")
    stack = app.fake.open_views(OWNER)
    assert [v["title"]["text"] for v in stack] == ["Service status", "Not applicable"]
    assert [c.ok for c in app.fake.calls_to("views.push")] == [True]
    assert app.fake.calls_to("views.open") == []
    reason = stack[-1]
    app.driver.submit_view(
        reason, by_label(reason, {"Why doesn't this point apply?": "No paper form"}), user=OWNER
    )
    [back] = app.fake.open_views(OWNER)  # the pushed modal closed; the status is underneath
    assert back["id"] == status["id"]
    assert "*Not applicable*" in point_line(back, 2)

    pick(app, point_menu(1), "Add evidence…")
    evidence = app.fake.open_views(OWNER)[-1]
    assert evidence["title"]["text"] == "Add evidence" and len(app.fake.open_views(OWNER)) == 2
    app.driver.submit_view(
        evidence,
        by_label(evidence, {"What shows this point is met?": "Research with 12 residents"}),
        user=OWNER,
    )
    [back] = app.fake.open_views(OWNER)
    assert "evidence ✓" in point_line(back, 1)
    with app.deps.sessions() as session:
        latest = session.scalars(select(Answer).order_by(Answer.id.desc())).first()
        assert latest is not None and latest.evidence == "Research with 12 residents"


def test_a_stale_status_refresh_is_refused_by_its_hash_and_redone_from_the_database(
    slack_app: RunningApp,
) -> None:
    app = slack_app
    register_short(app)
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    open_status_from_home(app)
    # What the person's Slack client showed before their first change landed:
    [stale] = [s for s in app.fake.surfaces(OWNER) if s.kind == "view"]
    pick(app, point_menu(3), "Partly met")
    app.fake.clear_calls()

    # A second pick from the old screen carries the old hash.
    [menu] = [f for f in iter_elements(stale.blocks) if f.action_id == point_menu(4)]
    [option] = [o for o in menu.element["options"] if o["text"]["text"] == "Met"]
    action = {
        "action_id": menu.action_id,
        "block_id": menu.block_id,
        "type": "overflow",
        "selected_option": option,
        "action_ts": "1.000001",
    }
    payload = app.driver.block_actions_payload(stale, action, user=OWNER)
    assert "response_url" not in payload and payload["container"]["type"] == "view"
    response = app.driver.post(
        urlencode({"payload": json.dumps(payload)}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status == 200
    app.deps.after_ack.wait_idle()  # type: ignore[attr-defined]

    updates = app.fake.calls_to("views.update")
    assert [u.error for u in updates] == ["hash_conflict", None]
    assert updates[0].params["hash"] == stale.view["hash"]  # type: ignore[index]
    assert "hash" not in updates[1].params
    [modal] = app.fake.open_views(OWNER)
    assert "*Partly met*" in point_line(modal, 3) and "*Met*" in point_line(modal, 4)


# --- smaller mends -----------------------------------------------------------------------------


def test_settings_check_every_leadership_channel(slack_app: RunningApp) -> None:
    app = slack_app
    app.fake.add_channel("CQUIET", "quiet", is_member=False)
    app.driver.command("settings", user=ADMIN, channel=CHANNEL)
    [view] = app.fake.open_views(ADMIN)
    # Slack can't say anything about the first channel (a missing scope, say): the others are
    # still checked, and every problem is named.
    app.fake.fail_next("conversations.info", error="missing_scope")
    response = app.driver.submit_view(
        view,
        by_label(view, {"Leadership channels": [OTHER_CHANNEL, NOT_JOINED, CHANNEL, "CQUIET"]}),
        user=ADMIN,
    )
    error = response.json()["errors"][CHANNELS_BLOCK]
    assert "<#CNOTJOINED> and <#CQUIET>" in error and "/invite @assessbot" in error
    assert len(app.fake.calls_to("conversations.info")) == 4
    with app.deps.sessions() as session:
        assert not get_settings(session=session, team_id=TEAM).configured


def test_a_slack_time_out_is_answered_like_a_slack_error(
    sqlite_url: str, fake_slack: FakeSlack
) -> None:
    with running_app(sqlite_url, fake_slack, slack_timeout=1) as app:
        # Before a modal opens: /assess settings asks Slack whether a workspace admin is one.
        app.fake.fail_next("users.info", error="internal_error")
        app.driver.command("settings", user=SLACK_ADMIN, channel=CHANNEL)
        refused = last_reply(app)
        # Longer than the quick lookup's own time-out (bot.slack.directory): no answer in time.
        app.fake.fail_next("users.info", delay=QUICK_TIMEOUT_SECONDS + 0.5, times=3)
        response = app.driver.command("settings", user=SLACK_ADMIN, channel=CHANNEL)
        timed_out = last_reply(app)
        app.fake.clear_faults()
        assert response.status == 200 and app.fake.open_views(SLACK_ADMIN) == []
        assert "Slack didn't accept that message" in refused and "`internal_error`" in refused
        assert "Slack didn't accept that message" in timed_out and "`no_response`" in timed_out

        # Saving the modal: the ack still comes, with the reason inline. The modal is opened
        # here and saved through another replica, whose directory has not met the admin yet.
        app.driver.command("settings", user=SLACK_ADMIN, channel=CHANNEL)
        [view] = app.fake.open_views(SLACK_ADMIN)
    with running_app(sqlite_url, fake_slack, slack_timeout=1) as app:
        app.fake.fail_next("users.info", delay=QUICK_TIMEOUT_SECONDS + 0.5, times=3)
        response = app.driver.submit_view(view, {}, user=SLACK_ADMIN)
        app.fake.clear_faults()
        assert response.status == 200 and not response.timed_out
        assert "Slack didn't answer" in response.json()["errors"][CHANNELS_BLOCK]

        # Registering a service: the channel check timing out is an inline error too.
        app.driver.command('new "Bins"', user=OWNER, channel=CHANNEL)
        view = app.fake.open_views(OWNER)[-1]
        app.fake.fail_next("conversations.info", delay=QUICK_TIMEOUT_SECONDS + 0.5, times=3)
        response = app.driver.submit_view(
            view,
            by_label(view, {"Phase": "Beta", "Team channel": CHANNEL, "Owners": [OWNER]}),
            user=OWNER,
        )
        app.fake.clear_faults()
        assert response.status == 200
        assert "no_response" in response.json()["errors"]["channel"]


def test_the_summary_preview_survives_a_channel_slack_will_not_describe(
    sqlite_url: str, fake_slack: FakeSlack
) -> None:
    with running_app(sqlite_url, fake_slack, slack_timeout=1) as app:
        with app.deps.sessions.begin() as session:
            save_settings(
                SummarySettings(TEAM, (OTHER_CHANNEL, CHANNEL), 0, "09:00", ()),
                session=session,
                updated_by=ADMIN,
                now=app.clock.now,
            )
        app.fake.fail_next("conversations.info", delay=1.5)
        app.driver.command("summary", user=ADMIN, channel=CHANNEL)
        body = app.fake.response_posts()[-1].body
        assert isinstance(body, dict) and "Slack didn't accept" not in body["text"]
        # A button for each leadership channel: the one Slack could not name shows its id.
        buttons = [
            found.label
            for found in iter_elements(body["blocks"])
            if found.type == "button" and found.action_id.startswith("summary_post")
        ]
        assert buttons == [f"Post to #{OTHER_CHANNEL}", "Post to #team-bins"]


def test_unknown_subcommand_is_escaped_in_the_fallback_text_too(slack_app: RunningApp) -> None:
    slack_app.driver.command("<!channel>&co", user=OWNER, channel=CHANNEL)
    [post] = slack_app.fake.response_posts()
    body = post.body
    assert isinstance(body, dict)
    assert body["text"] == "I don't know the command '&lt;!channel&gt;&amp;co'."
    assert "<!channel>" not in json.dumps(body)


def test_a_status_view_of_a_replaced_assessment_refuses_changes(slack_app: RunningApp) -> None:
    app = slack_app
    register_short(app)
    completed(app)
    app.driver.command("status Bins", user=OWNER, channel=CHANNEL)  # shows the completed one
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)  # a reassessment replaces it
    before = answers(app)
    pick(app, point_menu(5), "Not met")  # from the status shown before the reassessment
    assert answers(app) == before
    told = last_reply(app)
    assert "That status view belongs to the assessment of *Bins*" in told
    assert "replaced it" in told and "(run it again for the current one)" in told
