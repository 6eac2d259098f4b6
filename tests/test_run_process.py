"""`assessbot run` as a real process: HTTP mode, Socket Mode, signals, configuration errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.driver import SlackDriver
from tests.fakeslack import FakeSlack
from tests.harness import CHANNEL, OWNER, SIGNING_SECRET, settings_env

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_env(**values: str) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env["MPLCONFIGDIR"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / "assessbot-mpl")
    env.update(values)
    return env


@contextmanager
def assessbot_run(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        # Its own process group: in HTTP mode it is a master and its workers, and a test that
        # kills "the process" kills them all, as a container's or systemd unit's end does.
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"assessbot exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                result: dict[str, object] = json.loads(answer.read())
                return result
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"assessbot never answered /healthz:\n{log.read_text()}")


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.slow
def test_http_mode_serves_slack_and_health(
    fake_slack: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = base_env(**settings_env(fake_slack, sqlite_url, PORT=str(port)))
    log = tmp_path / "run.log"
    with assessbot_run(env, log) as process:
        url = f"http://127.0.0.1:{port}"
        assert wait_for_health(url, process, log) == {"ok": True}
        driver = SlackDriver(url, SIGNING_SECRET, fake_slack)
        assert driver.command("help", user=OWNER, channel=CHANNEL).status == 200
        wait_for(lambda: fake_slack.response_posts())
        assert "assessbot" in json.dumps(fake_slack.response_posts()[-1].body)
        assert driver.command("help", user=OWNER, signed=False).status == 401
        assert driver.command("help", user=OWNER, bad_signature=True).status == 401
        assert driver.command("help", user=OWNER, timestamp_offset=-360).status == 401
        assert driver.command("help", user=OWNER, tamper=True).status == 401
        assert len(fake_slack.response_posts()) == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, log.read_text()
    assert "stopped" in log.read_text()


@pytest.mark.slow
def test_socket_mode_answers_help_over_the_websocket(
    fake_slack: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    env = base_env(**settings_env(fake_slack, sqlite_url, SLACK_APP_TOKEN=fake_slack.app_token))
    del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none
    log = tmp_path / "socket.log"
    with assessbot_run(env, log) as process:
        deadline = time.monotonic() + 30
        while not fake_slack.socket_connected(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no Socket Mode connection:\n{log.read_text()}")
        driver = SlackDriver(None, None, fake_slack)
        response = driver.command("help", user=OWNER, channel=CHANNEL)
        assert response.status == 200 and not response.timed_out
        wait_for(lambda: fake_slack.response_posts())
        assert "assessbot" in json.dumps(fake_slack.response_posts()[-1].body)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, log.read_text()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set SLACK_BOT_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1"},
            "set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN",
        ),
        ({"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_SIGNING_SECRET": "s"}, "starting xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "starting xapp-"),
        (
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "ASSESSBOT_TIMEZONE": "Mars",
            },
            "ASSESSBOT_TIMEZONE",
        ),
    ],
)
def test_configuration_mistakes_are_one_clear_line(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=base_env(PYTHONPATH=str(ROOT), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "assessbot.db").exists()
