"""Who may do what, as a matrix: every guarded action × every kind of person.

Owners manage their services; admins (ASSESSBOT_ADMINS, and Slack workspace admins/owners)
manage everything, export everything and change settings; other members may only look; a user
of another workspace sees nothing at all. A peer reviewer from another council may give
verdicts on the one assessment they were invited to review, and nothing else. Every refusal
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from storage.models import Base, ImprovementAction, ReviewInvitation, Service
from tests.harness import (
    ADMIN,
    CHANNEL,
    FOREIGNER,
    KENT_TEAM,
    OTHER_CHANNEL,
    OTHER_TEAM,
    OUTSIDER,
    OWNER,
    REVIEWER,
    SHARED_CHANNEL,
    SLACK_ADMIN,
    TEAM,
    TEAMMATE,
    RunningApp,
)
from tests.review_steps import ask, complete_assessment
from tests.test_assessment_e2e import last_reply, register


@dataclass(frozen=True)
class Role:
    name: str
    user: str
    team: str
    owner: bool = False
    admin: bool = False
    reviewer: bool = False


ROLES = [
    Role("owner", OWNER, TEAM, owner=True),
    Role("other member", OUTSIDER, TEAM),
    Role("ASSESSBOT_ADMINS admin", ADMIN, TEAM, admin=True),
    Role("Slack workspace admin", SLACK_ADMIN, TEAM, admin=True),
    Role("another workspace", FOREIGNER, OTHER_TEAM),
    Role("peer reviewer of another council", REVIEWER, KENT_TEAM, reviewer=True),
]


def rows(app: RunningApp) -> dict[str, int]:
    with app.deps.sessions() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
            if table.name != "processed_events"
        }


def prepare(app: RunningApp) -> None:
    """A service owned by OWNER, an assessment with point 1 rated, summary settings."""
    # The completed, reviewed assessment comes first: the newest cards are then Bins', open.
    prepare_review(app)
    register(app, "Bins", owners=[OWNER])
    register(app, "Parking", owners=[OWNER])
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    app.driver.click("Met", user=OWNER, in_message=(CHANNEL, first_card(app)))
    app.driver.command("settings", user=ADMIN, channel=CHANNEL)
    view = app.fake.open_views(ADMIN)[-1]
    response = app.driver.submit_view(view, {"summary_channels": [OTHER_CHANNEL]}, user=ADMIN)
    assert response.status == 200 and not app.fake.open_views(ADMIN)


def prepare_review(app: RunningApp) -> None:
    """A completed assessment of "Reviewed" that Priya (Kent) is invited to review; she has
    challenged points 1 and 2."""
    complete_assessment(app, "Reviewed")
    ask(app, "Reviewed")
    for point in (1, 2):
        forge(app, "review_challenge", point, REVIEWER, KENT_TEAM, SHARED_CHANNEL)
        modal = app.fake.open_views(REVIEWER)[-1]
        app.driver.submit_view(
            modal, {"rating": "not_met", "comment": "not yet"}, user=REVIEWER, team_id=KENT_TEAM
        )
    assert rows(app)["review_verdicts"] == 2


def invitation_id(app: RunningApp) -> int:
    with app.deps.sessions() as session:
        return session.scalars(
            select(ReviewInvitation.id).where(ReviewInvitation.reviewer_id == REVIEWER)
        ).one()


def forge(
    app: RunningApp, action_id: str, point: int | None, user: str, team: str, channel: str
) -> None:
    """A click on a review button (its value as the app writes it) in a message of `channel`."""
    inv = invitation_id(app)
    value = str(inv) if point is None else f"{inv}:{point}"
    where = (channel, str(app.fake.messages(channel)[0]["ts"]))
    app.driver.click_action(action_id, value, user=user, team_id=team, in_message=where)


def first_card(app: RunningApp) -> str:
    cards = [m for m in app.fake.messages(CHANNEL) if "Point 1 of" in m.get("text", "")]
    return str(cards[-1]["ts"])


def start(app: RunningApp, role: Role) -> bool:
    app.driver.command("start Bins", user=role.user, channel=CHANNEL, team_id=role.team)
    return "Resuming the assessment" in last_reply(app)


def answer(app: RunningApp, role: Role) -> bool:
    before = rows(app)["answers"]
    # Bins' open card, never one of the completed "Reviewed" assessment's (closed)
    card = next(
        m
        for m in reversed(app.fake.messages(CHANNEL))
        if m.get("text", "").startswith("Bins: Point ") and m["blocks"][-1]["type"] == "actions"
    )
    app.driver.click_action(
        "rate_not_met",
        card["blocks"][-1]["elements"][0]["value"],
        user=role.user,
        team_id=role.team,
        in_message=(CHANNEL, card["ts"]),
    )
    return rows(app)["answers"] == before + 1


def add_evidence(app: RunningApp, role: Role) -> bool:
    value = next(
        element["value"]
        for message in reversed(app.fake.messages(CHANNEL))
        if "Point 1 of" in message.get("text", "")
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    app.driver.click_action(
        "add_evidence",
        value,
        user=role.user,
        team_id=role.team,
        in_message=(CHANNEL, first_card(app)),
    )
    views = app.fake.open_views(role.user)
    if not views:
        return False
    before = rows(app)["answers"]
    app.driver.submit_view(
        views[-1], {"note": f"evidence from {role.name}"}, user=role.user, team_id=role.team
    )
    return rows(app)["answers"] == before + 1


def edit(app: RunningApp, role: Role) -> bool:
    app.driver.command("edit Parking", user=role.user, channel=CHANNEL, team_id=role.team)
    views = app.fake.open_views(role.user)
    if not views:
        return False
    app.driver.submit_view(views[-1], {"phase": "live"}, user=role.user, team_id=role.team)
    with app.deps.sessions() as session:
        return (
            session.scalars(select(Service.phase).where(Service.name == "Parking")).one() == "live"
        )


def archive(app: RunningApp, role: Role) -> bool:
    app.driver.command("archive Parking", user=role.user, channel=CHANNEL, team_id=role.team)
    with app.deps.sessions() as session:
        service_id = session.scalars(select(Service.id).where(Service.name == "Parking")).one()
    app.driver.click_action(
        "archive_confirm",
        str(service_id),
        user=role.user,
        team_id=role.team,
        in_message=(CHANNEL, first_card(app)),
    )
    with app.deps.sessions() as session:
        archived = session.scalars(select(Service.archived_at).where(Service.name == "Parking"))
        return archived.one() is not None


def export_one(app: RunningApp, role: Role) -> bool:
    before = len(app.fake.uploaded_files())
    app.driver.command("export Bins", user=role.user, channel=CHANNEL, team_id=role.team)
    return len(app.fake.uploaded_files()) == before + 1


def export_all(app: RunningApp, role: Role) -> bool:
    before = len(app.fake.uploaded_files())
    app.driver.command("export all", user=role.user, channel=CHANNEL, team_id=role.team)
    return len(app.fake.uploaded_files()) == before + 1


def settings(app: RunningApp, role: Role) -> bool:
    app.driver.command("settings", user=role.user, channel=CHANNEL, team_id=role.team)
    return bool(app.fake.open_views(role.user))


def post_summary(app: RunningApp, role: Role) -> bool:
    before = len(app.fake.messages(OTHER_CHANNEL))
    app.driver.click_action(
        "summary_post_0",
        OTHER_CHANNEL,
        user=role.user,
        team_id=role.team,
        in_message=(CHANNEL, first_card(app)),
    )
    return len(app.fake.messages(OTHER_CHANNEL)) > before


def ask_review(app: RunningApp, role: Role) -> bool:
    before = rows(app)["review_invitations"]
    app.driver.command(
        f"review Reviewed <@{OUTSIDER}|oscar>",
        user=role.user,
        channel=SHARED_CHANNEL,
        team_id=role.team,
        escape=False,
    )
    return rows(app)["review_invitations"] == before + 1


def review_agree(app: RunningApp, role: Role) -> bool:
    before = rows(app)["review_verdicts"]
    forge(app, "review_agree", 3, role.user, role.team, SHARED_CHANNEL)
    return rows(app)["review_verdicts"] == before + 1


def review_challenge(app: RunningApp, role: Role) -> bool:
    forge(app, "review_challenge", 4, role.user, role.team, SHARED_CHANNEL)
    views = [v for v in app.fake.open_views(role.user) if v["callback_id"] == "review_challenge"]
    if not views:
        return False
    before = rows(app)["review_verdicts"]
    app.driver.submit_view(
        views[-1], {"rating": "met", "comment": "fine"}, user=role.user, team_id=role.team
    )
    return rows(app)["review_verdicts"] == before + 1


def accept_challenge(app: RunningApp, role: Role) -> bool:
    before = rows(app)["challenge_responses"]
    forge(app, "challenge_accept", 1, role.user, role.team, CHANNEL)
    return rows(app)["challenge_responses"] == before + 1


def respond_to_challenge(app: RunningApp, role: Role) -> bool:
    forge(app, "challenge_respond", 2, role.user, role.team, CHANNEL)
    views = [v for v in app.fake.open_views(role.user) if v["callback_id"] == "challenge_respond"]
    if not views:
        return False
    before = rows(app)["challenge_responses"]
    app.driver.submit_view(views[-1], {"note": "see the log"}, user=role.user, team_id=role.team)
    return rows(app)["challenge_responses"] == before + 1


def resume_review(app: RunningApp, role: Role) -> bool:
    before = rows(app)["review_posts"]
    forge(app, "review_resume", None, role.user, role.team, SHARED_CHANNEL)
    return rows(app)["review_posts"] == before + 1


def withdraw_review(app: RunningApp, role: Role) -> bool:
    forge(app, "review_withdraw", None, role.user, role.team, SHARED_CHANNEL)
    with app.deps.sessions() as session:
        invitation = session.get(ReviewInvitation, invitation_id(app))
        return invitation is not None and invitation.withdrawn_at is not None


def export_reviews(app: RunningApp, role: Role) -> bool:
    before = len(app.fake.uploaded_files())
    app.driver.command("export reviews", user=role.user, channel=CHANNEL, team_id=role.team)
    return len(app.fake.uploaded_files()) == before + 1


Action = Callable[[RunningApp, Role], bool]
ACTIONS: list[tuple[str, Action, Callable[[Role], bool]]] = [
    ("start", start, lambda r: r.owner or r.admin),
    ("answer", answer, lambda r: r.owner or r.admin),
    ("add evidence", add_evidence, lambda r: r.owner or r.admin),
    ("edit", edit, lambda r: r.owner or r.admin),
    ("export one", export_one, lambda r: r.owner or r.admin),
    ("export all", export_all, lambda r: r.admin),
    ("settings", settings, lambda r: r.admin),
    ("post summary", post_summary, lambda r: r.admin),
    ("archive", archive, lambda r: r.owner or r.admin),
    ("ask for a peer review", ask_review, lambda r: r.owner or r.admin),
    ("export reviews", export_reviews, lambda r: r.owner or r.admin),
    ("review: agree", review_agree, lambda r: r.reviewer),
    ("review: challenge", review_challenge, lambda r: r.reviewer),
    ("review: continue", resume_review, lambda r: r.reviewer),
    ("challenge: accept", accept_challenge, lambda r: r.owner or r.admin),
    ("challenge: respond", respond_to_challenge, lambda r: r.owner or r.admin),
    ("review: withdraw", withdraw_review, lambda r: r.owner or r.admin),
]


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_authorization_matrix(slack_app: RunningApp, role: Role) -> None:
    prepare(slack_app)
    outcomes = {}
    for name, action, allowed in ACTIONS:
        before = rows(slack_app)
        done = action(slack_app, role)
        outcomes[name] = done
        if not allowed(role):
            assert rows(slack_app) == before, f"{role.name} changed something with {name}"
    expected = {name: allowed(role) for name, _, allowed in ACTIONS}
    assert outcomes == expected


# --- improvement actions (#14) -------------------------------------------------------------------

ACTION_ROLES = [
    Role("service owner", OWNER, TEAM, owner=True),
    Role("action owner", TEAMMATE, TEAM),  # owns the actions, not the service
    Role("other member", OUTSIDER, TEAM),
    Role("ASSESSBOT_ADMINS admin", ADMIN, TEAM, admin=True),
    Role("Slack workspace admin", SLACK_ADMIN, TEAM, admin=True),
    Role("another workspace", FOREIGNER, OTHER_TEAM),
]


def prepare_actions(app: RunningApp) -> dict[str, int]:
    """Bins (owned by OWNER) with point 1 rated Not met and three actions owned by TEAMMATE."""
    register(app, "Bins", owners=[OWNER])
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    app.driver.click("Not met", user=OWNER, in_message=(CHANNEL, first_card(app)))
    made = {}
    for purpose in ("done", "redate", "drop"):
        app.driver.click("Add action", user=OWNER, in_message=(CHANNEL, first_card(app)))
        view = app.fake.open_views(OWNER)[-1]
        app.driver.submit_view(view, {"text": f"for {purpose}", "owner": TEAMMATE}, user=OWNER)
        with app.deps.sessions() as session:
            made[purpose] = session.scalars(
                select(ImprovementAction.id).where(ImprovementAction.text == f"for {purpose}")
            ).one()
    return made


def add_action(app: RunningApp, role: Role, made: dict[str, int]) -> bool:
    before = rows(app)["actions"]
    card = first_card(app)
    value = next(
        element["value"]
        for message in app.fake.messages(CHANNEL)
        if message["ts"] == card
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    app.driver.click_action(
        "improvement_add", value, user=role.user, team_id=role.team, in_message=(CHANNEL, card)
    )
    views = [v for v in app.fake.open_views(role.user) if v.get("callback_id")]
    if not views:
        return False
    app.driver.submit_view(
        views[-1], {"text": f"by {role.name}", "owner": OWNER}, user=role.user, team_id=role.team
    )
    return rows(app)["actions"] == before + 1


def _change(
    app: RunningApp, role: Role, action_id: int, button: str, values: dict[str, object]
) -> bool:
    app.driver.click_action(
        button,
        str(action_id),
        user=role.user,
        team_id=role.team,
        in_message=(CHANNEL, first_card(app)),
    )
    views = app.fake.open_views(role.user)
    if not views:
        return False
    app.driver.submit_view(views[-1], values, user=role.user, team_id=role.team)
    return True


def _action(app: RunningApp, action_id: int) -> ImprovementAction:
    with app.deps.sessions() as session:
        found = session.get(ImprovementAction, action_id)
        assert found is not None
        return found


def mark_done(app: RunningApp, role: Role, made: dict[str, int]) -> bool:
    _change(app, role, made["done"], "improvement_done", {"note": f"done by {role.name}"})
    return _action(app, made["done"]).status == "done"


def redate(app: RunningApp, role: Role, made: dict[str, int]) -> bool:
    values = {"due": date(2026, 4, 1), "reason": f"moved by {role.name}"}
    _change(app, role, made["redate"], "improvement_redate", values)
    return _action(app, made["redate"]).due_on == date(2026, 4, 1)


def drop(app: RunningApp, role: Role, made: dict[str, int]) -> bool:
    _change(app, role, made["drop"], "improvement_drop", {"reason": f"dropped by {role.name}"})
    return _action(app, made["drop"]).status == "dropped"


ActionChange = Callable[[RunningApp, Role, dict[str, int]], bool]
ACTION_CHANGES: list[tuple[str, ActionChange, Callable[[Role], bool]]] = [
    ("add", add_action, lambda r: r.owner or r.admin),
    ("done", mark_done, lambda r: r.owner or r.admin or r.user == TEAMMATE),
    ("re-date", redate, lambda r: r.owner or r.admin or r.user == TEAMMATE),
    ("drop", drop, lambda r: r.owner or r.admin or r.user == TEAMMATE),
]


@pytest.mark.parametrize("role", ACTION_ROLES, ids=[role.name for role in ACTION_ROLES])
def test_action_authorization_matrix(slack_app_each_db: RunningApp, role: Role) -> None:
    slack_app = slack_app_each_db
    made = prepare_actions(slack_app)
    outcomes = {}
    for name, change, allowed in ACTION_CHANGES:
        before = rows(slack_app)
        with slack_app.deps.sessions() as session:
            states = [
                (a.status, a.due_on, a.note) for a in session.scalars(select(ImprovementAction))
            ]
        outcomes[name] = change(slack_app, role, made)
        if not allowed(role):
            assert rows(slack_app) == before, f"{role.name} changed something with {name}"
            with slack_app.deps.sessions() as session:
                after = [
                    (a.status, a.due_on, a.note) for a in session.scalars(select(ImprovementAction))
                ]
            assert after == states, f"{role.name} changed an action with {name}"
    assert outcomes == {name: allowed(role) for name, _, allowed in ACTION_CHANGES}
