"""Reminder storage on SQLite and PostgreSQL: candidates without N+1, claims, snoozes, due list."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.reminders import snooze_until
from storage.models import Nudge, Snooze
from storage.reminder_queries import (
    Claim,
    claim_nudge,
    claim_or_reclaim,
    current_snooze,
    due_services,
    find_service,
    load_nudge_states,
    load_reminder_candidates,
    mark_sent,
    reclaim_stale_nudge,
    release_claims,
    snooze_service,
)
from storage.values import InProgress, NudgeKey
from tests.reminder_seed import add_assessment, add_service

NOW = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
LATER = NOW + timedelta(minutes=1)


@contextmanager
def counting_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def seed_portfolio(session: Session, count: int) -> None:
    for n in range(count):
        service = add_service(
            session,
            f"Service {n}",
            next_due_on=TODAY + timedelta(days=n % 20 - 5),
            owners=(f"U{n}", f"V{n}"),
        )
        if n % 3 == 0:
            add_assessment(
                session,
                service,
                started_at=NOW - timedelta(days=20),
                answers=[(1, NOW - timedelta(days=16)), (2, NOW - timedelta(days=15))],
            )


def test_candidates_take_a_fixed_number_of_queries(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        seed_portfolio(session, 3)
    with counting_queries(engine) as few, sessions.begin() as session:
        assert len(load_reminder_candidates(session=session, today=TODAY)) == 3
    with sessions.begin() as session:
        seed_portfolio_more(session)
    with counting_queries(engine) as many, sessions.begin() as session:
        candidates = load_reminder_candidates(session=session, today=TODAY)
        assert len(candidates) > 30
        assert all(len(c.owner_ids) == 2 for c in candidates)
    assert len(few) == len(many) == 3


def seed_portfolio_more(session: Session) -> None:
    for n in range(3, 40):
        service = add_service(
            session, f"More {n}", next_due_on=TODAY + timedelta(days=n % 20 - 5), owners=("A", "B")
        )
        if n % 2:
            add_assessment(session, service, started_at=NOW - timedelta(days=3))


def test_candidates_are_live_and_soon_due_or_being_assessed(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        add_service(session, "Soon", next_due_on=TODAY + timedelta(days=16))
        add_service(session, "Later", next_due_on=TODAY + timedelta(days=60))
        add_service(session, "Gone", next_due_on=TODAY - timedelta(days=60), archived_at=NOW)
        busy = add_service(session, "Busy", next_due_on=TODAY + timedelta(days=150))
        add_assessment(
            session,
            busy,
            started_at=NOW - timedelta(days=30),
            answers=[
                (1, NOW - timedelta(days=29)),
                (1, NOW - timedelta(days=20)),
                (4, NOW - timedelta(days=25)),
            ],
        )
        done = add_service(session, "Done", next_due_on=TODAY + timedelta(days=150))
        add_assessment(session, done, started_at=NOW - timedelta(days=30), status="completed")
    with sessions.begin() as session:
        candidates = {c.name: c for c in load_reminder_candidates(session=session, today=TODAY)}
    assert set(candidates) == {"Soon", "Busy"}
    work = candidates["Busy"].in_progress
    assert isinstance(work, InProgress)
    assert work.last_answer_at == NOW - timedelta(days=20)
    assert work.last_answer_at.tzinfo is not None
    assert (work.answered_points, work.point_count) == (2, 15)
    assert work.stalled(NOW)
    assert candidates["Soon"].in_progress is None


def test_a_claim_is_won_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service_id = add_service(session, "Bins", next_due_on=TODAY).id
    key = NudgeKey(service_id, "due", TODAY, "0", "UOWNER")
    with sessions.begin() as session:
        first = claim_nudge(session=session, key=key, team_id="T1", now=NOW, claimed_by="a")
    with sessions.begin() as session:
        second = claim_nudge(session=session, key=key, team_id="T1", now=NOW, claimed_by="b")
        channel_key = replace(key, recipient="CTEAM")
        other = claim_nudge(session=session, key=channel_key, team_id="T1", now=NOW, claimed_by="b")
    assert first is not None and first.attempts == 1
    assert second is None
    assert other is not None
    with sessions.begin() as session:
        states = load_nudge_states(session=session, service_ids=[service_id], due_dates=[TODAY])
        assert set(states) == {key, channel_key}
        assert states[key].status == "claimed"
        mark_sent(session=session, claims=[first], now=NOW, message_ts="1.0")
    with sessions.begin() as session:
        row = session.scalars(select(Nudge).where(Nudge.id == first.id)).one()
        assert (row.status, row.sent_at, row.message_ts, row.claimed_by) == (
            "sent",
            NOW,
            "1.0",
            "a",
        )
        # A sent nudge is never taken over, however old.
        later = NOW + timedelta(days=1)
        assert reclaim_stale_nudge(session=session, key=key, now=later, claimed_by="b") is None
        assert (
            claim_or_reclaim(session=session, key=key, team_id="T1", now=later, claimed_by="b")
            is None
        )


def test_a_released_claim_can_be_claimed_again(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service_id = add_service(session, "Bins", next_due_on=TODAY).id
    key = NudgeKey(service_id, "overdue", TODAY, "3", "UOWNER")
    with sessions.begin() as session:
        claim = claim_nudge(session=session, key=key, team_id="T1", now=NOW, claimed_by="a")
        assert claim is not None
    with sessions.begin() as session:
        assert release_claims(session=session, claims=[claim]) == 1
    with sessions.begin() as session:
        assert load_nudge_states(session=session, service_ids=[service_id], due_dates=[TODAY]) == {}
        again = claim_nudge(session=session, key=key, team_id="T1", now=LATER, claimed_by="b")
    assert again is not None
    with sessions.begin() as session:
        # Our old token does not release the new claim, even where SQLite reuses the id.
        assert release_claims(session=session, claims=[claim]) == 0
        states = load_nudge_states(session=session, service_ids=[service_id], due_dates=[TODAY])
        assert states[key].status == "claimed"


def test_a_stale_claim_is_taken_over_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service_id = add_service(session, "Bins", next_due_on=TODAY).id
    key = NudgeKey(service_id, "stalled", TODAY, "2027-01-06", "UOWNER")
    with sessions.begin() as session:
        crashed = claim_nudge(session=session, key=key, team_id="T1", now=NOW, claimed_by="dead")
        assert crashed is not None
    nine, eleven = NOW + timedelta(minutes=9), NOW + timedelta(minutes=11)
    with sessions.begin() as session:
        assert reclaim_stale_nudge(session=session, key=key, now=nine, claimed_by="b") is None
    with sessions.begin() as session:
        taken = claim_or_reclaim(session=session, key=key, team_id="T1", now=eleven, claimed_by="b")
    with sessions.begin() as session:
        assert reclaim_stale_nudge(session=session, key=key, now=eleven, claimed_by="c") is None
    assert taken == Claim(crashed.id, key, attempts=2, claimed_at=eleven, reclaimed=True)
    with sessions.begin() as session:
        # The original claimer waking up late cannot release the claim it lost.
        assert release_claims(session=session, claims=[crashed]) == 0
        row = session.scalars(select(Nudge).where(Nudge.id == crashed.id)).one()
        assert (row.status, row.attempts, row.claimed_by, row.claimed_at) == (
            "claimed",
            2,
            "b",
            eleven,
        )


def test_snoozes_record_who_and_stop_at_four_weeks(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service_id = add_service(session, "Bins", next_due_on=TODAY).id
    with sessions.begin() as session:
        assert current_snooze(session=session, service_id=service_id, now=NOW) is None
    for clicks, user in enumerate(["UOWNER", "UADMIN", "UOWNER", "UOWNER", "UOWNER"], start=1):
        with sessions.begin() as session:
            service = find_service(session=session, service_id=service_id, team_id="T1")
            assert service is not None
            until = snooze_service(
                session=session,
                service=service,
                user_id=user,
                now=NOW,
                until=snooze_until(service.snoozed_until, NOW),
            )
            assert until == NOW + timedelta(weeks=min(clicks, 4))
    with sessions.begin() as session:
        assert find_service(session=session, service_id=service_id, team_id="T2") is None
        view = current_snooze(session=session, service_id=service_id, now=NOW)
        assert view is not None
        assert (view.until, view.snoozed_by, view.snoozed_at) == (
            NOW + timedelta(weeks=4),
            "UOWNER",
            NOW,
        )
        assert len(session.scalars(select(Snooze)).all()) == 5
        assert (
            current_snooze(session=session, service_id=service_id, now=NOW + timedelta(weeks=5))
            is None
        )


def test_due_list_is_the_workspace_most_overdue_first(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_service(session, "Parking", next_due_on=TODAY + timedelta(days=30))
        add_service(session, "Bins", next_due_on=TODAY - timedelta(days=40))
        add_service(session, "Council tax", next_due_on=TODAY)
        add_service(session, "Libraries", next_due_on=TODAY + timedelta(days=31))
        add_service(session, "Old", next_due_on=TODAY - timedelta(days=90), archived_at=NOW)
        add_service(session, "Elsewhere", next_due_on=TODAY, team_id="T2")
    with sessions.begin() as session:
        names = [
            s.name for s in due_services(session=session, team_id="T1", today=TODAY, within_days=30)
        ]
    assert names == ["Bins", "Council tax", "Parking"]
