"""Loading the portfolio, settings and post claims, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.summary import Figures, build_summary, scheduled_instant, week_bounds
from storage.models import Answer, Assessment, ClaimStatus, Service, SummaryPost
from storage.summary_queries import (
    all_settings,
    claim_extra,
    claim_scheduled,
    get_settings,
    load_portfolio,
    mark_sent,
    previous_figures,
    release,
    save_settings,
    scheduled_posts_in_week,
)
from storage.values import SummarySettings
from tests.summary_seed import (
    NOW,
    PORTFOLIO,
    TEAM,
    AssessmentSpec,
    ServiceSpec,
    answer,
    records,
    seed,
)

LONDON = ZoneInfo("Europe/London")


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_load_portfolio_matches_the_spec(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seed(session, PORTFOLIO)
    with sessions() as session:
        loaded = load_portfolio(session=session, team_id=TEAM)
    assert loaded == records(PORTFOLIO)
    # Spot checks that the rules were applied, not just copied.
    by_name = {record.name: record for record in loaded}
    assert "Old portal" not in by_name and "Elsewhere" not in by_name
    bins = by_name["Bins & recycling"].latest
    assert bins is not None and bins.rating(9) == "not_met"  # newest row wins over "P"
    school = by_name["School admissions"].latest
    assert school is not None and school.answers[2].has_evidence  # evidence added later
    assert by_name["Register a birth"].latest.answers[3].has_evidence  # type: ignore[union-attr]
    assert not by_name["Register a birth"].latest.answers[2].has_evidence  # type: ignore[union-attr]
    planning = by_name["Planning applications"].latest
    assert planning is not None and planning.last_answered_at is None
    assert planning.status == "in_progress"  # the newer assessment, not the completed one
    council = by_name["Council tax"].latest
    assert council is not None and dict(council.points)[3] == "Old title for point 3"


def test_snapshot_titles_come_back_whole_and_in_point_order(
    sessions: sessionmaker[Session],
) -> None:
    """The snapshot is joined into one string per assessment in SQL: punctuation in a title
    must survive, and point 10 must come after 9, not after 1."""
    titles = {
        1: "Users: who, and why?",
        2: "Café, «quotes» & <tags>: 1,2",
        10: "Ten: after nine",
    }
    with sessions.begin() as session:
        seed(session, PORTFOLIO)
        latest = session.scalars(
            select(Assessment)
            .join(Service, Service.id == Assessment.service_id)
            .where(Service.name == "Council tax")
            .order_by(Assessment.id.desc())
        ).first()
        assert latest is not None and len(latest.points) >= 10
        for point in latest.points:
            point.title = titles.get(point.number, point.title)
    with sessions() as session:
        loaded = {record.name: record for record in load_portfolio(session=session, team_id=TEAM)}
    council = loaded["Council tax"].latest
    assert council is not None
    numbers = [number for number, _title in council.points]
    assert numbers == sorted(numbers) and len(numbers) == len(latest.points)
    assert {n: t for n, t in council.points if n in titles} == titles


def test_load_portfolio_filters_phases(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seed(session, PORTFOLIO)
    with sessions() as session:
        live = load_portfolio(session=session, team_id=TEAM, phases=["live"])
        early = load_portfolio(session=session, team_id=TEAM, phases=["alpha", "discovery"])
    assert sorted(record.name for record in live) == [
        "Council tax",
        "Parking permits",
        "Pest control",
        "Register a birth",
        "School admissions",
    ]
    assert sorted(record.name for record in early) == [
        "Blue badge",
        "Library <loans>",
        "Street lighting",
    ]


def test_load_portfolio_uses_a_fixed_number_of_queries(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        seed(session, PORTFOLIO)
    with sessions() as session, counting(engine) as small:
        load_portfolio(session=session, team_id=TEAM)
    more = [
        ServiceSpec(
            f"Extra {index}",
            "beta",
            "lgdss",
            index - 20,
            [AssessmentSpec("lgdss", "completed", 50, "MPNX?MPNX?MPNXM", 40)] * (index % 3),
        )
        for index in range(40)
    ]
    with sessions.begin() as session:
        seed(session, more)
    with sessions() as session, counting(engine) as large:
        loaded = load_portfolio(session=session, team_id=TEAM)
    assert len(loaded) == 12 + 40
    assert len(small) == len(large) == 4


def test_settings_default_save_and_replace(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert get_settings(session=session, team_id=TEAM) == SummarySettings(team_id=TEAM)
        assert not get_settings(session=session, team_id=TEAM).configured
    wanted = SummarySettings(TEAM, ("C_LEAD", "C_EXEC"), 2, "14:30", ("beta", "live"))
    with sessions.begin() as session:
        save_settings(wanted, session=session, updated_by="U_ADMIN", now=NOW)
    with sessions.begin() as session:
        assert get_settings(session=session, team_id=TEAM) == wanted
        changed = SummarySettings(TEAM, ("C_LEAD",), 0, "09:00", ())
        save_settings(changed, session=session, updated_by="U_OTHER", now=NOW + timedelta(days=1))
        save_settings(SummarySettings("T2", ("C_X",)), session=session, updated_by="U", now=NOW)
    with sessions() as session:
        assert get_settings(session=session, team_id=TEAM) == changed
        assert [item.team_id for item in all_settings(session=session)] == [TEAM, "T2"]


def _claim(
    sessions: sessionmaker[Session], when: timedelta, who: str, channel: str = "C_LEAD"
) -> Any:
    with sessions.begin() as session:
        return claim_scheduled(
            session=session,
            team_id=TEAM,
            channel_id=channel,
            scheduled_for=scheduled_instant(NOW, 0, "09:00", LONDON),
            now=NOW + when,
            claimed_by=who,
        )


def test_claims_are_exclusive_and_stale_ones_are_taken_over(
    sessions: sessionmaker[Session],
) -> None:
    first = _claim(sessions, timedelta(0), "replica-a")
    assert first is not None and not first.reclaimed
    assert _claim(sessions, timedelta(minutes=1), "replica-b") is None
    assert _claim(sessions, timedelta(minutes=10), "replica-b") is None
    # Eleven minutes later the first holder is presumed dead: one replica takes over.
    taken = _claim(sessions, timedelta(minutes=11), "replica-b")
    assert taken is not None and taken.reclaimed and taken.post_id == first.post_id
    assert _claim(sessions, timedelta(minutes=12), "replica-c") is None
    # Another channel is its own claim.
    assert _claim(sessions, timedelta(minutes=12), "replica-c", channel="C_EXEC") is not None
    with sessions.begin() as session:
        mark_sent(
            first.post_id, session=session, now=NOW, message_ts="1.2", figures={"services": 3}
        )
    # Sent is final, however old.
    assert _claim(sessions, timedelta(days=3), "replica-d") is None
    with sessions() as session:
        post = session.get(SummaryPost, first.post_id)
        assert post is not None
        assert (post.status, post.claimed_by, post.message_ts) == (
            ClaimStatus.SENT,
            "replica-b",
            "1.2",
        )


def test_release_lets_a_later_tick_try_again(sessions: sessionmaker[Session]) -> None:
    claim = _claim(sessions, timedelta(0), "replica-a")
    assert claim is not None
    with sessions.begin() as session:
        release(claim.post_id, session=session)
    again = _claim(sessions, timedelta(minutes=5), "replica-b")
    assert again is not None and not again.reclaimed


def test_extra_posts_never_collide_and_never_become_the_baseline(
    sessions: sessionmaker[Session],
) -> None:
    week1 = scheduled_instant(NOW - timedelta(days=7), 0, "09:00", LONDON)
    week2 = scheduled_instant(NOW, 0, "09:00", LONDON)
    with sessions.begin() as session:
        for week, services in ((week1, 10), (week2, 11)):
            claim = claim_scheduled(
                session=session,
                team_id=TEAM,
                channel_id="C_LEAD",
                scheduled_for=week,
                now=week,
                claimed_by="a",
            )
            assert claim is not None
            mark_sent(
                claim.post_id,
                session=session,
                now=week,
                message_ts="1",
                figures={"services": services},
            )
        for _ in range(2):
            extra = claim_extra(
                session=session, team_id=TEAM, channel_id="C_LEAD", now=NOW, claimed_by="a"
            )
            mark_sent(extra, session=session, now=NOW, message_ts="2", figures={"services": 99})
        unsent = claim_extra(
            session=session, team_id=TEAM, channel_id="C_LEAD", now=NOW, claimed_by="a"
        )
        assert unsent != extra
    with sessions() as session:
        assert previous_figures(session=session, team_id=TEAM, channel_id="C_LEAD") == {
            "services": 11
        }
        assert previous_figures(
            session=session, team_id=TEAM, channel_id="C_LEAD", before=week2
        ) == {"services": 10}
        assert previous_figures(session=session, team_id=TEAM, channel_id="C_OTHER") is None
        assert previous_figures(session=session, team_id="T2", channel_id="C_LEAD") is None


def test_posts_this_week_are_found_whatever_their_time(sessions: sessionmaker[Session]) -> None:
    monday = scheduled_instant(NOW, 0, "09:00", LONDON)
    assert _claim(sessions, timedelta(0), "a") is not None
    with sessions() as session:
        found = scheduled_posts_in_week(
            session=session, team_id=TEAM, channel_id="C_LEAD", week=week_bounds(NOW, LONDON)
        )
        assert found == [monday]
        next_week = week_bounds(NOW + timedelta(days=7), LONDON)
        assert not scheduled_posts_in_week(
            session=session, team_id=TEAM, channel_id="C_LEAD", week=next_week
        )
        assert not scheduled_posts_in_week(
            session=session, team_id=TEAM, channel_id="C_EXEC", week=week_bounds(NOW, LONDON)
        )


def test_trend_through_the_database(sessions: sessionmaker[Session]) -> None:
    week1 = scheduled_instant(NOW, 0, "09:00", LONDON)
    week2 = week1 + timedelta(days=7)
    with sessions.begin() as session:
        seed(session, PORTFOLIO)
        first = build_summary(
            load_portfolio(session=session, team_id=TEAM), team_id=TEAM, now=NOW, tz=LONDON
        )
        claim = claim_scheduled(
            session=session,
            team_id=TEAM,
            channel_id="C_LEAD",
            scheduled_for=week1,
            now=NOW,
            claimed_by="a",
        )
        assert claim is not None
        mark_sent(
            claim.post_id,
            session=session,
            now=NOW,
            message_ts="1",
            figures=first.figures.to_json(),
        )
    later = NOW + timedelta(days=7)
    with sessions.begin() as session:
        parking = session.scalars(select(Service).where(Service.name == "Parking permits")).one()
        assessment = session.scalars(
            select(Assessment).where(Assessment.service_id == parking.id)
        ).one()
        for number in (2, 5, 9):
            session.add(answer(assessment, number, "M", later - timedelta(hours=1)))
    with sessions() as session:
        baseline = Figures.from_json(
            previous_figures(session=session, team_id=TEAM, channel_id="C_LEAD", before=week2)
        )
        second = build_summary(
            load_portfolio(session=session, team_id=TEAM),
            team_id=TEAM,
            now=later,
            tz=LONDON,
            previous=baseline,
        )
        assert session.scalar(select(Answer.id).order_by(Answer.id.desc()).limit(1)) is not None
    assert baseline == first.figures
    assert (second.figures.met, second.figures.applicable) == (first.figures.met + 3, 137)
    assert second.trend is not None
    assert second.trend.share_points == 60 - 58  # 82 / 137 = 59.9 %
