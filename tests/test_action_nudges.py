"""Action nudges: the pure planner, and the real tick on both databases (one digest with the
service's own nudges, working hours in the owner's timezone, bank holidays, snoozes, leavers),
and two real processes ticking together on PostgreSQL sending each nudge exactly once."""

from __future__ import annotations

import io
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from multiprocessing.queues import Queue
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from bot.core.action_nudges import (
    ActionDue,
    action_stage,
    is_action_settled,
    plan_action_nudges,
)
from bot.core.people import Person
from bot.core.working_hours import WorkingHours
from bot.deps import Deps
from bot.slack.reminder_job import run_reminders_tick
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import ImprovementAction, Service
from storage.reminder_queries import service_due
from storage.values import ActionStatus
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.fakeslack import FakeSlack
from tests.reminder_seed import (
    PROCESS_TEST_NOW,
    FakeClock,
    add_assessment,
    add_service,
    delivered,
    job_deps,
    slack_client,
    tick_in_process,
)

LONDON = ZoneInfo("Europe/London")
HOURS = WorkingHours("ENG", LONDON)
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday morning in London
OWNER, DOER, NY_DOER, LEAVER = "UOWNER", "UDOER", "UNYDOER", "ULEFT"


def add_action(
    session: Session,
    service: Service,
    *,
    owner: str,
    due_on: date,
    text: str = "Fix it",
    point: int = 1,
    status: str = ActionStatus.OPEN,
) -> ImprovementAction:
    assessment = add_assessment(
        session, service, started_at=NOW - timedelta(days=30), status="completed"
    )
    action = ImprovementAction(
        team_id=service.team_id,
        service_id=service.id,
        assessment_id=assessment.id,
        point_number=point,
        text=text,
        owner_id=owner,
        due_on=due_on,
        status=status,
        created_by=service.created_by,
        created_at=NOW - timedelta(days=30),
        updated_at=NOW - timedelta(days=30),
        note="",
        evidence_links=[],
    )
    session.add(action)
    session.flush()
    return action


# --- the planner, pure --------------------------------------------------------------------------


def due(action_id: int, due_on: date, owner: str = DOER, **extra: Any) -> ActionDue:
    service = add_service_snapshot()
    return ActionDue(action_id, service, 1, "Understand users", "Fix it", owner, due_on, **extra)


def add_service_snapshot() -> Any:
    service = Service(
        id=5,
        team_id="T1",
        name="Bins",
        name_key="bins",
        description="",
        standard_id="lgdss",
        phase="beta",
        team_channel_id="CTEAM",
        interval_months=6,
        next_due_on=date(2026, 9, 1),
        due_reason="interval",
        created_by=OWNER,
        created_at=NOW,
        updated_at=NOW,
        owners=[],
    )
    return service_due(service)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-8, None),
        (-7, ("action_upcoming", 0)),
        (-1, ("action_upcoming", 0)),
        (0, ("action_due", 0)),
        (6, ("action_due", 0)),
        (7, ("action_overdue", 1)),
        (13, ("action_overdue", 1)),
        (14, ("action_overdue", 2)),
    ],
)
def test_stages_upcoming_a_week_before_on_the_day_then_weekly(
    days: int, expected: tuple[str, int] | None
) -> None:
    today = date(2026, 3, 10)
    assert action_stage(today - timedelta(days=days), today) == expected


def test_only_the_owner_in_their_own_working_hours_and_never_leavers_or_snoozed() -> None:
    people = {
        DOER: Person(DOER, "d", tz="Europe/London"),
        NY_DOER: Person(NY_DOER, "n", tz="America/New_York"),
        LEAVER: Person(LEAVER, "l", deleted=True),
    }
    actions = [
        due(1, NOW.date(), DOER),
        due(2, NOW.date(), NY_DOER),  # 05:00 in New York: not yet
        due(3, NOW.date(), LEAVER),
        due(4, NOW.date(), DOER, snoozed_until=NOW + timedelta(days=2)),
    ]
    planned = plan_action_nudges(actions, NOW, people, HOURS)
    assert [(n.key.occurrence, n.recipient, n.key.stage) for n in planned] == [
        ("1.0", DOER, "action_due")
    ]
    later = plan_action_nudges(actions, NOW + timedelta(hours=6), people, HOURS)
    assert sorted(n.recipient for n in later) == [DOER, NY_DOER]


def test_no_nudges_on_a_bank_holiday_and_settled_when_everything_went_out() -> None:
    good_friday = datetime(2026, 4, 3, 10, 0, tzinfo=UTC)
    action = due(1, date(2026, 4, 3))
    people = {DOER: Person(DOER, "d", tz="Europe/London")}
    assert plan_action_nudges([action], good_friday, people, HOURS) == []
    planned = plan_action_nudges([action], NOW.replace(day=6), people, HOURS)  # Fri 6 March
    assert [n.key.stage for n in planned] == []  # 28 days before: not yet upcoming
    assert is_action_settled(action, NOW, HOURS, lambda key: False)  # nothing current
    soon = due(2, NOW.date() + timedelta(days=3))
    assert not is_action_settled(soon, NOW, HOURS, lambda key: False)
    assert is_action_settled(soon, NOW, HOURS, lambda key: True)


# --- the real tick ------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user(OWNER, name="olive")
        fake.add_user(DOER, name="dev")
        fake.add_user(NY_DOER, name="nia", tz="America/New_York")
        fake.add_user(LEAVER, name="gone", deleted=True)
        fake.add_channel("CTEAM", "team")
        yield fake


