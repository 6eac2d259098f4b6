"""Improvement actions end to end, on both databases: rate points Not met and Partly met, add
actions from a card and from the completion message, the action owner (not a service owner)
gets the upcoming and overdue nudges exactly once while two ticks run together, marks one done
with evidence, another is re-dated with a reason, the reassessment's cards show them, the
summary's figures are right and the export parses back row for row."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.deps import Deps
from bot.slack.client import build_web_client
from bot.slack.reminder_job import TickReport, run_reminders_tick
from bot.slack.summary_job import compute_summary
from storage.db import make_engine, session_factory
from storage.models import ActionEvent, ImprovementAction
from storage.values import SummarySettings
from tests.harness import CHANNEL, OUTSIDER, OWNER, TEAMMATE, RunningApp
from tests.reminder_seed import delivered
from tests.test_assessment_e2e import card_point, newest_card, register, thread_messages

Json = dict[str, Any]
PLAN = {1: "Not met", 2: "Partly met"}


def rate_all(app: RunningApp, plan: dict[int, str], *, add_on_card: int | None = None) -> None:
    """Answer every card in turn; on `add_on_card`, add an action from its card right away."""
    seen: set[int] = set()
    while True:
        card = newest_card(app)
        point = card_point(card)
        if point in seen:
            return
        seen.add(point)
        where = (CHANNEL, card["ts"])
        app.driver.click(plan.get(point, "Met"), user=OWNER, in_message=where)
        if point == add_on_card:
            app.driver.click("Add action", user=OWNER, in_message=where)
            modal = app.fake.open_views(OWNER)[-1]
            response = app.driver.submit_view(
                modal,
                {"text": "Run usability tests with 5 residents", "owner": TEAMMATE},
                user=OWNER,
            )
            assert response.status == 200 and not app.fake.open_views(OWNER)
        if any("complete:" in m.get("text", "") for m in thread_messages(app)):
            return


def message_text(message: Json) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def tick_twice_together(app: RunningApp) -> list[TickReport]:
    """Two ticks at the same moment, each with its own engine and pool, like two replicas."""
    engine = make_engine(app.deps.settings.database_url)
    other: Deps = replace(
        app.deps, engine=engine, sessions=session_factory(engine), process_name="replica-b"
    )
    barrier = threading.Barrier(2)
    reports: list[TickReport] = []

    def tick(deps: Deps) -> None:
        client = build_web_client(deps.settings)
        barrier.wait(timeout=10)
        reports.append(run_reminders_tick(deps, client))

    threads = [threading.Thread(target=tick, args=(deps,)) for deps in (app.deps, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()
    assert len(reports) == 2
    return reports


def action_nudges(app: RunningApp) -> Counter[tuple[str, int, str, str]]:
    return Counter(
        {key: n for key, n in delivered(app.fake, [OWNER, TEAMMATE]).items() if "action" in key[2]}
    )


def actions_by_text(app: RunningApp) -> dict[str, ImprovementAction]:
    with app.deps.sessions() as session:
        return {a.text: a for a in session.scalars(select(ImprovementAction))}


def test_actions_close_the_loop(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register(app, "Bins", owners=[OWNER])  # TEAMMATE is not an owner of Bins
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)

    # 1–2: rate Not met and Partly met; an action from point 1's card …
    rate_all(app, PLAN, add_on_card=1)
    card_one = next(m for m in thread_messages(app) if "Point 1 of" in m.get("text", ""))
    assert "Run usability tests with 5 residents" in message_text(card_one)
    # … and one from the completion message, which lists only point 2 (point 1 has one).
    completion = next(m for m in thread_messages(app) if "complete:" in m.get("text", ""))
    listed = [b for b in completion["blocks"] if b.get("accessory", {}).get("text")]
    assert [b["text"]["text"].split(" · ")[0] for b in listed] == ["Point 2"]
    app.driver.click("Add action", user=OWNER, in_message=(CHANNEL, completion["ts"]))
    modal = app.fake.open_views(OWNER)[-1]
    app.driver.submit_view(
        modal,
        {
            "text": "Publish the accessibility statement",
            "owner": TEAMMATE,
            "due": date(2026, 3, 13),
        },
        user=OWNER,
    )
    refreshed = app.fake.message(CHANNEL, completion["ts"])
    assert "Points that still need an action" not in message_text(refreshed)
    assert "complete" in refreshed["text"]  # the result itself stays
    actions = actions_by_text(app)
    tests, statement = (
        actions["Run usability tests with 5 residents"],
        actions["Publish the accessibility statement"],
    )
    assert tests.owner_id == statement.owner_id == TEAMMATE
    assert tests.due_on == date(2026, 6, 3)  # three months by default
    assert (tests.point_number, statement.point_number) == (1, 2)

    # 3: the upcoming nudge (7 days before 13 March) exactly once, with two ticks together.
    app.clock.now = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    reports = tick_twice_together(app)
    assert sum(r.sent for r in reports) == 1
    nudges = action_nudges(app)
    assert nudges == {(TEAMMATE, statement.service_id, "action_upcoming", f"{statement.id}.0"): 1}
    assert run_reminders_tick(app.deps, build_web_client(app.deps.settings)).sent == 0

    # 4: TEAMMATE marks it done from the nudge, with evidence.
    dm = app.fake.im_channel(TEAMMATE)
    assert dm is not None
    nudge = app.fake.messages(dm)[-1]
    app.driver.click("Mark done", user=TEAMMATE, in_message=(dm, nudge["ts"]))
    modal = app.fake.open_views(TEAMMATE)[-1]
    app.driver.submit_view(
        modal,
        {"note": "Statement published", "links": "https://example.gov.uk/accessibility"},
        user=TEAMMATE,
    )
    done = actions_by_text(app)["Publish the accessibility statement"]
    assert done.status == "done" and done.closed_by == TEAMMATE
    assert done.evidence_links == ["https://example.gov.uk/accessibility"]

    # 5: the service owner re-dates the other, with a reason, from `/assess actions Bins`.
    app.driver.command("actions Bins", user=OWNER, channel=CHANNEL)
    app.driver.click("Change due date", user=OWNER)
    modal = app.fake.open_views(OWNER)[-1]
    app.driver.submit_view(
        modal, {"due": date(2026, 3, 20), "reason": "Supplier delay"}, user=OWNER
    )
    redated = actions_by_text(app)["Run usability tests with 5 residents"]
    assert redated.due_on == date(2026, 3, 20) and redated.status == "open"
    with app.deps.sessions() as session:
        changes = session.scalars(
            select(ActionEvent.change).where(ActionEvent.action_id == redated.id)
        ).all()
        reasons = session.scalars(
            select(ActionEvent.reason).where(ActionEvent.change == "redated")
        ).all()
    assert list(changes) == ["created", "redated"] and list(reasons) == ["Supplier delay"]

    # 3 again: ten days overdue → the first weekly overdue nudge, exactly once.
    app.clock.now = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # a Monday
    reports = tick_twice_together(app)
    assert sum(r.sent for r in reports) == 1
    nudges = action_nudges(app)
    assert nudges[(TEAMMATE, redated.service_id, "action_overdue", f"{redated.id}.1")] == 1
    assert sum(nudges.values()) == 2 and set(nudges.values()) == {1}

    # Snooze 1 week from the overdue nudge: the action's nudges wait a week.
    overdue = app.fake.messages(dm)[-1]
    app.driver.click("Snooze 1 week", user=TEAMMATE, in_message=(dm, overdue["ts"]))
    assert "snoozed until" in json.dumps(app.fake.response_posts()[-1].body)
    snoozed = actions_by_text(app)["Run usability tests with 5 residents"]
    assert snoozed.snoozed_until is not None
    assert snoozed.snoozed_until.astimezone(UTC) == app.clock.now + timedelta(weeks=1)

    # Someone who owns neither the service nor the action sees the list without buttons.
    app.driver.command("actions Bins", user=OUTSIDER, channel=CHANNEL)
    listing = json.dumps(app.fake.response_posts()[-1].body)
    assert "Run usability tests with 5 residents" in listing and "Mark done" not in listing

    # 7: the summary's action figures.
    with app.deps.sessions() as session:
        summary = compute_summary(
            app.deps, session, SummarySettings(team_id="T1"), now=app.clock.now, channel_id=None
        )
    figures = summary.actions
    assert figures is not None
    assert (figures.open, figures.overdue) == (1, 1)
    assert figures.oldest_overdue is not None and figures.oldest_overdue.days == 10
    assert (figures.done_recently, figures.done_on_time) == (1, 1)
    assert (figures.weak_points, figures.covered, figures.covered_percent) == (2, 2, 100)
    assert [(s.name, s.open, s.overdue) for s in figures.services] == [("Bins", 1, 1)]

    # Status and Home show the counts.
    app.driver.command("status Bins", user=OWNER, channel=CHANNEL)
    assert "1 open action (*1 overdue*)" in json.dumps(app.fake.response_posts()[-1].body)
    app.driver.event({"type": "app_home_opened", "user": OWNER, "tab": "home"})
    home = app.fake.home_view(OWNER)
    assert home is not None and "1 open action (*1 overdue*)" in json.dumps(home)

    # 8: the export parses back row for row.
    app.driver.command("export actions", user=OWNER, channel=CHANNEL)
    upload = app.fake.uploaded_files()[-1]
    rows = list(csv.DictReader(io.StringIO(upload.content.decode("utf-8-sig"), newline="")))
    by_id = {int(row["action_id"]): row for row in rows}
    assert set(by_id) == {redated.id, done.id}
    assert by_id[done.id]["status"] == "done" and by_id[done.id]["note"] == "Statement published"
    assert by_id[done.id]["evidence_links"] == "https://example.gov.uk/accessibility"
    assert by_id[redated.id]["due_on"] == "2026-03-20" and by_id[redated.id]["owner_id"] == TEAMMATE
    assert by_id[redated.id]["owner_name"] == "tariq"  # the display name Slack gives
    assert by_id[redated.id]["arose_in_assessment_id"] == str(redated.assessment_id)
    app.driver.command("export actions history", user=OWNER, channel=CHANNEL)
    history = list(
        csv.DictReader(io.StringIO(app.fake.uploaded_files()[-1].content.decode("utf-8-sig")))
    )
    assert sorted((int(r["action_id"]), r["change"]) for r in history) == sorted(
        [
            (redated.id, "created"),
            (redated.id, "redated"),
            (redated.id, "snoozed"),
            (done.id, "created"),
            (done.id, "done"),
        ]
    )

    # 6: the reassessment's cards show the actions since the last assessment.
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    first = newest_card(app)
    assert card_point(first) == 1
    assert "Run usability tests with 5 residents" in message_text(first)
    assert "overdue" in message_text(first)
    app.driver.click("Met", user=OWNER, in_message=(CHANNEL, first["ts"]))
    second = newest_card(app)
    assert card_point(second) == 2
    assert "Publish the accessibility statement" in message_text(second)
    assert "All actions on this point are done: does the rating change?" in message_text(second)
