"""End-to-end harness: the real Bolt app served over real HTTP (waitress), on a real database,
talking to the fake Slack. Tests drive it with signed requests through the SlackDriver."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.config import load_settings
from bot.deps import Deps
from bot.slack.app import build_app
from bot.slack.client import build_web_client
from bot.slack.router import CommandRouter
from bot.slack.server import HttpServer, build_wsgi
from standards import load_catalogue
from storage.db import make_engine, session_factory
from tests.driver import SlackDriver
from tests.fakeslack import FakeSlack

SIGNING_SECRET = "test-signing-secret"
TEAM = "T1"
OTHER_TEAM = "T2"
OWNER = "UOWNER"
TEAMMATE = "UTEAM"
OUTSIDER = "UOUT"
ADMIN = "UADMIN"  # named in ASSESSBOT_ADMINS
SLACK_ADMIN = "USLACKADMIN"  # a Slack workspace admin
FOREIGNER = "UFOREIGN"  # a user of another workspace
CHANNEL = "CTEAM"
OTHER_CHANNEL = "COTHER"
NOT_JOINED = "CNOTJOINED"


@dataclass
class FakeClock:
    """A clock tests move by hand; starts on a Tuesday morning in London."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 3, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def populate(fake: FakeSlack) -> None:
    """The people and channels most tests need."""
    fake.add_user(OWNER, name="olive", real_name="Olive Owner")
    fake.add_user(TEAMMATE, name="tariq", real_name="Tariq Teammate")
    fake.add_user(OUTSIDER, name="oscar", real_name="Oscar Outsider")
    fake.add_user(ADMIN, name="ada", real_name="Ada Admin")
    fake.add_user(SLACK_ADMIN, name="sam", real_name="Sam Slackadmin", is_admin=True)
    fake.add_user(FOREIGNER, team_id=OTHER_TEAM, name="fred", real_name="Fred Foreign")
    fake.add_channel(CHANNEL, "team-bins")
    fake.add_channel(OTHER_CHANNEL, "leadership")
    fake.add_channel(NOT_JOINED, "random", is_member=False)


@dataclass
class RunningApp:
    fake: FakeSlack
    deps: Deps
    server: HttpServer
    driver: SlackDriver
    clock: FakeClock
    router: CommandRouter

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


def settings_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
        "ASSESSBOT_ADMINS": ADMIN,
        "ASSESSBOT_TIMEZONE": "Europe/London",
        **extra,
    }


@contextmanager
def running_app(
    database_url: str,
    fake: FakeSlack,
    *,
    clock: FakeClock | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[RunningApp]:
    """Serve the app until the block ends; a second call on the same database is a restart."""
    settings = load_settings(settings_env(fake, database_url, **dict(env or {})))
    engine = make_engine(database_url)
    clock = clock or FakeClock()
    deps = Deps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        catalogue=load_catalogue(settings.standards_dir),
        clock=clock,
        process_name="test",
    )
    router = CommandRouter()
    app = build_app(deps, build_web_client(settings), router)
    server = HttpServer(build_wsgi(app, engine), port=0, host="127.0.0.1")
    thread = server.serve_in_thread()
    try:
        url = f"http://127.0.0.1:{server.port}"
        yield RunningApp(fake, deps, server, SlackDriver(url, SIGNING_SECRET, fake), clock, router)
    finally:
        server.stop()
        thread.join(timeout=5)
        engine.dispose()