@pytest.fixture
def deps(fake: FakeSlack, database_url: str) -> Iterator[Deps]:
    deps = job_deps(fake.api_url, database_url, FakeClock(NOW))
    yield deps
    deps.engine.dispose()


def test_an_owner_gets_one_digest_with_their_service_and_action_nudges(
    deps: Deps, fake: FakeSlack
) -> None:
    with deps.sessions.begin() as session:
        service = add_service(session, "Bins", next_due_on=NOW.date(), owners=(OWNER,))
        action = add_action(session, service, owner=OWNER, due_on=NOW.date() + timedelta(days=7))
        other = add_action(session, service, owner=DOER, due_on=NOW.date() - timedelta(days=7))
        add_action(session, service, owner=LEAVER, due_on=NOW.date())
        add_action(
            session, service, owner=DOER, due_on=NOW.date(), status=ActionStatus.DONE, point=2
        )
    report = run_reminders_tick(deps, slack_client(fake.api_url))
    found = delivered(fake, [OWNER, DOER])
    assert found == Counter(
        {
            (OWNER, service.id, "due", "0"): 1,
            ("CTEAM", service.id, "due", "0"): 1,
            (OWNER, service.id, "action_upcoming", f"{action.id}.0"): 1,
            (DOER, service.id, "action_overdue", f"{other.id}.1"): 1,
        }
    )
    owner_dm = fake.im_channel(OWNER)
    assert owner_dm is not None
    assert len(fake.messages(owner_dm)) == 1, "one digest with both nudges"
    assert report.messages == 3
    again = run_reminders_tick(deps, slack_client(fake.api_url))
    assert again.sent == 0


def test_snooze_from_the_nudge_waits_a_week(deps: Deps, fake: FakeSlack) -> None:
    with deps.sessions.begin() as session:
        service = add_service(session, "Bins", next_due_on=date(2026, 9, 1), owners=(OWNER,))
        action = add_action(session, service, owner=DOER, due_on=NOW.date() - timedelta(days=7))
    assert run_reminders_tick(deps, slack_client(fake.api_url)).sent == 1
    with deps.sessions.begin() as session:
        row = session.get(ImprovementAction, action.id)
        assert row is not None
        row.snoozed_until = NOW + timedelta(weeks=1)
    clock = deps.clock
    assert isinstance(clock, FakeClock)
    clock.advance(days=7)  # the next weekly occurrence, but snoozed until 10:00
    clock.now = clock.now.replace(hour=9, minute=30)
    assert run_reminders_tick(deps, slack_client(fake.api_url)).sent == 0
    clock.now = clock.now.replace(hour=10, minute=30)
    assert run_reminders_tick(deps, slack_client(fake.api_url)).sent == 1


# --- two real processes -------------------------------------------------------------------------

DOERS = [f"UA{n:02d}" for n in range(10)]


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    name = f"assessbot_actions_{os.getpid()}"
    url = create_postgres_database(postgres_server, name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_postgres_database(postgres_server, name)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_processes_send_each_action_nudge_exactly_once(postgres_url: str) -> None:
    today = PROCESS_TEST_NOW.date()
    engine = make_engine(postgres_url)
    with session_factory(engine).begin() as session:
        services = [
            add_service(session, f"S{n}", next_due_on=today + timedelta(days=90), owners=(OWNER,))
            for n in range(5)
        ]
        actions = [
            add_action(
                session,
                services[n % 5],
                owner=DOERS[n % 10],
                due_on=today + timedelta(days=(n % 3) * 5 - 3),  # upcoming, due, overdue
                point=1 + n % 15,
            )
            for n in range(30)
        ]
    engine.dispose()
    with FakeSlack() as fake:
        for user in [*DOERS, OWNER]:
            fake.add_user(user)
        fake.fail_next("chat.postMessage", delay=0.02, times=1000)
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(2)
        queue: Queue[dict[str, Any]] = context.Queue()
        processes = [
            context.Process(
                target=tick_in_process, args=(fake.api_url, postgres_url, name, barrier, queue)
            )
            for name in ("replica-a", "replica-b")
        ]
        for process in processes:
            process.start()
        results = [queue.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=10)
            assert process.exitcode == 0
        counts = delivered(fake, DOERS)
    assert Counter(counts.values()) == {1: len(actions)}
    assert {occurrence.split(".")[0] for (_, _, _, occurrence) in counts} == {
        str(action.id) for action in actions
    }
    assert sum(r["sent"] for r in results) == len(actions)


def test_a_dry_run_says_who_would_hear_about_which_action(deps: Deps, fake: FakeSlack) -> None:
    with deps.sessions.begin() as session:
        service = add_service(session, "Bins", next_due_on=date(2026, 9, 1), owners=(OWNER,))
        add_action(session, service, owner=NY_DOER, due_on=NOW.date(), text="Write the plan")
    clock = deps.clock
    assert isinstance(clock, FakeClock)
    clock.now = NOW.replace(hour=15)  # 10:00 in New York
    out = io.StringIO()
    report = run_reminders_tick(deps, slack_client(fake.api_url), dry_run=True, out=out)
    assert report.lines == [
        f"due      DM {NY_DOER} (nia, America/New_York): 'Bins' — Action due today, "
        "Tue 3 Mar 2026. You own this action on point 1 (Point 1) of Bins."
    ]
    assert fake.calls_to("chat.postMessage") == []
