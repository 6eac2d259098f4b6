"""Outcome storage on SQLite and PostgreSQL: winners, history kept, fixed statement counts,
the summary's Outcomes section from real rows, and the reading-due planner's candidates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.seed_outcomes import seed_outcomes
from bot.core.outcome_summary import build_outcomes
from storage.models import Reading
from storage.outcome_queries import (
    MeasureFields,
    add_measure,
    add_reading,
    find_measure,
    load_portfolio_outcomes,
    measures_for_service,
    retire_measure,
)
from storage.outcome_reminder_queries import load_reading_candidates
from storage.summary_queries import load_portfolio
from storage.values import Period
from tests.test_query_counts import add_services, statements_for
from tests.test_storage_schema import make_service

NOW = datetime(2026, 4, 9, 10, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
FIELDS = MeasureFields(
    name="Feel safe",
    counts="",
    unit="percent",
    better_when="higher",
    target=Decimal(80),
    frequency="monthly",
    source="Survey",
    points=(("lgdss", 1), ("lgdss", 2)),
)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))


def test_corrections_win_and_retiring_keeps_history(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service = make_service()
        session.add(service)
        session.flush()
        measure = add_measure(
            session=session, service=service, fields=FIELDS, user_id="U1", now=NOW
        )
        for period, value in ((FEBRUARY, "70"), (MARCH, "75"), (MARCH, "76.5")):
            add_reading(
                session=session,
                measure=measure,
                period=period,
                value=Decimal(value),
                note="",
                user_id="U1",
                now=NOW,
            )
        service_id, measure_id = service.id, measure.id
    with sessions() as session:
        (view,) = measures_for_service(session=session, service_id=service_id)
        assert [(r.period, r.value) for r in view.readings] == [
            (FEBRUARY, Decimal(70)),
            (MARCH, Decimal("76.5")),
        ]
        assert view.points == (("lgdss", 1), ("lgdss", 2)) and view.target == 80
    with sessions.begin() as session:
        found = find_measure(session=session, measure_id=measure_id, team_id="T1")
        assert (
            found is not None
            and find_measure(session=session, measure_id=measure_id, team_id="T2") is None
        )
        retire_measure(session=session, measure=found, user_id="U1", now=NOW)
    with sessions() as session:
        assert measures_for_service(session=session, service_id=service_id) == []
        retired = measures_for_service(session=session, service_id=service_id, include_retired=True)
        assert retired[0].retired and len(retired[0].readings) == 2
        assert session.scalar(select(func.count(Reading.id))) == 3


def test_outcome_loads_take_fixed_statements(engine: Engine) -> None:
    add_services(engine, 0, 3)
    seed_outcomes(engine, 3, today=NOW.date(), team_id="T1")

    def portfolio(session: Session) -> object:
        return load_portfolio_outcomes(session=session, team_id="T1", phases=(), last_periods=8)

    def candidates(session: Session) -> object:
        return load_reading_candidates(session=session, tz=LONDON)

    small = (statements_for(engine, portfolio), statements_for(engine, candidates))
    add_services(engine, 3, 700)
    seed_more = 703
    # The seeder numbers measures from service 1; re-seed the larger portfolio in full.
    with engine.begin() as connection:
        connection.execute(Reading.__table__.delete())
        connection.exec_driver_sql("DELETE FROM measure_points")
        connection.exec_driver_sql("DELETE FROM measures")
    seed_outcomes(engine, seed_more, today=NOW.date(), team_id="T1")
    assert (statements_for(engine, portfolio), statements_for(engine, candidates)) == small
    with Session(engine) as session:
        types, measures = load_portfolio_outcomes(
            session=session, team_id="T1", phases=(), last_periods=8
        )
        assert sum(len(v) for v in measures.values()) == 3 * seed_more
        assert all(len(m.readings) == 8 for views in measures.values() for m in views)
        limited = load_portfolio_outcomes(session=session, team_id="T1", phases=(), last_periods=2)
        assert all(len(m.readings) == 2 for views in limited[1].values() for m in views)
        records = load_portfolio(session=session, team_id="T1")
    section = build_outcomes(
        records, types, measures, today=NOW.date(), subdivision="ENG", since=None
    )
    assert section.measures == 3 * seed_more
    assert section.on_target + section.off_target == section.measures
    assert len(section.off_target_shown) == min(section.off_target, 10)
    assert section.paper_flags  # point 1 is met in every seeded assessment
    assert all(flag.point_number == 1 for flag in section.paper_flags)
    assert section.overdue == ()  # the seed recorded March
    later = build_outcomes(
        records, types, measures, today=date(2026, 5, 11), subdivision="ENG", since=None
    )
    assert len(later.overdue) == 3 * seed_more  # April unrecorded 5 working days on
    assert len(section.movers) == 5 and len(section.charts) == 6
