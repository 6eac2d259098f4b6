"""Intruders: forged or replayed requests, and users of another workspace with crafted values."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from storage.models import Base
from tests.harness import CHANNEL, FOREIGNER, OTHER_TEAM, OWNER, SIGNING_SECRET, RunningApp
from tests.test_assessment_e2e import last_reply, newest_card, register


def row_counts(app: RunningApp) -> dict[str, int]:
    with app.deps.sessions() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize(
    "knob",
    [{"signed": False}, {"bad_signature": True}, {"timestamp_offset": -360}, {"tamper": True}],
    ids=["unsigned", "wrong-signature", "replayed-6-minutes-old", "body-changed"],
)
def test_forged_requests_get_401_and_change_nothing(
    slack_app: RunningApp, knob: dict[str, object]
) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    card = newest_card(slack_app)
    before = row_counts(slack_app)
    calls_before = len(slack_app.fake.calls)
    attempts = [
        slack_app.driver.click("Met", user=OWNER, in_message=(CHANNEL, card["ts"]), **knob),
        slack_app.driver.command("archive Bins", user=OWNER, channel=CHANNEL, **knob),
        slack_app.driver.event(
            {"type": "app_home_opened", "user": OWNER, "tab": "home"}, event_id="EvX", **knob
        ),
    ]
    assert [response.status for response in attempts] == [401, 401, 401]
    assert row_counts(slack_app) == before
    assert len(slack_app.fake.calls) == calls_before


def test_another_workspace_sees_and_changes_nothing(slack_app: RunningApp) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    card = newest_card(slack_app)
    value = card["blocks"][-1]["elements"][0]["value"]  # "assessment:point"
    assessment_id = value.split(":")[0]
    before = row_counts(slack_app)
    driver = slack_app.driver

    driver.command("list", user=FOREIGNER, channel=CHANNEL, team_id=OTHER_TEAM)
    assert "Bins" not in last_reply(slack_app)
    driver.command("status Bins", user=FOREIGNER, channel=CHANNEL, team_id=OTHER_TEAM)
    assert "No service called 'Bins'" in last_reply(slack_app)
    driver.command("start Bins", user=FOREIGNER, channel=CHANNEL, team_id=OTHER_TEAM)
    driver.command("edit Bins", user=FOREIGNER, channel=CHANNEL, team_id=OTHER_TEAM)
    driver.command("archive Bins", user=FOREIGNER, channel=CHANNEL, team_id=OTHER_TEAM)
    for action_id in (
        "rate_met",
        "rate_not_met",
        "skip_point",
        "add_evidence",
        "rate_not_applicable",
    ):
        driver.click_action(
            action_id, value, user=FOREIGNER, team_id=OTHER_TEAM, in_message=(CHANNEL, card["ts"])
        )
    for action_id, forged in (
        ("archive_confirm", "1"),
        ("assessment_start", "1"),
        ("rate_met", f"{assessment_id}:99"),
        ("rate_met", "not-a-value"),
        ("rate_met", "1:1:1"),
    ):
        driver.click_action(
            action_id,
            forged,
            user=FOREIGNER,
            team_id=OTHER_TEAM,
            in_message=(CHANNEL, "1700000000.000001"),
        )
    driver.event({"type": "app_home_opened", "user": FOREIGNER, "tab": "home"}, team_id=OTHER_TEAM)
    home = slack_app.fake.home_view(FOREIGNER)
    assert home is not None and "Bins" not in json.dumps(home)
    after = row_counts(slack_app)
    assert after.pop("processed_events") == before.pop("processed_events") + 1  # the home event
    assert after == before
    assert not slack_app.fake.open_views(FOREIGNER)


def test_tokens_and_secrets_never_reach_the_logs(
    slack_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    slack_app.driver.command("start Secret plans", user=OWNER, channel=CHANNEL, bad_signature=True)
    slack_app.fake.fail_next("chat.update", error="invalid_auth")
    slack_app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest_card(slack_app)["ts"]))
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert logged, "expected some logging to scan"
    for secret in (slack_app.deps.settings.bot_token, SIGNING_SECRET):
        assert secret not in logged
    assert "Secret plans" not in logged and "Secret+plans" not in logged  # no request bodies
    assert secret not in repr(slack_app.deps.settings)
