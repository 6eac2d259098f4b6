"""Two `assessbot run` replicas in HTTP mode on one PostgreSQL database, against the fake Slack.

A full assessment's interactions go alternately to both, and the database ends exactly as with
one process; then both replicas' schedulers tick together on a weekday morning and every nudge
and summary arrives once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import (
    Answer,
    Assessment,
    Card,
    Nudge,
    Service,
    SummaryPost,
    WorkspaceSettings,
)
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.driver import SlackDriver
from tests.fakeslack import FakeSlack
from tests.harness import (
    CHANNEL,
    OTHER_CHANNEL,
    OWNER,
    SIGNING_SECRET,
    TEAMMATE,
    populate,
    settings_env,
)
from tests.reminder_seed import add_service, delivered
from tests.test_run_process import ROOT, base_env, free_port, wait_for, wait_for_health

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# A Tuesday morning in London (GMT): working hours, after Monday's 09:00 summary slot.
MORNING = datetime(2027, 1, 19, 10, 0, tzinfo=UTC)


@contextmanager
def replica(env: dict[str, str], port: int, log: Path, at: datetime | None = None) -> Iterator[str]:
    args = [sys.executable, "-m", "tests.replica_main"]
    if at is not None:
        args += ["--at", at.isoformat()]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*args, "run"], cwd=ROOT, env={**env, "PORT": str(port)}, stdout=out, stderr=out
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(url, process, log)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cards(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.messages(CHANNEL) if "Point " in str(m.get("text", ""))]


def run_assessment(fake: FakeSlack, drivers: Sequence[SlackDriver]) -> None:
    """Register a service and answer all 15 points, each request to the next replica in turn."""
    turn = iter(range(10_000))

    def next_driver() -> SlackDriver:
        return drivers[next(turn) % len(drivers)]

    next_driver().command("new Bins", user=OWNER, channel=CHANNEL)
    wait_for(lambda: fake.open_views(OWNER))
    next_driver().submit_view(
        fake.open_views(OWNER)[-1],
        {"phase": "beta", "channel": CHANNEL, "owners": [OWNER, TEAMMATE]},
        user=OWNER,
    )
    wait_for(lambda: any("registered" in m["text"] for m in fake.messages(CHANNEL)))
    next_driver().command("start Bins", user=OWNER, channel=CHANNEL)
    wait_for(lambda: len(cards(fake)) == 1)
    labels = ["Met", "Partly met", "Not met", "Skip for now"]
    answered: set[int] = set()
    while not any("complete:" in m["text"] for m in fake.messages(CHANNEL)):
        card = cards(fake)[-1]
        point = int(card["blocks"][0]["text"]["text"].split()[1])
        label = "Met" if point in answered else labels[point % 4]
        answered.add(point)
        user = OWNER if point % 2 else TEAMMATE
        before = len(cards(fake))
        next_driver().click(label, user=user, in_message=(CHANNEL, card["ts"]))
        wait_for(
            lambda before=before: (
                len(cards(fake)) == before + 1
                or any("complete:" in m["text"] for m in fake.messages(CHANNEL))
            )
        )
        if point == 2:
            next_driver().click("Add evidence", user=user, in_message=(CHANNEL, card["ts"]))
            wait_for(lambda user=user: fake.open_views(user))
            next_driver().submit_view(
                fake.open_views(user)[-1], {"note": "Survey of 40 residents"}, user=user
            )
            wait_for(lambda: len(fake.calls_to("chat.update")) > 0)


def database_story(url: str) -> dict[str, Any]:
    """What the database says happened, without ids and clock readings."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        story = {
            "services": [
                (s.name, s.phase, s.next_due_on, s.last_assessed_on, tuple(s.owner_ids))
                for s in session.scalars(select(Service))
            ],
            "assessments": [
                (a.status, a.point_count, a.standard_id)
                for a in session.scalars(select(Assessment))
            ],
            "answers": [
                (a.point_number, a.rating, a.evidence, a.answered_by)
                for a in session.scalars(select(Answer).order_by(Answer.id))
            ],
            "cards": sorted(
                (c.point_number, c.attempt, c.status, c.message_ts is not None)
                for c in session.scalars(select(Card))
            ),
        }
    engine.dispose()
    return story


