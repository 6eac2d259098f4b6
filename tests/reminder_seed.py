"""Small builders for the reminder tests: services, assessments in progress, answers."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.config import load_settings
from bot.core.due import DueReason
from bot.deps import Deps
from standards import Catalogue
from storage.db import make_engine, session_factory
from storage.models import Answer, Assessment, AssessmentPoint, Service, ServiceOwner
from tests.fakeslack import FakeSlack

REGISTERED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
PROCESS_TEST_NOW = datetime(2027, 1, 19, 10, 0, tzinfo=UTC)  # a Tuesday morning in London


def add_service(
    session: Session,
    name: str,
    *,
    next_due_on: date,
    owners: Sequence[str] = ("UOWNER",),
    team_id: str = "T1",
    channel: str = "CTEAM",
    due_reason: str = DueReason.NEVER_ASSESSED,
    last_assessed_on: date | None = None,
    phase: str = "beta",
    archived_at: datetime | None = None,
    snoozed_until: datetime | None = None,
    created_at: datetime = REGISTERED,
) -> Service:
    service = Service(
        team_id=team_id,
        name=name,
        name_key=name.casefold(),
        description="",
        standard_id="lgdss",
        phase=phase,
        team_channel_id=channel,
        interval_months=6,
        last_assessed_on=last_assessed_on,
        next_due_on=next_due_on,
        due_reason=due_reason,
        created_by=owners[0] if owners else "UADMIN",
        created_at=created_at,
        updated_at=created_at,
        archived_at=archived_at,
        archived_by="UADMIN" if archived_at else None,
        snoozed_until=snoozed_until,
        owners=[ServiceOwner(user_id=owner) for owner in owners],
    )
    session.add(service)
    session.flush()
    return service


def add_assessment(
    session: Session,
    service: Service,
    *,
    started_at: datetime,
    answers: Sequence[tuple[int, datetime]] = (),
    status: str = "in_progress",
    point_count: int = 15,
) -> Assessment:
    assessment = Assessment(
        team_id=service.team_id,
        service_id=service.id,
        standard_id="lgdss",
        standard_version="1",
        standard_title="Local Government Digital Service Standard",
        phase=service.phase,
        status=status,
        started_by=service.created_by,
        started_at=started_at,
        completed_at=None if status == "in_progress" else started_at,
        channel_id=service.team_channel_id,
        point_count=point_count,
        points=[AssessmentPoint(number=n, title=f"Point {n}") for n in range(1, point_count + 1)],
    )
    session.add(assessment)
    session.flush()
    for number, answered_at in answers:
        session.add(
            Answer(
                team_id=service.team_id,
                assessment_id=assessment.id,
                point_number=number,
                rating="met",
                evidence="Because.",
                evidence_links=[],
                answered_by=service.created_by,
                answered_at=answered_at,
            )
        )
    session.flush()
    return assessment


# --- the job against the fake Slack ----------------------------------------------------------


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def slack_client(api_url: str) -> WebClient:
    """The client the brief prescribes for tests: 429s and 5xx retried like production."""
    return WebClient(
        token="xoxb-test",
        base_url=api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def job_env(api_url: str, database_url: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "ASSESSBOT_TIMEZONE": "Europe/London",
        "ASSESSBOT_ADMINS": "UADMIN",
    }


def job_deps(api_url: str, database_url: str, clock: Clock, *, process_name: str = "test") -> Deps:
    settings = load_settings(job_env(api_url, database_url))
    engine = make_engine(database_url)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        catalogue=Catalogue(()),  # the tick never reads a standard
        clock=clock,
        process_name=process_name,
    )


def delivered(fake: FakeSlack, users: Iterable[str]) -> Counter[tuple[str, int, str, str]]:
    """(channel, service id, stage, occurrence) of every nudge in every message the bot posted.

    DMs are reported by user id (the fake keeps them in the bot's IM channel with the user).
    """
    ims: dict[str, str] = {}
    for user in users:
        im = fake.im_channel(user)
        if im is not None:
            ims[im] = user
    found: Counter[tuple[str, int, str, str]] = Counter()
    for post in fake.all_posts():
        if post["kind"] != "message":
            continue
        for block in post.get("blocks") or []:
            block_id = str(block.get("block_id", ""))
            if block_id.startswith("nudge:"):
                _, service_id, stage, occurrence = block_id.split(":", 3)
                channel = ims.get(str(post["channel"]), str(post["channel"]))
                found[(channel, int(service_id), stage, occurrence)] += 1
    return found


def tick_in_process(
    api_url: str, database_url: str, name: str, barrier: Barrier, results: Queue[dict[str, Any]]
) -> None:
    """A replica for the two-process test: its own interpreter, engine, pool and WebClient,
    then one tick at the same moment as its sibling. Lives here, not in the test module, so
    the spawned interpreter need not import pytest."""
    from bot.slack.reminder_job import run_reminders_tick

    deps = job_deps(api_url, database_url, FakeClock(PROCESS_TEST_NOW), process_name=name)
    client = slack_client(api_url)
    barrier.wait(timeout=30)
    started = time.monotonic()
    report = run_reminders_tick(deps, client)
    deps.engine.dispose()
    results.put(
        {
            "name": name,
            "pid": os.getpid(),
            "sent": report.sent,
            "messages": report.messages,
            "lost_races": report.lost_races,
            "released": report.released,
            "seconds": round(time.monotonic() - started, 2),
        }
    )
