"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Assessment, Base, Service, ServiceOwner


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert current_revision(engine) == head_revision()


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def make_service(team_id: str = "T1", name: str = "Bins") -> Service:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return Service(
        team_id=team_id,
        name=name,
        name_key=name.casefold(),
        description="",
        standard_id="lgdss",
        phase="beta",
        team_channel_id="C1",
        interval_months=6,
        next_due_on=now.date(),
        due_reason="never_assessed",
        created_by="U1",
        created_at=now,
        updated_at=now,
        owners=[ServiceOwner(user_id="U1")],
    )


def test_service_names_are_unique_per_workspace_ignoring_case(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        session.add(make_service("T1", "Bins"))
        session.add(make_service("T2", "Bins"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(make_service("T1", "BINS"))


def test_times_come_back_aware_in_utc(sessions: sessionmaker[Session]) -> None:
    local = datetime(2026, 7, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    with sessions.begin() as session:
        service = make_service()
        service.created_at = local
        session.add(service)
    with sessions() as session:
        stored = session.scalars(select(Service)).one()
        assert stored.created_at == local
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.owner_ids == ["U1"]


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    service = make_service()
    service.created_at = datetime(2026, 1, 1, 9, 0)
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        session.add(service)


def test_one_assessment_in_progress_per_service(sessions: sessionmaker[Session]) -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with sessions.begin() as session:
        service = make_service()
        session.add(service)
        session.flush()
        service_id = service.id

    def assessment(status: str) -> Assessment:
        return Assessment(
            team_id="T1",
            service_id=service_id,
            standard_id="lgdss",
            standard_version="2016",
            standard_title="LGDSS",
            phase="beta",
            status=status,
            started_by="U1",
            started_at=now,
            channel_id="C1",
            point_count=15,
        )

    with sessions.begin() as session:
        session.add(assessment("completed"))
        session.add(assessment("completed"))
        session.add(assessment("in_progress"))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(assessment("in_progress"))


def test_read_only_sessions_do_not_block_writers_on_sqlite(sqlite_url: str) -> None:
    """An export reading for a long time must not make people's clicks wait."""
    from storage.db import make_engine, read_only_sessions, session_factory

    engine = make_engine(sqlite_url)
    with read_only_sessions(engine).begin() as reader:
        reader.scalars(select(Service)).all()
        with session_factory(engine).begin() as writer:  # would wait 15 s for the lock
            writer.add(make_service(name="Written during a read"))
    with session_factory(engine)() as session:
        assert session.scalars(select(Service.name)).all() == ["Written during a read"]
    engine.dispose()
