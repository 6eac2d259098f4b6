"""End-to-end harness: the real Bolt app served over real HTTP (waitress), on a real database,
talking to the fake Slack. Tests drive it with signed requests through the SlackDriver."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import load_settings
from bot.deps import Deps
from bot.slack.app import build_app
from bot.slack.client import build_web_client
from bot.slack.router import CommandRouter
from bot.slack.server import HttpServer, build_wsgi
from standards import load_catalogue, load_measure_templates
from storage.db import make_engine, session_factory
from tests.driver import Response, SlackDriver
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
KENT_TEAM = "TKENT"  # another council, connected through a Slack Connect channel
REVIEWER = "UPRIYA"  # Priya of Kent County Council: a Slack Connect user with her own team id
CHANNEL = "CTEAM"
OTHER_CHANNEL = "COTHER"
NOT_JOINED = "CNOTJOINED"
SHARED_CHANNEL = "CSHARED"  # a Slack Connect channel shared with Kent County Council


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
    fake.add_team(TEAM, "Anytown Council")
    fake.add_team(KENT_TEAM, "Kent County Council")
    fake.add_user(REVIEWER, team_id=KENT_TEAM, name="Priya", real_name="Priya Patel")
    fake.add_channel(
        SHARED_CHANNEL,
        "shared-peer-review",
        members=[OWNER, TEAMMATE, OUTSIDER, ADMIN, SLACK_ADMIN, REVIEWER, "UBOT"],
    )


class InflightExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, counting work still running after the ack went back to Slack."""

    def __init__(self) -> None:
        super().__init__(max_workers=10, thread_name_prefix="listener")
        self._inflight = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._inflight += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._idle:
                    self._inflight -= 1
                    self._idle.notify_all()

        return super().submit(run)

    def wait_idle(self, timeout: float = 15.0) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: self._inflight == 0, timeout=timeout):
                raise TimeoutError(f"{self._inflight} listeners still running after {timeout}s")


class SettlingDriver(SlackDriver):
    """The driver, waiting after each request until the app has finished what it started,
    so a test reads the fake Slack only once the app's follow-up calls have landed."""

    def __init__(self, url: str, fake: FakeSlack, executor: InflightExecutor) -> None:
        super().__init__(url, SIGNING_SECRET, fake)
        self._executor = executor

    def _deliver(self, *args: Any, **kwargs: Any) -> Response:
        response = super()._deliver(*args, **kwargs)
        self._executor.wait_idle()
        return response


@dataclass
class RunningApp:
    fake: FakeSlack
    deps: Deps
    server: HttpServer
    driver: SettlingDriver
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
    slack_timeout: float | None = None,
) -> Iterator[RunningApp]:
    """Serve the app until the block ends; a second call on the same database is a restart."""
    settings = load_settings(settings_env(fake, database_url, **dict(env or {})))
    engine = make_engine(database_url)
    clock = clock or FakeClock()
    # One counting pool for Bolt's listeners and the after-ack work, so a test can wait for both.
    executor = InflightExecutor()
    catalogue = load_catalogue(settings.standards_dir)
    deps = Deps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        catalogue=catalogue,
        clock=clock,
        process_name="test",
        after_ack=executor,
        slow_work=executor,
        measures=load_measure_templates(catalogue, settings.standards_dir),
    )
    router = CommandRouter()
    client = build_web_client(settings)
    if slack_timeout is not None:  # Bolt copies the timeout into every request's client
        client.timeout = int(slack_timeout)
    app = build_app(deps, client, router, listener_executor=executor)
    server = HttpServer(build_wsgi(app, engine), port=0, host="127.0.0.1")
    thread = server.serve_in_thread()
    try:
        url = f"http://127.0.0.1:{server.port}"
        yield RunningApp(fake, deps, server, SettlingDriver(url, fake, executor), clock, router)
        assert_slack_accepted_everything(fake)
    finally:
        server.stop()
        thread.join(timeout=5)
        executor.shutdown(wait=True)
        engine.dispose()


BLOCK_ERRORS = {"invalid_blocks", "invalid_arguments", "msg_too_long", "invalid_blocks_format"}


def assert_slack_accepted_everything(fake: FakeSlack) -> None:
    """Every message, modal and Home view the app sent passed the fake's Block Kit checks."""
    refused = [
        (call.method, call.response)
        for call in fake.calls
        if call.response is not None and call.response.get("error") in BLOCK_ERRORS
    ]
    refused += [
        ("response_url", post.error)
        for post in fake.response_posts(include_rejected=True)
        if not post.accepted and (post.error or "").split(":")[0] in BLOCK_ERRORS | {"no_text"}
    ]
    assert refused == [], f"Slack would have refused: {refused}"
