"""The weekly summary through the fake Slack: size limits, once per week, catch-up, baselines."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.blocks import summary_ids as ids
from bot.blocks.summary import build_preview, build_settings_modal
from bot.blocks.summary_ids import post_action
from bot.config import load_settings
from bot.core.summary import build_summary
from bot.deps import Deps
from bot.slack import summary_job
from bot.slack.summary_job import compute_summary, post_extra_summary, run_summary_tick
from standards import load_catalogue
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import (
    Answer,
    Assessment,
    AssessmentPoint,
    ClaimStatus,
    Service,
    SummaryPost,
)
from storage.summary_queries import get_settings, save_settings
from storage.values import SummarySettings
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.fakeslack import FakeSlack, validate_blocks, validate_view
from tests.harness import (
    ADMIN,
    CHANNEL,
    NOT_JOINED,
    OTHER_CHANNEL,
    OUTSIDER,
    FakeClock,
    RunningApp,
    populate,
    running_app,
)

TEAM = "T1"
LEAD = "CLEAD"
EXEC = "CEXEC"
MONDAY_0900 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # London is on GMT in March
RATINGS = ("met", "met", "met", "partly_met", "not_met", "not_applicable")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def web_client(api_url: str) -> WebClient:
    return WebClient(
        token="xoxb-test",
        base_url=api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def make_deps(database_url: str, api_url: str, clock: Clock, name: str = "test") -> Deps:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            "ASSESSBOT_TIMEZONE": "Europe/London",
        }
    )
    engine = make_engine(database_url)
    return Deps(settings, engine, session_factory(engine), load_catalogue(), clock, name)


def seed_many(session: Session, count: int, *, seed: int = 5, assessed: bool = True) -> None:
    """`count` services over two standards, most assessed, with awkward names, in bulk."""
    rnd = random.Random(seed)
    now = MONDAY_0900 - timedelta(days=3)
    session.execute(
        insert(Service),
        [
            {
                "id": index,
                "team_id": TEAM,
                "name": f"Service {index} <b>&amp; *co*",
                "name_key": f"service {index}",
                "description": "",
                "standard_id": "lgdss" if index % 2 else "govuk-2019",
                "phase": rnd.choice(["alpha", "beta", "live"]),
                "team_channel_id": "CTEAM",
                "interval_months": 6,
                "next_due_on": (now + timedelta(days=rnd.randint(-60, 120))).date(),
                "due_reason": "interval",
                "created_by": "U1",
                "created_at": now,
                "updated_at": now,
            }
            for index in range(1, count + 1)
        ],
    )
    assessments: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for index in range(1, count + 1):
        if index % 10 == 0 or not assessed:
            continue  # never assessed
        standard, size = ("lgdss", 15) if index % 2 else ("govuk-2019", 14)
        status = "in_progress" if index % 7 == 0 else "completed"
        assessments.append(
            {
                "id": index,
                "team_id": TEAM,
                "service_id": index,
                "standard_id": standard,
                "standard_version": "1",
                "standard_title": standard.upper(),
                "phase": "beta",
                "status": status,
                "started_by": "U1",
                "started_at": now - timedelta(days=30),
                "channel_id": "CTEAM",
                "point_count": size,
            }
        )
        for number in range(1, size + 1):
            points.append({"assessment_id": index, "number": number, "title": f"Point {number}"})
            if status == "in_progress" and number > 5:
                continue
            answers.append(
                {
                    "team_id": TEAM,
                    "assessment_id": index,
                    "point_number": number,
                    "rating": rnd.choice(RATINGS),
                    "evidence": rnd.choice(["", "Some evidence"]),
                    "evidence_links": [],
                    "answered_by": "U1",
                    "answered_at": now - timedelta(days=20),
                }
            )
    if assessments:
        session.execute(insert(Assessment), assessments)
        session.execute(insert(AssessmentPoint), points)
        session.execute(insert(Answer), answers)


def configure(deps: Deps, channels: tuple[str, ...] = (LEAD,), **extra: Any) -> None:
    with deps.sessions.begin() as session:
        save_settings(
            SummarySettings(TEAM, channels, **extra),
            session=session,
            updated_by="UADMIN",
            now=MONDAY_0900 - timedelta(days=10),
        )


def parents(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel) if m["via"] == "api" and m.get("thread_ts") is None]


def posts(deps: Deps) -> list[SummaryPost]:
    with deps.sessions() as session:
        return list(session.scalars(select(SummaryPost).order_by(SummaryPost.id)))


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token="xoxb-test", team_id=TEAM) as fake:
        fake.add_user("UADMIN", name="ada")
        fake.add_channel(LEAD, "leadership")
        fake.add_channel(EXEC, "exec-team")
        fake.add_channel("CNOTIN", "elsewhere", is_member=False)
        yield fake


@pytest.fixture
def deps(sqlite_url: str, fake: FakeSlack) -> Iterator[Deps]:
    deps = make_deps(sqlite_url, fake.api_url, Clock(MONDAY_0900 + timedelta(minutes=1)))
    yield deps
    deps.engine.dispose()


def test_five_hundred_services_fit_slack(deps: Deps, fake: FakeSlack) -> None:
    with deps.sessions.begin() as session:
        seed_many(session, 500)
    configure(deps)

    assert run_summary_tick(deps, web_client(fake.api_url)) == 1

    calls = fake.calls_to("chat.postMessage")
    assert calls and all(call.ok for call in calls), [c.error for c in calls if not c.ok]
    [parent] = parents(fake, LEAD)
    thread = fake.thread(LEAD, parent["ts"])
    replies = [m for m in thread if m["via"] == "api" and m["ts"] != parent["ts"]]
    assert len(replies) == len(calls) - 1 >= 1  # too big for one message: split, threaded
    for message in [parent, *replies]:
        assert len(message["blocks"]) <= 50
        assert validate_blocks(message["blocks"], surface="message") == []
        for block in message["blocks"]:
            for text in _texts(block):
                assert len(text) <= 3000
    everything = "\n".join(t for m in [parent, *replies] for b in m["blocks"] for t in _texts(b))
    assert "Service 1 &lt;b&gt;&amp;amp; *co*" in everything  # escaped, never markup
    assert "<b>" not in everything
    for index in (1, 250, 499):  # every service line made it
        assert f"Service {index} &lt;b&gt;" in everything
    files = fake.uploaded_files()
    # 250 LGDSS and 200 GOV.UK services assessed, at most 25 rows a picture, in the thread;
    # Slack gets each standard's 200 weakest.
    assert len(files) == 8 + 8
    assert {file.thread_ts for file in files} == {parent["ts"]}
    assert all(file.content.startswith(b"\x89PNG") for file in files)
    [post] = posts(deps)
    assert post.status == ClaimStatus.SENT and post.message_ts == parent["ts"]
    assert post.figures["services"] == 500

    # The /assess summary preview of the same portfolio fits one ephemeral with its buttons.
    with deps.sessions() as session:
        summary = compute_summary(
            deps, session, SummarySettings(TEAM, (LEAD,)), now=deps.clock(), channel_id=LEAD
        )
    targets = [(f"C{index}", f"channel-{index}") for index in range(10)]
    _, preview = build_preview(summary, post_targets=targets)
    assert len(preview) <= 50 and validate_blocks(preview, surface="message") == []


def _texts(block: dict[str, Any]) -> Iterator[str]:
    if isinstance(block.get("text"), dict):
        yield block["text"]["text"]
    for item in block.get("fields", []) + block.get("elements", []):
        if isinstance(item, dict) and "text" in item and isinstance(item["text"], str):
            yield item["text"]


def test_once_a_week_and_catch_up_later_in_the_week(deps: Deps, fake: FakeSlack) -> None:
    with deps.sessions.begin() as session:
        seed_many(session, 12)
    configure(deps, (LEAD, EXEC), weekday=0, time="09:00")
    client = web_client(fake.api_url)
    clock = deps.clock
    assert isinstance(clock, Clock)

    clock.now = MONDAY_0900 - timedelta(minutes=1)
    assert run_summary_tick(deps, client) == 0  # not time yet
    # The bot was down on Monday; it catches up on Wednesday afternoon.
    clock.now = MONDAY_0900 + timedelta(days=2, hours=5)
    assert run_summary_tick(deps, client) == 2
    assert run_summary_tick(deps, client) == 0
    clock.now += timedelta(days=3)  # Sunday
    assert run_summary_tick(deps, client) == 0
    assert len(parents(fake, LEAD)) == len(parents(fake, EXEC)) == 1
    assert {post.scheduled_for for post in posts(deps)} == {MONDAY_0900}

    # Next Monday 09:00 is a new week.
    clock.now = MONDAY_0900 + timedelta(days=7)
    assert run_summary_tick(deps, client) == 2
    assert len(parents(fake, LEAD)) == 2


def test_changing_the_time_after_this_weeks_post_does_not_post_again(
    deps: Deps, fake: FakeSlack
) -> None:
    configure(deps, weekday=0, time="09:00")
    client = web_client(fake.api_url)
    assert run_summary_tick(deps, client) == 1
    configure(deps, weekday=2, time="10:00")
    deps.clock.now = MONDAY_0900 + timedelta(days=2, hours=2)  # type: ignore[attr-defined]
    assert run_summary_tick(deps, client) == 0
    assert len(parents(fake, LEAD)) == 1


def test_manual_posts_are_extra_and_never_the_baseline(deps: Deps, fake: FakeSlack) -> None:
    with deps.sessions.begin() as session:
        seed_many(session, 10)
    configure(deps)
    client = web_client(fake.api_url)
    assert run_summary_tick(deps, client) == 1
    [first] = posts(deps)

    # More services appear, and someone posts an extra summary midweek.
    with deps.sessions.begin() as session:
        seed_more = [
            Service(
                team_id=TEAM,
                name=f"New {index}",
                name_key=f"new {index}",
                description="",
                standard_id="lgdss",
                phase="beta",
                team_channel_id="CTEAM",
                interval_months=6,
                next_due_on=MONDAY_0900.date() + timedelta(days=30),
                due_reason="never_assessed",
                created_by="U1",
                created_at=MONDAY_0900,
                updated_at=MONDAY_0900,
            )
            for index in range(3)
        ]
        session.add_all(seed_more)
    deps.clock.now = MONDAY_0900 + timedelta(days=3)  # type: ignore[attr-defined]
    extra = post_extra_summary(deps, client, TEAM, LEAD)
    assert extra.ts
    # It did not use up this week, nor next week's slot.
    assert run_summary_tick(deps, client) == 0
    extra_post = posts(deps)[1]
    assert extra_post.scheduled_for is None and extra_post.figures["services"] == 13

    deps.clock.now = MONDAY_0900 + timedelta(days=7, minutes=5)  # type: ignore[attr-defined]
    assert run_summary_tick(deps, client) == 1
    latest = parents(fake, LEAD)[-1]
    fields = next(b for b in latest["blocks"] if b["type"] == "section" and "fields" in b)
    services = fields["fields"][0]["text"]
    # Compared with the last *weekly* summary (10 services), not the extra post (13).
    assert first.figures["services"] == 10
    assert services == "*Services*\n13\n▲ 3"


def test_slack_refusal_releases_the_claim_and_a_later_tick_retries(
    deps: Deps, fake: FakeSlack
) -> None:
    configure(deps, ("CNOTIN",))
    client = web_client(fake.api_url)
    assert run_summary_tick(deps, client) == 0
    assert posts(deps) == []
    fake.add_channel("CNOTIN", "elsewhere", is_member=True)  # someone invites the bot
    assert run_summary_tick(deps, client) == 1
    assert [post.status for post in posts(deps)] == [ClaimStatus.SENT]


def test_a_stale_claim_is_taken_over_and_logged(
    deps: Deps, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    configure(deps)
    with deps.sessions.begin() as session:
        session.add(
            SummaryPost(
                team_id=TEAM,
                channel_id=LEAD,
                scheduled_for=MONDAY_0900,
                status=ClaimStatus.CLAIMED,
                claimed_at=MONDAY_0900,
                claimed_by="crashed-replica",
                figures={},
            )
        )
    client = web_client(fake.api_url)
    assert run_summary_tick(deps, client) == 0  # only a minute old: its holder may be posting
    deps.clock.now = MONDAY_0900 + timedelta(minutes=11)  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING, logger="bot.slack.summary_job"):
        assert run_summary_tick(deps, client) == 1
    assert "may be a duplicate" in caplog.text
    [post] = posts(deps)
    assert post.status == ClaimStatus.SENT and post.claimed_by == "test"


def test_nothing_configured_does_nothing_and_says_so_once(
    deps: Deps, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    summary_job._said_once.clear()
    client = web_client(fake.api_url)
    with caplog.at_level(logging.INFO, logger="bot.slack.summary_job"):
        assert run_summary_tick(deps, client) == 0
        assert run_summary_tick(deps, client) == 0
    assert [r.getMessage() for r in caplog.records].count(summary_job.NOT_CONFIGURED) == 1
    assert fake.calls_to("chat.postMessage") == []


def test_dry_run_prints_and_claims_nothing(deps: Deps, fake: FakeSlack) -> None:
    import io

    with deps.sessions.begin() as session:
        seed_many(session, 5)
    configure(deps)
    out = io.StringIO()
    assert run_summary_tick(deps, web_client(fake.api_url), dry_run=True, out=out) == 1
    assert "NEEDS ATTENTION" in out.getvalue()
    assert "Service 1 <b>&amp; *co*" in out.getvalue()  # plain text: not escaped for Slack
    assert posts(deps) == [] and fake.calls_to("chat.postMessage") == []


# --- two processes, one database, one summary ----------------------------------------------


def _tick_in_child(database_url: str, api_url: str, name: str, barrier: Any, results: Any) -> None:
    deps = make_deps(database_url, api_url, Clock(MONDAY_0900 + timedelta(seconds=30)), name)
    client = web_client(api_url)
    barrier.wait(timeout=60)
    total = 0
    for _ in range(3):
        total += run_summary_tick(deps, client)
    results.put((name, total))
    deps.engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_two_processes_post_exactly_one_summary(postgres_server: str, fake: FakeSlack) -> None:
    name = f"assessbot_summary_{os.getpid()}"
    url = create_postgres_database(postgres_server, name)
    try:
        setup = make_deps(url, fake.api_url, Clock(MONDAY_0900))
        upgrade(setup.engine)
        with setup.sessions.begin() as session:
            seed_many(session, 20, assessed=False)  # no heatmap to draw: a quicker test
        configure(setup, (LEAD, EXEC))
        setup.engine.dispose()
        fake.fail_next("chat.postMessage", delay=0.3, times=2)  # widen the race window

        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(2)
        results = context.Queue()
        workers = [
            context.Process(
                target=_tick_in_child, args=(url, fake.api_url, f"replica-{i}", barrier, results)
            )
            for i in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=90)
            assert worker.exitcode == 0
        totals = dict(results.get(timeout=5) for _ in workers)

        assert sum(totals.values()) == 2  # one per channel, whoever won each
        assert len(parents(fake, LEAD)) == 1
        assert len(parents(fake, EXEC)) == 1
        check = make_deps(url, fake.api_url, Clock(MONDAY_0900))
        assert [(p.channel_id, p.status) for p in posts(check)] == [
            (LEAD, ClaimStatus.SENT),
            (EXEC, ClaimStatus.SENT),
        ] or sorted((p.channel_id, p.status) for p in posts(check)) == [
            (EXEC, ClaimStatus.SENT),
            (LEAD, ClaimStatus.SENT),
        ]
        check.engine.dispose()
    finally:
        drop_postgres_database(postgres_server, name)


# --- /assess summary and /assess settings through the real app ----------------------------


@pytest.fixture
def app(sqlite_url: str) -> Iterator[RunningApp]:
    with FakeSlack(bot_token="xoxb-test", team_id=TEAM) as fake:
        populate(fake)
        clock = FakeClock(MONDAY_0900 + timedelta(days=1))
        with running_app(sqlite_url, fake, clock=clock) as running:
            with running.deps.sessions.begin() as session:
                seed_many(session, 30)
            yield running


def reply_text(app: RunningApp) -> str:
    posts = app.fake.response_posts()
    assert posts, "the app replied nothing"
    return json.dumps(posts[-1].body, ensure_ascii=False)


def test_settings_are_for_admins_and_saved_from_the_modal(app: RunningApp) -> None:
    app.driver.command("settings", user=OUTSIDER, channel=CHANNEL)
    assert "Only admins" in reply_text(app)
    assert app.fake.open_views(OUTSIDER) == []

    app.driver.command("settings", user=ADMIN, channel=CHANNEL)
    [view] = app.fake.open_views(ADMIN)
    # Nothing saved yet: Monday 09:00, every phase ticked.
    assert _element(view, ids.TIME_BLOCK)["initial_time"] == "09:00"
    assert len(_element(view, ids.PHASES_BLOCK)["initial_options"]) == 4

    # Inline errors: no phase ticked, and a channel the bot is not in.
    app.driver.submit_view(
        view, {ids.CHANNELS_BLOCK: [NOT_JOINED], ids.PHASES_BLOCK: []}, user=ADMIN
    )
    [still_open] = app.fake.open_views(ADMIN)
    with app.deps.sessions() as session:
        assert not get_settings(session=session, team_id=TEAM).configured

    response = app.driver.submit_view(
        still_open,
        {
            ids.CHANNELS_BLOCK: [OTHER_CHANNEL],
            ids.WEEKDAY_BLOCK: "2",
            ids.TIME_BLOCK: "10:30",
            ids.PHASES_BLOCK: ["beta", "live"],
        },
        user=ADMIN,
    )
    assert response.status == 200 and app.fake.open_views(ADMIN) == []
    with app.deps.sessions() as session:
        saved = get_settings(session=session, team_id=TEAM)
    assert saved == SummarySettings(TEAM, (OTHER_CHANNEL,), 2, "10:30", ("beta", "live"))
    confirmation = app.fake.ephemerals(ADMIN)[-1]["text"]
    assert "every Wednesday at 10:30 (Europe/London)" in confirmation

    # Shown back when opened again.
    app.driver.command("settings", user=ADMIN, channel=CHANNEL)
    [again] = app.fake.open_views(ADMIN)
    assert _element(again, ids.CHANNELS_BLOCK)["initial_conversations"] == [OTHER_CHANNEL]
    assert _element(again, ids.WEEKDAY_BLOCK)["initial_option"]["value"] == "2"
    assert _element(again, ids.TIME_BLOCK)["initial_time"] == "10:30"
    assert [o["value"] for o in _element(again, ids.PHASES_BLOCK)["initial_options"]] == [
        "beta",
        "live",
    ]


def test_invalid_submissions_get_errors_by_block(app: RunningApp) -> None:
    app.driver.command("settings", user=ADMIN, channel=CHANNEL)
    [view] = app.fake.open_views(ADMIN)
    response = app.driver.submit_view(
        view, {ids.CHANNELS_BLOCK: [NOT_JOINED], ids.PHASES_BLOCK: []}, user=ADMIN
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {ids.CHANNELS_BLOCK, ids.PHASES_BLOCK}
    assert "Invite me" in body["errors"][ids.CHANNELS_BLOCK]


def test_summary_preview_for_everyone_and_post_button_for_admins(app: RunningApp) -> None:
    app.driver.command("summary", user=OUTSIDER, channel=CHANNEL)
    preview = reply_text(app)
    assert "Leadership summary" in preview and "/assess settings" in preview
    assert "Post to" not in preview

    with app.deps.sessions.begin() as session:
        save_settings(
            SummarySettings(TEAM, (OTHER_CHANNEL,)),
            session=session,
            updated_by=ADMIN,
            now=app.clock(),
        )
    app.driver.command("summary", user=OUTSIDER, channel=CHANNEL)
    assert "Post to" not in reply_text(app)
    app.driver.command("summary", user=ADMIN, channel=CHANNEL)
    blocks = app.fake.response_posts()[-1].blocks
    assert blocks is not None and len(blocks) <= 50
    app.driver.click("Post to #leadership", user=ADMIN)

    [parent] = [m for m in app.fake.messages(OTHER_CHANNEL) if not m.get("thread_ts")]
    assert parent["text"].startswith("Leadership summary")
    assert "Posted the summary" in reply_text(app)
    with app.deps.sessions() as session:
        [post] = session.scalars(select(SummaryPost)).all()
    assert post.scheduled_for is None and post.status == ClaimStatus.SENT

    # The weekly summary still goes out (it is Tuesday: this week's Monday 09:00 has passed).
    client = web_client(app.fake.api_url)
    assert run_summary_tick(app.deps, client) == 1
    assert len([m for m in app.fake.messages(OTHER_CHANNEL) if not m.get("thread_ts")]) == 2


def test_post_button_refuses_non_admins(app: RunningApp) -> None:
    with app.deps.sessions.begin() as session:
        save_settings(
            SummarySettings(TEAM, (OTHER_CHANNEL,)),
            session=session,
            updated_by=ADMIN,
            now=app.clock(),
        )
    app.driver.click_action(
        post_action(0), OTHER_CHANNEL, user=OUTSIDER, in_message=(CHANNEL, "1700000000.000100")
    )
    assert "Only admins" in reply_text(app)
    assert [m for m in app.fake.messages(OTHER_CHANNEL)] == []


def test_settings_modal_and_preview_pass_block_kit_checks() -> None:
    modal = build_settings_modal(
        SummarySettings(TEAM, (LEAD, EXEC), 3, "16:45", ("live",)), timezone_name="Europe/London"
    )
    assert validate_view(modal) == []
    summary = build_summary([], team_id=TEAM, now=MONDAY_0900, tz=ZoneInfo("Europe/London"))
    targets = [(f"C{index}", f"channel-{index}") for index in range(10)]
    _, blocks = build_preview(summary, post_targets=targets, configured=True)
    assert validate_blocks(blocks, surface="message") == []


def _element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element: dict[str, Any] = block["element"]
    return element
