"""Faults, each through signed HTTP and the fake Slack: redeliveries, Slack errors, a database
outage, and a standard file that changes under existing assessments."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from standards import builtin_standards_dir
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Answer, Assessment, Card
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.fakeslack import FakeSlack
from tests.harness import CHANNEL, OWNER, RunningApp, running_app
from tests.test_assessment_e2e import card_point, last_reply, newest_card, register


def count(app: RunningApp, model: type) -> int:
    with app.deps.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_redelivered_event_is_handled_once(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    event = {"type": "app_home_opened", "user": OWNER, "tab": "home"}
    assert app.driver.event(event, event_id="Ev1").status == 200
    assert app.driver.event(event, event_id="Ev1", retry_num=1).status == 200
    assert (
        app.driver.event(event, event_id="Ev1", retry_num=2, retry_reason="http_error").status
        == 200
    )
    assert len(app.fake.calls_to("views.publish")) == 1
    assert app.driver.event(event, event_id="Ev2").status == 200
    assert len(app.fake.calls_to("views.publish")) == 2


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500},
        {"drop": True},
        {"retry_after": 1},
        {"error": "internal_error"},
    ],
    ids=["http-500", "dropped", "429", "ok-false"],
)
def test_slack_failures_never_lose_answers_or_block_the_flow(
    slack_app: RunningApp, fault: dict[str, object]
) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    first = newest_card(slack_app)
    # The card update after the click fails (retried by slack-sdk, or for good):
    slack_app.fake.fail_next("chat.update", times=1, **fault)  # type: ignore[arg-type]
    response = slack_app.driver.click("Met", user=OWNER, in_message=(CHANNEL, first["ts"]))
    assert response.status == 200
    assert count(slack_app, Answer) == 1
    assert card_point(newest_card(slack_app)) == 2  # the next point was still posted


def test_slack_timing_out_never_blocks_the_next_point(
    sqlite_url: str, fake_slack: FakeSlack
) -> None:
    with running_app(sqlite_url, fake_slack, slack_timeout=1) as app:
        register(app)
        app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
        first = newest_card(app)
        app.fake.fail_next("chat.update", delay=2.5, times=5)
        response = app.driver.click("Met", user=OWNER, in_message=(CHANNEL, first["ts"]))
        assert response.status == 200
        assert count(app, Answer) == 1
        assert card_point(newest_card(app)) == 2


def test_a_card_slack_would_not_take_is_posted_on_resume(slack_app: RunningApp) -> None:
    register(slack_app)
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    slack_app.fake.fail_next("chat.postMessage", status=503, times=10)
    slack_app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest_card(slack_app)["ts"]))
    slack_app.fake.clear_faults()
    assert count(slack_app, Answer) == 1
    assert card_point(newest_card(slack_app)) == 1  # point 2 reserved, never posted
    with slack_app.deps.sessions() as session:
        unposted = session.scalars(select(Card).where(Card.message_ts.is_(None))).all()
    assert [card.point_number for card in unposted] == [2]
    slack_app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
    assert "Resuming" in last_reply(slack_app)
    assert card_point(newest_card(slack_app)) == 2
    cards_for_two = [m for m in slack_app.fake.messages(CHANNEL) if "Point 2 of" in m["text"]]
    assert len(cards_for_two) == 1


def test_a_changed_standard_file_keeps_old_assessments_readable(
    sqlite_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    with running_app(sqlite_url, fake_slack) as app:
        register(app)
        app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
        for _ in range(3):
            app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest_card(app)["ts"]))
    edition = (builtin_standards_dir() / "lgdss.yml").read_text(encoding="utf-8")
    edition = edition.replace("title: Understand user needs", "title: Know your residents", 1)
    start = edition.index("  - number: 15")
    edition = edition[:start]
    (tmp_path / "lgdss.yml").write_text(edition, encoding="utf-8")
    with running_app(sqlite_url, fake_slack, env={"ASSESSBOT_STANDARDS_DIR": str(tmp_path)}) as app:
        assert app.deps.catalogue.get("lgdss").point_count == 14  # type: ignore[union-attr]
        app.driver.command("status Bins", user=OWNER, channel=CHANNEL)
        reply = last_reply(app)
        assert "1. Understand user needs" in reply and "Know your residents" not in reply
        assert "15. Test with senior manager" in reply
        app.driver.click("Met", user=OWNER, in_message=(CHANNEL, newest_card(app)["ts"]))
        assert card_point(newest_card(app)) == 5


# Per process, like the shared fixtures: helpers running the suite at once must not collide.
OUTAGE_DATABASE = f"assessbot_outage_test_{os.getpid()}"


@pytest.fixture
def outage_database(postgres_server: str) -> Iterator[str]:
    name = OUTAGE_DATABASE
    url = create_postgres_database(postgres_server, name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    set_connections(postgres_server, name, allowed=True)
    drop_postgres_database(postgres_server, name)


def set_connections(admin_url: str, name: str, *, allowed: bool) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allowed else "false"}')
        )
        if not allowed:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
    admin.dispose()


def health(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def seconds_until(url: str, status: int, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if health(url) == status:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"/healthz never answered {status} within {limit}s")


@pytest.mark.postgres
def test_database_outage_is_survived_and_healed(
    outage_database: str, postgres_server: str, fake_slack: FakeSlack
) -> None:
    with running_app(outage_database, fake_slack) as app:
        register(app)
        app.driver.command("start Bins", user=OWNER, channel=CHANNEL)
        card = newest_card(app)
        assert health(app.url) == 200

        set_connections(postgres_server, OUTAGE_DATABASE, allowed=False)
        assert seconds_until(app.url, 503, 10) < 10
        response = app.driver.click("Met", user=OWNER, in_message=(CHANNEL, card["ts"]))
        assert response.status == 200
        assert "Couldn't save that, please try again" in last_reply(app)
        app.driver.command("status Bins", user=OWNER, channel=CHANNEL)
        assert "Couldn't save that" in last_reply(app)

        set_connections(postgres_server, OUTAGE_DATABASE, allowed=True)
        assert seconds_until(app.url, 200, 15) < 15
        app.driver.click("Met", user=OWNER, in_message=(CHANNEL, card["ts"]))
        assert count(app, Answer) == 1 and count(app, Assessment) == 1
        assert card_point(newest_card(app)) == 2
