"""`/assess export` end to end: signed slash commands into the real app, the CSV uploaded to the
fake Slack, downloaded and compared row by row with the database (read independently here)."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.slack.listeners import export as listener
from storage.models import Answer, Assessment, Service
from tests.harness import (
    ADMIN,
    CHANNEL,
    FOREIGNER,
    OTHER_TEAM,
    OUTSIDER,
    OWNER,
    SLACK_ADMIN,
    TEAM,
    TEAMMATE,
    RunningApp,
)
from tests.test_assessment_e2e import newest_card, register
from tests.test_export import T0, add_answer, add_assessment, add_service, parse, run_cli

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
AWKWARD = '=SUM(A1) "quoted", ŵ ŷ 🎉\nsecond line'


def replies(app: RunningApp) -> list[str]:
    return [post.text or "" for post in app.fake.response_posts()]


def export(app: RunningApp, text: str, user: str, team_id: str = TEAM) -> tuple[str, Any]:
    """Run `/assess export …`; the last reply and the file it uploaded (None if none)."""
    before = len(app.fake.uploaded_files())
    app.driver.command(f"export {text}".strip(), user=user, channel=CHANNEL, team_id=team_id)
    files = app.fake.uploaded_files()
    assert len(files) <= before + 1
    return replies(app)[-1], (files[-1] if len(files) > before else None)


# --- an oracle: the expected file, read from the database without the export's queries ------


def cell(text: str) -> str:
    return "'" + text if text[:1] in TRIGGERS else text


def when(moment: Any) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_rows(
    app: RunningApp, team_id: str, service_names: list[str] | None, history: bool
) -> list[dict[str, str]]:
    def name_of(user_id: str) -> str:
        return app.fake.user_name(user_id) or user_id

    rows: list[dict[str, str]] = []
    with app.deps.sessions() as session:
        services = session.scalars(
            select(Service).where(Service.team_id == team_id).order_by(Service.name_key, Service.id)
        ).all()
        for service in services:
            if service_names is not None and service.name not in service_names:
                continue
            assessments = session.scalars(
                select(Assessment)
                .where(Assessment.service_id == service.id, Assessment.team_id == team_id)
                .order_by(Assessment.id)
            ).all()
            for assessment in assessments if history else assessments[-1:]:
                base = {
                    "service": cell(service.name),
                    "service_id": str(service.id),
                    "team_id": team_id,
                    "standard": assessment.standard_id,
                    "standard_version": assessment.standard_version,
                    "phase": assessment.phase,
                    "assessment_id": str(assessment.id),
                    "assessment_started_at": when(assessment.started_at),
                    "assessment_completed_at": when(assessment.completed_at),
                    "service_type": service.service_type,
                }
                for point in assessment.points:
                    answers = session.scalars(
                        select(Answer)
                        .where(
                            Answer.assessment_id == assessment.id,
                            Answer.point_number == point.number,
                            Answer.team_id == team_id,
                        )
                        .order_by(Answer.id)
                    ).all()
                    common = {
                        **base,
                        "point_number": str(point.number),
                        "point_title": cell(point.title),
                    }
                    if not answers:
                        rows.append(
                            {
                                **common,
                                "rating": "unanswered",
                                "evidence": "",
                                "evidence_links": "",
                                "answered_by_id": "",
                                "answered_by_name": "",
                                "answered_at": "",
                                "is_latest": "true",
                            }
                        )
                        continue
                    for answer in answers if history else answers[-1:]:
                        rows.append(
                            {
                                **common,
                                "rating": answer.rating,
                                "evidence": cell(answer.evidence),
                                "evidence_links": cell(" ".join(answer.evidence_links)),
                                "answered_by_id": cell(answer.answered_by),
                                "answered_by_name": cell(name_of(answer.answered_by)),
                                "answered_at": when(answer.answered_at),
                                "is_latest": "true" if answer is answers[-1] else "false",
                            }
                        )
    return rows


def seed(app: RunningApp) -> None:
    """Bins through Slack (ratings, a changed rating, evidence); the rest written directly."""
    register(app, "Bins", owners=[OWNER, TEAMMATE])
    app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    first = (CHANNEL, newest_card(app)["ts"])
    app.driver.click("Not met", user=OWNER, in_message=first)
    app.driver.click("Met", user=TEAMMATE, in_message=(CHANNEL, newest_card(app)["ts"]))
    app.driver.click("Met", user=OWNER, in_message=first)  # changed its mind on point 1
    app.driver.click("Add evidence", user=OWNER, in_message=first)
    modal = app.fake.open_views(OWNER)[-1]
    app.driver.submit_view(
        modal,
        {"note": AWKWARD, "links": "https://example.gov.uk/r\nhttps://example.org/a,b"},
        user=OWNER,
    )
    assert not app.fake.open_views(OWNER), "the evidence was not accepted"
    with app.deps.sessions.begin() as session:
        parking = add_service(session, "Parking, “Gwasanaeth” ŵŷ", owners=(OWNER,))
        old = add_assessment(
            session,
            parking,
            ["Old title one", "+Old title two"],
            started_at=T0 - timedelta(days=200),
            completed_at=T0 - timedelta(days=190),
        )
        add_answer(session, old, 1, "met", evidence="-5 is fine", by="UGONE")
        add_answer(session, old, 1, "partly_met", evidence="-5 is fine", by=TEAMMATE)
        new = add_assessment(session, parking, ["Understand users", "Joined up", "Third"])
        add_answer(session, new, 2, "not_applicable", evidence="No users, yet", by=OWNER)
        archived = add_service(session, "Archived one", owners=(OUTSIDER,), archived=True)
        add_answer(session, add_assessment(session, archived, ["A point"]), 1, "not_met")
        add_service(session, "Never assessed", owners=(OWNER,))
        theirs = add_service(session, "Bins", team_id=OTHER_TEAM, owners=(FOREIGNER,))
        add_answer(session, add_assessment(session, theirs, ["Theirs"]), 1, "met", by=FOREIGNER)


def test_owners_export_their_services_latest_and_history(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    seed(app)
    mine = ["Bins", "Never assessed", "Parking, “Gwasanaeth” ŵŷ"]

    reply, upload = export(app, "", OWNER)
    assert upload is not None, reply
    assert "sent you the CSV" in reply
    assert upload.channel_id == app.fake.im_channel(OWNER)
    assert upload.filename == "assessbot-export-20260303.csv"
    assert upload.initial_comment.startswith("Assessment export of your services (3)")
    assert "latest answer to each point" in upload.initial_comment
    assert upload.content.startswith(b"\xef\xbb\xbf")
    latest = parse(upload.content)
    assert latest == expected_rows(app, TEAM, mine, history=False)
    bins_point_1 = next(r for r in latest if r["service"] == "Bins" and r["point_number"] == "1")
    assert (bins_point_1["rating"], bins_point_1["evidence"]) == ("met", "'" + AWKWARD)
    assert bins_point_1["evidence_links"] == "https://example.gov.uk/r https://example.org/a,b"
    assert bins_point_1["answered_by_name"] == app.fake.user_name(OWNER)

    reply, upload = export(app, "history", OWNER)
    assert upload is not None, reply
    assert "every answer ever given" in upload.initial_comment
    history = parse(upload.content)
    assert history == expected_rows(app, TEAM, mine, history=True)
    assert len(history) > len(latest)
    assert {r["answered_by_name"] for r in history} >= {"UGONE", app.fake.user_name(TEAMMATE)}
    assert "Old title one" in {r["point_title"] for r in history}
    assert "'+Old title two" in {r["point_title"] for r in history}


def test_admins_export_everything_and_nothing_of_another_workspace(
    slack_app: RunningApp,
) -> None:
    seed(slack_app)
    # A listed admin needs no lookup; the answerers' names are then cached process-wide, so
    # the Slack admin's export asks Slack only whether they are an admin.
    asked = {ADMIN: {OWNER, TEAMMATE, "UGONE"}, SLACK_ADMIN: {SLACK_ADMIN}}
    for admin, text in ((ADMIN, "all history"), (SLACK_ADMIN, "history")):
        slack_app.fake.clear_calls()
        reply, upload = export(slack_app, text, admin)
        looked_up = [str(call.params.get("user")) for call in slack_app.fake.calls_to("users.info")]
        assert sorted(looked_up) == sorted(asked[admin]), looked_up
        assert upload is not None, reply
        assert upload.channel_id == slack_app.fake.im_channel(admin)
        rows = parse(upload.content)
        assert rows == expected_rows(slack_app, TEAM, None, history=True)
        assert {r["team_id"] for r in rows} == {TEAM}
        assert "Theirs" not in {r["point_title"] for r in rows}
        assert "Archived one" in {r["service"] for r in rows}

    reply, upload = export(slack_app, "Bins", FOREIGNER, team_id=OTHER_TEAM)
    assert upload is not None, reply
    assert parse(upload.content) == expected_rows(slack_app, OTHER_TEAM, ["Bins"], history=False)


def test_refused_users_are_told_why_and_get_no_file(slack_app: RunningApp) -> None:
    seed(slack_app)
    cases = [
        ("Bins", OUTSIDER, "You can only export services you own"),
        ("all", OUTSIDER, "Only admins can export every service"),
        ("all history", OWNER, "Only admins can export every service"),
        ("", TEAMMATE, None),  # owns Bins: allowed
        ("Nowhere", OWNER, "There's no service called “Nowhere”"),
        ("Never assessed", OWNER, "Nothing to export yet: “Never assessed” has never been"),
    ]
    for text, user, refusal in cases:
        reply, upload = export(slack_app, text, user)
        if refusal is None:
            assert upload is not None, reply
        else:
            assert upload is None and refusal in reply, reply
    reply, upload = export(slack_app, "Bins", FOREIGNER, team_id=OTHER_TEAM)
    assert upload is not None and b"Theirs" in upload.content
    assert b"second line" not in upload.content and "ŵ".encode() not in upload.content


def test_slack_failures_are_explained(slack_app: RunningApp) -> None:
    seed(slack_app)
    slack_app.fake.fail_next("files.completeUploadExternal", error="missing_scope")
    reply, upload = export(slack_app, "Bins", OWNER)
    assert upload is None and "files:write" in reply
    slack_app.fake.fail_next("upload", status=500)
    reply, upload = export(slack_app, "Bins", OWNER)
    assert upload is None and "Couldn't send you the file" in reply
    slack_app.fake.fail_next("conversations.open", error="user_disabled")
    reply, upload = export(slack_app, "Bins", OWNER)
    assert upload is None and "user_disabled" in reply
    reply, upload = export(slack_app, "Bins", OWNER)  # and then it works again
    assert upload is not None, reply


def test_a_database_outage_is_explained(
    slack_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(slack_app)

    def unavailable(**_: Any) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(listener, "exportable_services", unavailable)
    reply, upload = export(slack_app, "Bins", OWNER)
    assert upload is None and "Couldn't read the assessments" in reply
    monkeypatch.undo()
    reply, upload = export(slack_app, "Bins", OWNER)
    assert upload is not None, reply


def test_the_cli_names_answerers_through_slack_when_it_has_a_token(
    slack_app: RunningApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed(slack_app)
    monkeypatch.setenv("DATABASE_URL", slack_app.deps.settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_app.fake.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack_app.fake.api_url)
    out = tmp_path / "export.csv"
    slack_app.fake.clear_calls()
    assert run_cli(["export", "--out", str(out), "--team", TEAM, "--history"]) == 0
    assert parse(out.read_bytes()) == expected_rows(slack_app, TEAM, None, history=True)
    # Once per person who answered, before the export's transaction; UGONE is unknown to Slack.
    looked_up = [str(call.params.get("user")) for call in slack_app.fake.calls_to("users.info")]
    assert sorted(looked_up) == sorted([OWNER, TEAMMATE, "UGONE"])