@pytest.fixture
def two_databases(postgres_server: str) -> Iterator[tuple[str, str]]:
    # per process, like the shared fixtures, so parallel runs of the suite never collide
    names = (f"assessbot_replicas_two_{os.getpid()}", f"assessbot_replicas_one_{os.getpid()}")
    urls = tuple(create_postgres_database(postgres_server, name) for name in names)
    for url in urls:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    yield urls[0], urls[1]
    for name in names:
        drop_postgres_database(postgres_server, name)


def seed_due_portfolio(url: str, today: date) -> None:
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        for number in range(12):
            add_service(
                session,
                f"Due service {number}",
                next_due_on=today - timedelta(days=number % 3),
                owners=(OWNER, TEAMMATE),
            )
        session.add(
            WorkspaceSettings(
                team_id="T1",
                summary_channels=[OTHER_CHANNEL],
                summary_weekday=0,
                summary_time="09:00",
                summary_phases=[],
                updated_by=OWNER,
                updated_at=MORNING,
            )
        )
    engine.dispose()


def test_two_replicas_behave_as_one(two_databases: tuple[str, str], tmp_path: Path) -> None:
    shared, alone = two_databases
    # 1. The same conversation, once spread over two replicas, once through one.
    for url, count in ((shared, 2), (alone, 1)):
        with FakeSlack() as fake, ExitStack() as stack:
            populate(fake)
            env = base_env(**settings_env(fake, url, ASSESSBOT_TICK_MINUTES="60"))
            urls = [
                stack.enter_context(replica(env, free_port(), tmp_path / f"r{count}-{n}.log"))
                for n in range(count)
            ]
            run_assessment(fake, [SlackDriver(u, SIGNING_SECRET, fake) for u in urls])
    assert database_story(shared) == database_story(alone)
    assert len(database_story(shared)["answers"]) == 15 + 1  # 15 ratings and one evidence

    # 2. Both schedulers tick together on a Tuesday morning: each nudge and summary once.
    seed_due_portfolio(shared, MORNING.date())
    with FakeSlack() as fake:
        populate(fake)
        ticks_together(fake, shared, tmp_path)


def ticks_together(fake: FakeSlack, url: str, tmp_path: Path) -> None:
    env = base_env(**settings_env(fake, url, ASSESSBOT_TICK_MINUTES="1"))
    engine = make_engine(url)
    sessions = session_factory(engine)

    def settled() -> bool:
        with sessions() as session:
            nudges = session.scalars(select(Nudge)).all()
            posts = session.scalars(select(SummaryPost)).all()
        return (
            len(nudges) >= 24
            and all(n.status == "sent" for n in nudges)
            and len(posts) == 1
            and posts[0].status == "sent"
        )

    with (
        replica(env, free_port(), tmp_path / "tick-a.log", at=MORNING),
        replica(env, free_port(), tmp_path / "tick-b.log", at=MORNING),
    ):
        wait_for(settled, timeout=60)
    for job in ("reminders", "summary"):  # another tick, as a third process: adds nothing
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.replica_main",
                "--at",
                MORNING.isoformat(),
                "jobs",
                "run",
                job,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    with sessions() as session:
        nudges = session.scalars(select(Nudge)).all()
        posts = session.scalars(select(SummaryPost)).all()
    engine.dispose()
    counted = delivered(fake, [OWNER, TEAMMATE])
    assert counted and set(counted.values()) == {1}, counted
    assert len(nudges) == len({(n.service_id, n.stage, n.recipient) for n in nudges})
    assert len(posts) == 1
    summaries = [m for m in fake.messages(OTHER_CHANNEL) if not m.get("thread_ts")]
    assert len(summaries) == 1
