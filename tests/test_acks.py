"""Acks go back as soon as a listener acks (bot.slack.acks), and Bolt's own answers stay: a
listener still working after its ack does not hold the answer up, one that raises first gets
Bolt's 500, and anything else submitted to the pool runs as before."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.slack.acks import AckWaitingExecutor, SignallingAck, signal_acks
from tests.driver import SlackDriver, serve_wsgi
from tests.fakeslack import FakeSlack

SECRET = "test-signing-secret"


@pytest.fixture
def served(fake_slack: FakeSlack) -> Iterator[tuple[SlackDriver, threading.Event, list[Any]]]:
    pool = ThreadPoolExecutor(4)
    app = App(
        signing_secret=SECRET,
        client=WebClient(base_url=fake_slack.api_url, token=fake_slack.bot_token),
        listener_executor=AckWaitingExecutor(pool),
    )
    signal_acks(app)
    release, seen = threading.Event(), []

    @app.command("/assess")
    def assess(ack: Ack, command: dict[str, Any]) -> None:
        seen.append(type(ack))
        if command["text"] == "raise":
            raise RuntimeError("before the ack")
        ack(text=f"Got {command['text']}")
        release.wait(10)  # still working after the ack
        seen.append("finished")

    with serve_wsgi(SlackRequestHandler(app)) as url:
        yield SlackDriver(url, SECRET, fake_slack), release, seen
    release.set()
    pool.shutdown(wait=True)


def test_the_answer_goes_back_while_the_listener_still_works(
    served: tuple[SlackDriver, threading.Event, list[Any]],
) -> None:
    driver, release, seen = served
    response = driver.command("status Bins", user="U1")
    assert response.status == 200 and "Got status Bins" in response.body
    assert seen == [SignallingAck]  # answered before the listener finished
    release.set()


def test_a_listener_that_raises_before_acking_gets_bolts_error(
    served: tuple[SlackDriver, threading.Event, list[Any]],
) -> None:
    driver, _release, _seen = served
    assert driver.command("raise", user="U1").status == 500


def test_work_submitted_outside_a_request_runs_as_before() -> None:
    pool = AckWaitingExecutor(ThreadPoolExecutor(1))
    assert pool.submit(lambda x: x * 2, 21).result(timeout=5) == 42
    pool.shutdown()
