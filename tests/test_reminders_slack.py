"""The reminder tick end to end: real database, real WebClient, the fake Slack counting messages."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TextIO

import pytest
from sqlalchemy import func, select

from bot.core.due import DueReason
from bot.core.reminders import snooze_until
from bot.deps import Deps
from bot.slack.reminder_job import TickReport, run_reminders_tick
from storage.models import Nudge, Service
from storage.reminder_queries import snooze_service
from tests.fakeslack import FakeSlack
from tests.reminder_seed import (
    FakeClock,
    add_assessment,
    add_service,
    delivered,
    job_deps,
    slack_client,
)

NOW = datetime(2027, 1, 19, 10, 0, tzinfo=UTC)  # a Tuesday; London is on GMT
TODAY = NOW.date()
OWNER, NY_OWNER, LEAVER, ADMIN = "UOWNER", "UNY", "UGONE", "UADMIN"
USERS = [OWNER, NY_OWNER, LEAVER, ADMIN] + [f"U{n:02d}" for n in range(20)]
CHANNEL = "CTEAM"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user(OWNER, name="olive")
        fake.add_user(NY_OWNER, name="nia", tz="America/New_York")
        fake.add_user(LEAVER, name="gone", deleted=True)
        fake.add_user(ADMIN, name="ada")
        for user in USERS[4:]:
            fake.add_user(user)
        fake.add_channel(CHANNEL, "team-bins")
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def deps(fake: FakeSlack, sqlite_url: str, clock: FakeClock) -> Iterator[Deps]:
    deps = job_deps(fake.api_url, sqlite_url, clock)
    yield deps
    deps.engine.dispose()


def tick(
    deps: Deps, fake: FakeSlack, *, dry_run: bool = False, out: TextIO | None = None
) -> TickReport:
    return run_reminders_tick(deps, slack_client(fake.api_url), dry_run=dry_run, out=out)


def nudge_rows(deps: Deps) -> list[tuple[str, str, str, str]]:
    with deps.sessions() as session:
        rows = session.scalars(select(Nudge).order_by(Nudge.recipient, Nudge.stage)).all()
        return [(row.recipient, row.stage, row.occurrence, row.status) for row in rows]


def test_due_today_dms_the_owner_and_tells_the_channel_once(
    deps: Deps, fake: FakeSlack, clock: FakeClock
) -> None:
    with deps.sessions.begin() as session:
        service_id = add_service(session, "Bins & <recycling>", next_due_on=TODAY).id
    report = tick(deps, fake)
    assert (report.sent, report.messages) == (2, 2)
    fake.clear_calls()
    for _ in range(3):
        clock.advance(minutes=5)
        again = tick(deps, fake)
        assert (again.sent, again.settled_services) == (0, 1)
    assert fake.calls == []  # settled: not even a users.info lookup
    assert delivered(fake, USERS) == {
        (OWNER, service_id, "due", "0"): 1,
        (CHANNEL, service_id, "due", "0"): 1,
    }
    assert nudge_rows(deps) == [
        (CHANNEL, "due", "0", "sent"),
        (OWNER, "due", "0", "sent"),
    ]
    dm = fake.messages(fake.im_channel(OWNER) or "")[0]
    text = str(dm["blocks"])
    assert "Bins &amp; &lt;recycling&gt;" in text and "<recycling>" not in text
    assert "due today" in text and "has not been assessed yet" in text
    buttons = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        ("assessment_start", str(service_id), "Start reassessment"),
        ("reminder_snooze", str(service_id), "Snooze 1 week"),
    ]
    channel_post = fake.messages(CHANNEL)[0]
    assert f"<@{OWNER}>" in str(channel_post["blocks"])
    with deps.sessions() as session:
        sent = session.scalars(select(Nudge).where(Nudge.recipient == OWNER)).one()
        assert (sent.sent_at, sent.message_ts, sent.attempts) == (NOW, dm["ts"], 1)


def test_rate_limits_delay_but_lose_nothing(deps: Deps, fake: FakeSlack, clock: FakeClock) -> None:
    with deps.sessions.begin() as session:
        ids = [
            add_service(session, f"Service {n}", next_due_on=TODAY, owners=(f"U{n:02d}",)).id
            for n in range(6)
        ]
    # 7 × 429: the first message (the channel's digest of six) outlives the retry handler
    # (1 + 5 attempts) and its claims are released; the next gets through on its second attempt.
    fake.fail_next("chat.postMessage", retry_after=0, times=7)
    first = tick(deps, fake)
    assert (first.failed_messages, first.released, first.sent) == (1, 6, 6)
    clock.advance(minutes=5)
    second = tick(deps, fake)
    assert (second.sent, second.messages, second.released) == (6, 1, 0)
    expected = {(f"U{n:02d}", ids[n], "due", "0"): 1 for n in range(6)}
    expected |= {(CHANNEL, service_id, "due", "0"): 1 for service_id in ids}
    assert delivered(fake, USERS) == expected
    assert {status for *_, status in nudge_rows(deps)} == {"sent"}


def test_a_dropped_connection_releases_the_claim(
    deps: Deps, fake: FakeSlack, clock: FakeClock
) -> None:
    with deps.sessions.begin() as session:
        service_id = add_service(session, "Bins", next_due_on=TODAY).id
    # Each message: dropped, not in the history, resent once at once, dropped again.
    fake.fail_next("chat.postMessage", drop=True, times=4)
    first = tick(deps, fake)
    assert (first.sent, first.released) == (0, 2)
    assert nudge_rows(deps) == []
    clock.advance(minutes=5)
    assert tick(deps, fake).sent == 2
    assert delivered(fake, USERS) == {
        (OWNER, service_id, "due", "0"): 1,
        (CHANNEL, service_id, "due", "0"): 1,
    }


def test_a_claim_left_by_a_crash_is_resent_after_ten_minutes(
    deps: Deps, fake: FakeSlack, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with deps.sessions.begin() as session:
        service = add_service(session, "Bins", next_due_on=TODAY, owners=(OWNER, ADMIN))
        for recipient, age in ((OWNER, 11), (ADMIN, 5)):
            session.add(
                Nudge(
                    team_id="T1",
                    service_id=service.id,
                    stage="due",
                    due_on=TODAY,
                    occurrence="0",
                    recipient=recipient,
                    status="claimed",
                    claimed_at=NOW - timedelta(minutes=age),
                    claimed_by="crashed:1",
                )
            )
        service_id = service.id
    with caplog.at_level(logging.WARNING, logger="bot.slack.reminder_job"):
        first = tick(deps, fake)
    assert (first.sent, first.reclaimed, first.already_done) == (2, 1, 1)
    assert "possible duplicate" in caplog.text
    clock.advance(minutes=6)
    assert tick(deps, fake).reclaimed == 1
    assert delivered(fake, USERS) == {
        (OWNER, service_id, "due", "0"): 1,
        (ADMIN, service_id, "due", "0"): 1,
        (CHANNEL, service_id, "due", "0"): 1,
    }
    with deps.sessions() as session:
        attempts = session.scalars(select(Nudge.attempts).order_by(Nudge.recipient)).all()
    assert attempts == [1, 2, 2]  # CTEAM, UADMIN, UOWNER


def test_snoozed_services_wait_and_then_get_only_the_current_occurrence(
    deps: Deps, fake: FakeSlack, clock: FakeClock
) -> None:
    with deps.sessions.begin() as session:
        service = add_service(session, "Bins", next_due_on=TODAY)
        until = snooze_until(service.snoozed_until, NOW)
        snooze_service(session=session, service=service, user_id=OWNER, now=NOW, until=until)
        until = snooze_until(service.snoozed_until, NOW)
        snooze_service(session=session, service=service, user_id=OWNER, now=NOW, until=until)
        service_id = service.id
    for _ in range(14):  # two weeks of daily ticks at 10:00
        assert tick(deps, fake).planned == 0
        clock.advance(days=1)
    clock.now = NOW + timedelta(weeks=2, minutes=5)  # just after the snooze ends
    assert tick(deps, fake).sent == 2
    assert delivered(fake, USERS) == {
        (OWNER, service_id, "overdue", "2"): 1,
        (CHANNEL, service_id, "overdue", "2"): 1,
    }


def test_leavers_are_skipped_and_the_channel_hears_there_is_no_owner(
    deps: Deps, fake: FakeSlack, clock: FakeClock
) -> None:
    with deps.sessions.begin() as session:
        orphan = add_service(session, "Orphan", next_due_on=TODAY, owners=(LEAVER, "UNOBODY")).id
        half = add_service(session, "Half", next_due_on=TODAY, owners=(LEAVER, OWNER)).id
        upcoming = add_service(
            session, "Soon", next_due_on=TODAY + timedelta(days=10), owners=("UNOBODY",)
        ).id
    tick(deps, fake)
    clock.advance(minutes=5)
    tick(deps, fake)
    assert delivered(fake, USERS) == {
        (CHANNEL, orphan, "due", "0"): 1,
        (CHANNEL, half, "due", "0"): 1,
        (CHANNEL, upcoming, "upcoming", "0"): 1,
        (OWNER, half, "due", "0"): 1,
    }
    posts = str(fake.messages(CHANNEL))
    assert posts.count("no active owner") == 2
    assert fake.im_channel(LEAVER) is None


def test_archived_services_are_never_nudged(deps: Deps, fake: FakeSlack) -> None:
    with deps.sessions.begin() as session:
        add_service(session, "Old", next_due_on=TODAY - timedelta(days=40), archived_at=NOW)
    assert tick(deps, fake).services == 0
    assert fake.calls_to("chat.postMessage") == []


def test_a_phase_change_makes_a_new_due_nudge_at_once(
    deps: Deps, fake: FakeSlack, clock: FakeClock
) -> None:
    with deps.sessions.begin() as session:
        service_id = add_service(
            session,
            "Parking",
            next_due_on=TODAY + timedelta(days=14),
            due_reason=DueReason.INTERVAL,
            last_assessed_on=TODAY - timedelta(days=168),
        ).id
    assert tick(deps, fake).sent == 1  # upcoming, DM only
    clock.advance(hours=1)
    with deps.sessions.begin() as session:
        service = session.get(Service, service_id)
        assert service is not None
        service.phase, service.next_due_on = "live", TODAY
        service.due_reason = DueReason.PHASE_CHANGE
    assert tick(deps, fake).sent == 2
    assert delivered(fake, USERS) == {
        (OWNER, service_id, "upcoming", "0"): 1,
        (OWNER, service_id, "due", "0"): 1,
        (CHANNEL, service_id, "due", "0"): 1,
    }
    assert "moved to the live phase" in str(fake.messages(CHANNEL)[0]["blocks"])


def test_a_stalled_assessment_nudges_its_owners_once(
    deps: Deps, fake: FakeSlack, clock: FakeClock
) -> None:
    with deps.sessions.begin() as session:
        service = add_service(session, "Libraries", next_due_on=TODAY + timedelta(days=90))
        add_assessment(
            session,
            service,
            started_at=NOW - timedelta(days=20),
            answers=[(1, NOW - timedelta(days=19)), (2, NOW - timedelta(days=15))],
        )
        service_id = service.id
    for _ in range(10):
        tick(deps, fake)
        clock.advance(hours=6)
    stall_day = (NOW - timedelta(days=15)).date().isoformat()
    assert delivered(fake, USERS) == {(OWNER, service_id, "stalled", stall_day): 1}
    dm = fake.messages(fake.im_channel(OWNER) or "")[0]
    assert "2 of 15 points answered" in str(dm["blocks"])
    assert "Resume assessment" in str(dm["blocks"])


def test_owners_hear_in_their_own_working_hours(
    deps: Deps, fake: FakeSlack, clock: FakeClock
) -> None:
    with deps.sessions.begin() as session:
        service_id = add_service(session, "Bins", next_due_on=TODAY, owners=(NY_OWNER,)).id
    tick(deps, fake)  # 10:00 London is 05:00 in New York
    assert delivered(fake, USERS) == {(CHANNEL, service_id, "due", "0"): 1}
    clock.now = NOW.replace(hour=14)  # 09:00 in New York
    tick(deps, fake)
    assert delivered(fake, USERS)[(NY_OWNER, service_id, "due", "0")] == 1


def test_one_digest_per_owner_within_block_limits(deps: Deps, fake: FakeSlack) -> None:
    with deps.sessions.begin() as session:
        for n in range(20):
            add_service(session, f"Service {n:02d}", next_due_on=TODAY - timedelta(days=n))
    report = tick(deps, fake)
    assert (report.sent, report.messages) == (40, 4)  # 16 + 4 DMs, 16 + 4 channel posts
    assert sum(delivered(fake, USERS).values()) == 40
    assert all(call.ok for call in fake.calls_to("chat.postMessage"))


def test_dry_run_says_who_and_why_but_sends_and_claims_nothing(deps: Deps, fake: FakeSlack) -> None:
    with deps.sessions.begin() as session:
        add_service(session, "Bins", next_due_on=TODAY)
        add_service(session, "Orphan", next_due_on=TODAY, owners=(LEAVER,))
    out = io.StringIO()
    report = tick(deps, fake, dry_run=True, out=out)
    printed = out.getvalue()
    assert len(report.lines) == 3
    assert "DM UOWNER (olive, Europe/London): 'Bins'" in printed
    assert "channel CTEAM: 'Orphan' [no active owner]" in printed
    assert "has not been assessed yet" in printed
    assert fake.calls_to("chat.postMessage") == []
    with deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Nudge)) == 0
    out = io.StringIO()
    assert tick(deps, fake, out=out).sent == 3
    assert out.getvalue().startswith("3 nudges sent in 2 messages")
