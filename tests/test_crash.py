"""SIGKILL in the middle of an assessment, then a restart: nothing Slack saw succeed is lost."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import make_engine, session_factory
from storage.models import Answer, Card
from tests.driver import SlackDriver
from tests.fakeslack import FakeSlack
from tests.harness import CHANNEL, OWNER, SIGNING_SECRET, TEAMMATE, settings_env
from tests.test_run_process import (
    assessbot_run,
    base_env,
    free_port,
    wait_for,
    wait_for_health,
)


def cards(fake: FakeSlack) -> list[dict[str, object]]:
    return [m for m in fake.messages(CHANNEL) if "Point " in str(m.get("text", ""))]


@pytest.mark.slow
def test_killed_mid_assessment_and_restarted(
    fake_slack: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = base_env(**settings_env(fake_slack, sqlite_url, PORT=str(port)))
    url = f"http://127.0.0.1:{port}"
    driver = SlackDriver(url, SIGNING_SECRET, fake_slack)
    engine = make_engine(sqlite_url)
    sessions = session_factory(engine)

    with assessbot_run(env, tmp_path / "first.log") as process:
        wait_for_health(url, process, tmp_path / "first.log")
        driver.command("new Bins", user=OWNER, channel=CHANNEL)
        wait_for(lambda: fake_slack.open_views(OWNER))
        view = fake_slack.open_views(OWNER)[-1]
        driver.submit_view(
            view, {"phase": "live", "channel": CHANNEL, "owners": [OWNER, TEAMMATE]}, user=OWNER
        )
        driver.command("start Bins", user=OWNER, channel=CHANNEL)
        wait_for(lambda: len(cards(fake_slack)) == 1)
        acknowledged = 0
        for _ in range(3):
            card = cards(fake_slack)[-1]
            before = len(cards(fake_slack))
            response = driver.click("Met", user=OWNER, in_message=(CHANNEL, str(card["ts"])))
            assert response.status == 200
            acknowledged += 1
            wait_for(lambda before=before: len(cards(fake_slack)) == before + 1)
        # Slack hangs on the next card: the process saves, acks, then dies while posting.
        fake_slack.fail_next("chat.postMessage", delay=30)
        response = driver.click(
            "Partly met", user=TEAMMATE, in_message=(CHANNEL, str(cards(fake_slack)[-1]["ts"]))
        )
        assert response.status == 200
        acknowledged += 1
        wait_for(lambda: any(c.method == "chat.postMessage" for c in fake_slack.calls[-3:]))
        os.killpg(process.pid, signal.SIGKILL)  # the master and its workers, all at once
        process.wait(timeout=10)

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == acknowledged
        unposted = session.scalars(select(Card).where(Card.message_ts.is_(None))).all()
    assert [card.point_number for card in unposted] == [5]
    fake_slack.clear_faults()

    with assessbot_run(env, tmp_path / "second.log") as process:
        wait_for_health(url, process, tmp_path / "second.log")
        driver.command("start Bins", user=TEAMMATE, channel=CHANNEL)
        wait_for(lambda: "Point 5 of 15" in str(cards(fake_slack)[-1]["text"]))
        driver.click("Not met", user=OWNER, in_message=(CHANNEL, str(cards(fake_slack)[-1]["ts"])))
        wait_for(lambda: "Point 6 of 15" in str(cards(fake_slack)[-1]["text"]))
    with sessions() as session:
        ratings = session.scalars(select(Answer.rating).order_by(Answer.id)).all()
    assert ratings == ["met", "met", "met", "partly_met", "not_met"]
    engine.dispose()
