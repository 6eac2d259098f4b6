"""Steps of a peer review, driven through the real app: shared by the review tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.models import Base
from tests.harness import CHANNEL, KENT_TEAM, OWNER, REVIEWER, SHARED_CHANNEL, RunningApp
from tests.test_assessment_e2e import newest_card, register

Json = dict[str, Any]
RATINGS = {3: "Partly met", 5: "Not met", 9: "Partly met"}  # the rest: Met


def rows(app: RunningApp) -> dict[str, int]:
    with app.deps.sessions() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
            if table.name != "processed_events"
        }


def complete_assessment(app: RunningApp, name: str = "Bins") -> None:
    """Register the service and rate all 15 points in its team channel."""
    register(app, name)
    app.driver.command(f"start {name}", user=OWNER, channel=CHANNEL)
    for _ in range(15):
        card = newest_card(app)
        point = int(card["blocks"][0]["text"]["text"].split()[1])
        app.driver.click(RATINGS.get(point, "Met"), user=OWNER, in_message=(CHANNEL, card["ts"]))


def review_parent(app: RunningApp, channel: str = SHARED_CHANNEL) -> Json:
    parents = [
        m
        for m in app.fake.messages(channel)
        if m.get("text", "").startswith("Peer review of") and not m.get("thread_ts")
    ]
    assert parents, [m.get("text") for m in app.fake.messages(channel)]
    return parents[-1]


def review_thread(app: RunningApp, channel: str = SHARED_CHANNEL) -> list[Json]:
    return app.fake.thread(channel, review_parent(app, channel)["ts"])


def review_card(app: RunningApp, point: int, channel: str = SHARED_CHANNEL) -> Json:
    cards = [
        m
        for m in review_thread(app, channel)
        if m.get("text", "").startswith(f"Peer review: Point {point} of")
    ]
    assert cards, f"no card for point {point}"
    return cards[-1]


def assessment_thread(app: RunningApp) -> list[Json]:
    parent = next(
        m
        for m in app.fake.messages(CHANNEL)
        if m.get("text", "").startswith("Assessment of") and not m.get("thread_ts")
    )
    return app.fake.thread(CHANNEL, parent["ts"])


def challenge_post(app: RunningApp, point: int) -> Json:
    posts = [m for m in assessment_thread(app) if f"challenges point {point}" in m.get("text", "")]
    assert posts, f"no challenge on point {point} in the assessment thread"
    return posts[-1]


def agree(app: RunningApp, point: int, user: str = REVIEWER, team: str = KENT_TEAM) -> None:
    card = review_card(app, point)
    app.driver.click("Agree", user=user, team_id=team, in_message=(SHARED_CHANNEL, card["ts"]))


def challenge(app: RunningApp, point: int, rating: str, comment: str) -> None:
    card = review_card(app, point)
    where = (SHARED_CHANNEL, card["ts"])
    app.driver.click("Challenge", user=REVIEWER, team_id=KENT_TEAM, in_message=where)
    modal = app.fake.open_views(REVIEWER)[-1]
    response = app.driver.submit_view(
        modal, {"rating": rating, "comment": comment}, user=REVIEWER, team_id=KENT_TEAM
    )
    assert response.status == 200 and not app.fake.open_views(REVIEWER)


def ask(app: RunningApp, name: str = "Bins", user: str = OWNER) -> None:
    app.driver.command(
        f"review {name} <@{REVIEWER}|Priya>", user=user, channel=SHARED_CHANNEL, escape=False
    )
