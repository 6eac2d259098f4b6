"""`/assess report`, Download report and Portfolio report end to end, through the fake Slack."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from bot.blocks.assessment import build_completion
from bot.cli_report import add_report_parsers
from bot.core.flow import Tally
from storage.models import Answer, Assessment, Service, WorkspaceName
from tests.harness import ADMIN, CHANNEL, OUTSIDER, OWNER, SLACK_ADMIN, TEAMMATE, RunningApp
from tests.report_seed import EVIDENCE, HIDDEN, seed_reports
from tests.test_assessment_e2e import register


def replies(app: RunningApp) -> list[str]:
    return [post.text or "" for post in app.fake.response_posts()]


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="assessbot")
    add_report_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def test_the_uploaded_report_is_the_file_the_cli_writes(
    slack_app_each_db: RunningApp,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = slack_app_each_db
    seed_reports(app.deps.sessions)
    app.driver.command("report bins", user=OWNER, channel=CHANNEL)
    assert "sent you the report on Bins" in replies(app)[-1]
    files = app.fake.uploaded_files()
    assert len(files) == 1
    uploaded = files[0]
    dm = app.fake.calls_to("conversations.open")[-1].response
    assert uploaded.channel_id == dm["channel"]["id"]  # type: ignore[index]
    assert uploaded.filename.startswith("bins-") and uploaded.filename.endswith(".html")
    page = uploaded.content.decode("utf-8")
    for needed in ("olive, tariq", "#team-bins", EVIDENCE, "assessbot-test"):
        assert needed in page, needed  # names from Slack; the workspace's name from auth.test
    with app.deps.sessions() as session:
        assert session.get(WorkspaceName, "T1").name == "assessbot-test"  # type: ignore[union-attr]

    # The command line, with the same data, the same clock and Slack to name people:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ASSESSBOT_TIMEZONE", "Europe/London")
    monkeypatch.setenv("SLACK_BOT_TOKEN", app.fake.bot_token)
    monkeypatch.setenv("SLACK_API_URL", app.fake.api_url)
    out = tmp_path / "bins.html"
    with time_machine.travel(app.clock.now, tick=False):
        assert run_cli(["report", "--service", "Bins", "--out", str(out)]) == 0
    assert out.read_bytes() == uploaded.content


def test_only_owners_and_admins_get_a_report(slack_app: RunningApp) -> None:
    seed_reports(slack_app.deps.sessions)
    slack_app.driver.command("report Bins", user=OUTSIDER, channel=CHANNEL)
    assert "only the owners of Bins" in replies(slack_app)[-1]
    slack_app.driver.command("report Nope", user=OWNER, channel=CHANNEL)
    assert "No service called 'Nope'" in replies(slack_app)[-1]
    slack_app.driver.command("report", user=OWNER, channel=CHANNEL)
    assert "Usage: `/assess report <service>`" in replies(slack_app)[-1]
    assert slack_app.fake.uploaded_files() == []
    slack_app.driver.command(f'report "{HIDDEN}"', user=SLACK_ADMIN, channel=CHANNEL)
    assert len(slack_app.fake.uploaded_files()) == 1


def test_status_offers_download_report_and_says_whether_published(slack_app: RunningApp) -> None:
    seed_reports(slack_app.deps.sessions)
    slack_app.driver.command("status Bins", user=OWNER, channel=CHANNEL)
    status = slack_app.fake.response_posts()[-1]
    text = str(status.body)
    assert "Published: yes" in text and "Download report" in text
    slack_app.driver.click("Download report", user=OWNER)
    assert len(slack_app.fake.uploaded_files()) == 1
    assert "sent you the report on Bins" in replies(slack_app)[-1]
    slack_app.driver.command(f'status "{HIDDEN}"', user=OWNER, channel=CHANNEL)
    assert "Published: no" in str(slack_app.fake.response_posts()[-1].body)


def test_download_report_refuses_a_forged_or_foreign_service(slack_app: RunningApp) -> None:
    ids = seed_reports(slack_app.deps.sessions)
    slack_app.driver.click_action(
        "report_download", str(ids.bins), user=OUTSIDER, in_message=(CHANNEL, "1.000")
    )
    slack_app.driver.click_action(
        "report_download", str(ids.archived), user=ADMIN, in_message=(CHANNEL, "1.000")
    )
    slack_app.driver.click_action(
        "report_download", "not-a-number", user=ADMIN, in_message=(CHANNEL, "1.000")
    )
    assert slack_app.fake.uploaded_files() == []


def test_the_register_form_has_publishing_off_by_default(slack_app: RunningApp) -> None:
    register(slack_app, "Libraries")
    with slack_app.deps.sessions() as session:
        service = session.scalars(select(Service).where(Service.name == "Libraries")).one()
        assert service.publishable is False
    register(slack_app, "Museums", publishable=["publishable"])
    with slack_app.deps.sessions() as session:
        service = session.scalars(select(Service).where(Service.name == "Museums")).one()
        assert service.publishable is True
    slack_app.driver.command("edit Museums", user=OWNER, channel=CHANNEL)
    view = slack_app.fake.open_views(OWNER)[-1]
    block = next(b for b in view["blocks"] if b.get("block_id") == "publishable")
    assert block["element"]["initial_options"][0]["value"] == "publishable"
    slack_app.driver.submit_view(view, {"publishable": []}, user=OWNER)
    with slack_app.deps.sessions() as session:
        service = session.scalars(select(Service).where(Service.name == "Museums")).one()
        assert service.publishable is False


def test_home_has_portfolio_report_for_admins_only(slack_app: RunningApp) -> None:
    seed_reports(slack_app.deps.sessions)
    slack_app.driver.event({"type": "app_home_opened", "user": TEAMMATE, "tab": "home"})
    assert "Portfolio report" not in str(slack_app.fake.home_view(TEAMMATE))
    slack_app.driver.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    assert "Portfolio report" in str(slack_app.fake.home_view(ADMIN))
    asked = len(slack_app.fake.calls_to("users.info"))
    slack_app.driver.click("Portfolio report", user=ADMIN)
    assert len(slack_app.fake.calls_to("users.info")) == asked  # the page names nobody
    files = slack_app.fake.uploaded_files()
    assert len(files) == 1 and files[0].filename.startswith("portfolio-")
    page = files[0].content.decode("utf-8")
    assert "Service assessments: assessbot-test" in page and "Bins" in page
    assert HIDDEN in page  # the internal copy has every service
    assert EVIDENCE not in page
    # a forged click from someone who is not an admin
    slack_app.driver.click_action(
        "portfolio_report", "all", user=TEAMMATE, in_message=(CHANNEL, "1.000")
    )
    assert len(slack_app.fake.uploaded_files()) == 1
    assert "Only admins" in replies(slack_app)[-1]


def test_the_completion_message_offers_download_report() -> None:
    tally = Tally(
        total=1, met=1, partly_met=0, not_met=0, not_applicable=0, unanswered=(), not_met_points=()
    )
    _, blocks = build_completion(
        "Bins", tally, {1: "Understand users"}, "Tue 1 Sep 2026", service_id=7
    )
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons] == [
        ("Download report", "report_download", "7")
    ]


def test_the_completion_message_s_download_report_sends_the_finished_report(
    slack_app: RunningApp,
) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    with slack_app.deps.sessions.begin() as session:
        assessment = session.scalars(select(Assessment)).one()
        for point in range(1, 15):
            session.add(
                Answer(
                    team_id="T1",
                    assessment_id=assessment.id,
                    point_number=point,
                    rating="met",
                    evidence="",
                    evidence_links=[],
                    answered_by=TEAMMATE,
                    answered_at=slack_app.clock.now,
                )
            )
        assessment_id = assessment.id
    slack_app.driver.command("status Bins", user=OWNER, channel=CHANNEL)
    slack_app.driver.select("status_change_15", f"{assessment_id}:15:met", user=OWNER)
    completion = [
        m for m in slack_app.fake.messages(CHANNEL) if "complete" in (m.get("text") or "")
    ]
    assert completion, "no completion message"
    slack_app.driver.click(
        "Download report", user=OWNER, in_message=(CHANNEL, completion[-1]["ts"])
    )
    files = slack_app.fake.uploaded_files()
    assert len(files) == 1
    page = files[0].content.decode("utf-8")
    assert "Completed" in page and "15 points: 15 met." in page
