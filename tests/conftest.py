"""Shared fixtures: real databases (SQLite and PostgreSQL), migrated with the real migrations."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import Base
from tests.fakeslack import FakeSlack

if TYPE_CHECKING:
    from tests.harness import RunningApp

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def postgres_admin_url() -> str:
    return os.environ.get("ASSESSBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _postgres_unreachable_reason() -> str | None:
    try:
        engine = create_engine(postgres_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        return str(error).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server: in CI a failure, elsewhere a skip."""
    reason = _postgres_unreachable_reason()
    if reason is not None:
        message = (
            f"PostgreSQL not reachable at {postgres_admin_url()} ({reason}); start it or set "
            "ASSESSBOT_TEST_POSTGRES_URL to run the PostgreSQL tests"
        )
        if IN_CI:
            pytest.fail(message + " — CI=true, so this is a failure, not a skip")
        pytest.skip(message)
    return postgres_admin_url()


def create_postgres_database(admin_url: str, name: str) -> str:
    """Create (or re-create) an empty database and return its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server: str) -> Iterator[str]:
    name = f"assessbot_test_{os.getpid()}"
    url = create_postgres_database(postgres_server, name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_postgres_database(postgres_server, name)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _empty_postgres_tables(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_template: Path
) -> str:
    """The URL of an empty, migrated database; every test using it runs on both backends."""
    if request.param == "sqlite":
        path = tmp_path / f"assessbot-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(migrated_sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("migrated_postgres")
    _empty_postgres_tables(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite_template: Path) -> str:
    """An empty, migrated SQLite database, for tests that are not about the backend."""
    path = tmp_path / "assessbot.db"
    shutil.copyfile(migrated_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started fake Slack with the standard cast of users and channels (tests/harness.py)."""
    from tests.harness import populate

    with FakeSlack() as fake:
        populate(fake)
        yield fake


@pytest.fixture
def slack_app(sqlite_url: str, fake_slack: FakeSlack) -> Iterator[RunningApp]:
    """The real app over HTTP on SQLite, against the fake Slack."""
    from tests.harness import running_app

    with running_app(sqlite_url, fake_slack) as running:
        yield running


@pytest.fixture
def slack_app_each_db(database_url: str, fake_slack: FakeSlack) -> Iterator[RunningApp]:
    """The real app over HTTP, once on SQLite and once on PostgreSQL."""
    from tests.harness import running_app

    with running_app(database_url, fake_slack) as running:
        yield running


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly how many storage tests ran on each backend (CI must show both)."""
    counts = {"sqlite": 0, "postgres": 0}
    for report in terminalreporter.stats.get("passed", []):
        for backend in counts:
            if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
                counts[backend] += 1
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "postgres" in report.nodeid
    ]
    terminalreporter.write_line(
        f"database backends: {counts['sqlite']} tests passed on SQLite, "
        f"{counts['postgres']} on PostgreSQL ({len(skipped)} PostgreSQL tests skipped)"
    )
