"""Peer review end to end, on both databases, with a reviewer from another council.

Priya of Kent County Council is a Slack Connect user: she carries her own team id and is a
member of a channel the two councils share. The invitation is her only grant.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.core.review_export import COLUMNS
from storage.models import Answer, ReviewVerdict
from tests.harness import (
    ADMIN,
    CHANNEL,
    KENT_TEAM,
    OUTSIDER,
    OWNER,
    REVIEWER,
    SHARED_CHANNEL,
    RunningApp,
)
from tests.review_steps import (
    agree,
    ask,
    assessment_thread,
    challenge,
    challenge_post,
    complete_assessment,
    review_card,
    review_thread,
    rows,
)
from tests.test_actions_e2e import rate_all
from tests.test_assessment_e2e import last_reply, register

CHALLENGED = {3: "not_met", 7: "partly_met", 11: "not_met"}
FORMULA = '=HYPERLINK("https://evil.example","x")'
NASTY = "Not shown to users <!channel> see <https://evil.example|here> & <@U999>"


def test_peer_review_by_another_council(
    slack_app_each_db: RunningApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = slack_app_each_db
    complete_assessment(app)
    register(app, "Parking")
    ask(app)
    assert "Asked Priya (Kent County Council) to review Bins" in last_reply(app)
    parent = review_thread(app)[0]
    parent_text = parent["blocks"][0]["text"]["text"]
    assert (
        "Bins" in parent_text and "Beta phase" in parent_text and "15 of 15 answered" in parent_text
    )
    assert f"/archives/{CHANNEL}/p" in parent_text  # the link to the assessment thread

    # A third person's click is refused politely and saves nothing.
    before = rows(app)
    agree(app, 1, user=OUTSIDER, team="T1")
    assert rows(app) == before
    assert "only Priya (Kent County Council) was invited" in last_reply(app)

    for point in range(1, 16):
        if point in CHALLENGED:
            comment = FORMULA if point == 11 else f"{NASTY} (point {point})"
            challenge(app, point, CHALLENGED[point], comment)
        else:
            agree(app, point)
    result = "Peer review by Priya (Kent County Council): 12 agreed, 3 challenged"
    assert any(result in m.get("text", "") for m in review_thread(app))
    assert any(result in m.get("text", "") for m in assessment_thread(app))
    # The comment arrives escaped wherever it is shown.
    shown = str(challenge_post(app, 3)["blocks"])
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "&lt;https://evil.example|here&gt;" in shown
    assert "<!channel>" not in str(review_card(app, 3)["blocks"])

    # The owner accepts one challenge and responds to another.
    post = challenge_post(app, 3)
    app.driver.click("Accept", user=OWNER, in_message=(CHANNEL, post["ts"]))
    with app.deps.sessions() as session:
        newest = session.scalars(
            select(Answer).where(Answer.point_number == 3).order_by(Answer.id.desc())
        ).first()
        assert newest is not None and newest.rating == "not_met" and newest.answered_by == OWNER
    post = challenge_post(app, 7)
    app.driver.click("Respond", user=OWNER, in_message=(CHANNEL, post["ts"]))
    modal = app.fake.open_views(OWNER)[-1]
    app.driver.submit_view(
        modal,
        {"note": "Our research log covers this", "links": "https://example.gov.uk/log"},
        user=OWNER,
    )
    asked = [m for m in review_thread(app) if "responded to your challenge on point 7" in m["text"]]
    assert asked
    app.driver.click(
        "Agree", user=REVIEWER, team_id=KENT_TEAM, in_message=(SHARED_CHANNEL, asked[-1]["ts"])
    )
    with app.deps.sessions() as session:
        verdicts = session.scalars(select(ReviewVerdict).order_by(ReviewVerdict.id)).all()
    assert len(verdicts) == 16 and verdicts[-1].verdict == "agree" and verdicts[-1].round == 1

    # Status shows each point's verdict and whether its challenge is open.
    app.driver.command("status Bins", user=OWNER, channel=CHANNEL)
    status = last_reply(app)
    assert "Peer review by Priya (Kent County Council)" in status
    assert "3. team Partly met · reviewer: challenged, Not met · challenge accepted" in status
    assert "7. team Met · reviewer: challenged, Partly met · agreed after the team" in status
    assert "11. team Met · reviewer: challenged, Not met · challenge open" in status
    assert "1. team Met · reviewer: agreed" in status

    # Home marks the service peer-reviewed within its interval (and not the other one).
    app.driver.event({"type": "app_home_opened", "user": OWNER, "tab": "home"})
    home = app.fake.home_view(OWNER)
    assert home is not None
    rows_shown = [b["text"]["text"] for b in home["blocks"] if b.get("type") == "section"]
    assert any("Bins" in r and "peer-reviewed" in r for r in rows_shown)
    assert not any("Parking" in r and "peer-reviewed" in r for r in rows_shown)

    # The leadership summary: reviewed within interval, open challenges, where they disagree.
    app.driver.command("summary", user=ADMIN, channel=CHANNEL)
    summary = last_reply(app)
    assert "1 of 2 services peer-reviewed within their interval · 1 open challenge" in summary
    assert "Challenged most: point 3 · " in summary and "point 7 · " in summary
    # Self vs peer over 15 first verdicts: 3: partly→not (+1), 7: met→partly (+1), 11: met→not (+2)
    assert "on average 0.27 grades above peers" in summary

    # The export: one row per verdict, exactly these columns, Excel-safe.
    app.driver.command("export reviews", user=OWNER, channel=CHANNEL)
    assert "reviews CSV (16 rows)" in last_reply(app)
    content = app.fake.uploaded_files()[-1].content
    assert content.startswith("\ufeff".encode()) and b"\r\n" in content
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS
    data = [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]
    assert len(data) == 16 and {row["reviewer_team_id"] for row in data} == {KENT_TEAM}
    assert {row["reviewer_name"] for row in data} == {"Priya"}
    by_point = {}
    for row in data:
        by_point.setdefault(int(row["point_number"]), []).append(row)
    three, seven, eleven = by_point[3], by_point[7], by_point[11]
    assert [(r["verdict"], r["challenge_status"]) for r in three] == [("challenge", "accepted")]
    assert three[0]["team_rating"] == "partly_met" and three[0]["reviewer_rating"] == "not_met"
    assert three[0]["resolved_at"].endswith("Z")
    assert [(r["verdict"], r["challenge_status"]) for r in seven] == [
        ("challenge", "agreed"),
        ("agree", "agreed"),
    ]
    assert [(r["verdict"], r["challenge_status"], r["resolved_at"]) for r in eleven] == [
        ("challenge", "open", "")
    ]
    assert eleven[0]["comment"] == "'" + FORMULA  # never runs as a formula
    assert by_point[1][0]["verdict"] == "agree" and by_point[1][0]["challenge_status"] == "none"
    # The command line writes the same file.
    monkeypatch.setenv("DATABASE_URL", app.deps.settings.database_url)
    out = tmp_path / "reviews.csv"
    assert main(["export", "--reviews", "--out", str(out)]) == 0
    assert out.read_bytes() == content

    # The reviewer gets nothing else: no list, no other service, no export, no start.
    before = rows(app)
    driver = app.driver
    driver.command("list", user=REVIEWER, channel=SHARED_CHANNEL, team_id=KENT_TEAM)
    assert "Bins" not in last_reply(app) and "Parking" not in last_reply(app)
    driver.command("status Parking", user=REVIEWER, channel=SHARED_CHANNEL, team_id=KENT_TEAM)
    assert "No service called 'Parking'" in last_reply(app)
    files = len(app.fake.uploaded_files())
    driver.command("export", user=REVIEWER, channel=SHARED_CHANNEL, team_id=KENT_TEAM)
    driver.command("export reviews", user=REVIEWER, channel=SHARED_CHANNEL, team_id=KENT_TEAM)
    assert len(app.fake.uploaded_files()) == files
    driver.command("start Bins", user=REVIEWER, channel=SHARED_CHANNEL, team_id=KENT_TEAM)
    assert "started" not in last_reply(app)
    assert rows(app) == before


def test_ask_from_the_completion_message_then_withdraw_and_expire(slack_app: RunningApp) -> None:
    app = slack_app
    complete_assessment(app)
    completion = [
        m for m in assessment_thread(app) if "Ask for a peer review" in str(m.get("blocks"))
    ]
    assert completion, "the completion message offers a peer review"
    # Asked from the team channel, where Priya is not a member: refused inline, nothing saved.
    app.driver.click("Ask for a peer review", user=OWNER, in_message=(CHANNEL, completion[0]["ts"]))
    modal = app.fake.open_views(OWNER)[-1]
    before = rows(app)
    app.driver.submit_view(modal, {"reviewer": REVIEWER}, user=OWNER)
    assert rows(app) == before
    assert app.fake.open_views(OWNER), "the modal stays open with the error on the field"
    app.fake.close_view(app.fake.open_views(OWNER)[-1]["id"])
    # The owner themselves can't review.
    ask_modal = app.driver.click(
        "Ask for a peer review", user=OWNER, in_message=(CHANNEL, completion[0]["ts"])
    )
    assert ask_modal.status == 200
    app.driver.submit_view(app.fake.open_views(OWNER)[-1], {"reviewer": OWNER}, user=OWNER)
    assert rows(app) == before
    app.fake.close_view(app.fake.open_views(OWNER)[-1]["id"])
    # A colleague from another team, in the team channel: the review thread starts there.
    app.driver.click("Ask for a peer review", user=OWNER, in_message=(CHANNEL, completion[0]["ts"]))
    app.driver.submit_view(app.fake.open_views(OWNER)[-1], {"reviewer": OUTSIDER}, user=OWNER)
    assert not app.fake.open_views(OWNER)
    colleague = review_thread(app, CHANNEL)
    assert "by <@UOUT>" in colleague[0]["blocks"][0]["text"]["text"]
    assert colleague[-1]["text"].startswith("Peer review: Point 1 of 15")

    ask(app)
    agree(app, 1)
    # She stops and comes back: Continue review posts her first unanswered point again.
    parent = review_thread(app)[0]
    app.driver.click(
        "Continue review",
        user=REVIEWER,
        team_id=KENT_TEAM,
        in_message=(SHARED_CHANNEL, parent["ts"]),
    )
    again = [
        m for m in review_thread(app) if m.get("text", "").startswith("Peer review: Point 2 of")
    ]
    assert len(again) == 2
    # Withdrawn: her next click is refused and saves nothing.
    app.driver.click("Withdraw invitation", user=OWNER, in_message=(SHARED_CHANNEL, parent["ts"]))
    before = rows(app)
    agree(app, 2)
    assert rows(app) == before and "withdrawn" in last_reply(app)
    assert "Withdrawn by" in str(review_thread(app)[0]["blocks"])

    # Asked again, then 30 days pass: the invitation has expired.
    ask(app)
    assert "Asked Priya" in last_reply(app)
    app.clock.advance(days=30)
    before = rows(app)
    agree(app, 1)
    assert rows(app) == before and "expired" in last_reply(app)


def test_modal_mistakes_come_back_on_the_field_and_save_nothing(slack_app: RunningApp) -> None:
    app = slack_app
    complete_assessment(app)
    ask(app)
    card = review_card(app, 1)
    where = (SHARED_CHANNEL, card["ts"])
    app.driver.click("Challenge", user=REVIEWER, team_id=KENT_TEAM, in_message=where)
    modal = app.fake.open_views(REVIEWER)[-1]
    before = rows(app)
    response = app.driver.submit_view(
        modal, {"rating": "not_met", "comment": "   "}, user=REVIEWER, team_id=KENT_TEAM
    )
    assert response.json()["errors"] == {"comment": "Say why you challenge it."}
    assert rows(app) == before and app.fake.open_views(REVIEWER)
    app.driver.submit_view(
        modal, {"rating": "not_met", "comment": "No research yet"}, user=REVIEWER, team_id=KENT_TEAM
    )
    post = challenge_post(app, 1)
    app.driver.click("Respond", user=OWNER, in_message=(CHANNEL, post["ts"]))
    respond = app.fake.open_views(OWNER)[-1]
    before = rows(app)
    response = app.driver.submit_view(
        respond, {"note": "See the log", "links": "javascript:alert(1)"}, user=OWNER
    )
    assert set(response.json()["errors"]) == {"links"}
    assert rows(app) == before


def test_review_cards_show_the_points_open_actions(slack_app_each_db: RunningApp) -> None:
    """The reviewer judging a weak point sees what the team has already promised to do (#14)."""
    app = slack_app_each_db
    register(app, "Bins", owners=[OWNER])
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    rate_all(app, {1: "Not met", 2: "Partly met"}, add_on_card=1)
    ask(app, "Bins")
    first = json.dumps(review_card(app, 1)["blocks"], ensure_ascii=False)
    assert "Run usability tests with 5 residents" in first
    agree(app, 1)
    second = json.dumps(review_card(app, 2)["blocks"], ensure_ascii=False)
    assert "Run usability tests with 5 residents" not in second  # point 1's, not point 2's
