"""Settings: loaded once, frozen, and every mistake is one line naming the variable."""

from __future__ import annotations

import dataclasses
import os

import pytest

from bot.config import MAX_WORKERS, ConfigError, load_settings

BASE = {"SLACK_BOT_TOKEN": "xoxb-abc", "SLACK_SIGNING_SECRET": "secret"}


def test_defaults() -> None:
    settings = load_settings(BASE)
    assert settings.socket_mode is False
    assert settings.api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///assessbot.db"
    assert settings.port == 3000
    assert settings.timezone.key == "Europe/London"
    assert settings.bank_holidays == "ENG"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]


def test_socket_mode_wins_and_needs_no_signing_secret() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-a", "SLACK_APP_TOKEN": "xapp-b"})
    assert settings.socket_mode and settings.signing_secret is None
    both = load_settings({**BASE, "SLACK_APP_TOKEN": "xapp-b"})
    assert both.socket_mode


def test_admins_and_api_url_are_normalised() -> None:
    settings = load_settings(
        {**BASE, "ASSESSBOT_ADMINS": "U1, U2 U3", "SLACK_API_URL": "http://127.0.0.1:9/api"}
    )
    assert settings.admins == frozenset({"U1", "U2", "U3"})
    assert settings.api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"ASSESSBOT_TIMEZONE": "Europe/Atlantis"}, "ASSESSBOT_TIMEZONE"),
        ({"ASSESSBOT_BANK_HOLIDAYS": "XX"}, "ASSESSBOT_BANK_HOLIDAYS"),
        ({"ASSESSBOT_STANDARDS_DIR": "/no/such/dir"}, "ASSESSBOT_STANDARDS_DIR"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"SLACK_API_URL": "slack.com"}, "SLACK_API_URL"),
        ({"ASSESSBOT_WORKERS": "0"}, "ASSESSBOT_WORKERS"),
        ({"ASSESSBOT_WORKERS": "two"}, "ASSESSBOT_WORKERS"),
        ({"ASSESSBOT_WORKERS": "1000"}, "ASSESSBOT_WORKERS"),
        ({"SLACK_APP_TOKEN": "xapp-b", "ASSESSBOT_WORKERS": "2"}, "ASSESSBOT_WORKERS"),
    ],
)
def test_mistakes_name_the_variable(extra: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable) as caught:
        load_settings({**BASE, **extra})
    assert "\n" not in str(caught.value)


def test_secrets_stay_out_of_repr() -> None:
    text = repr(load_settings({**BASE, "SLACK_APP_TOKEN": "xapp-zzz"}))
    assert "xoxb-abc" not in text and "secret" not in text and "xapp-zzz" not in text


def test_workers_default_to_one_per_core_in_http_mode_and_one_in_socket_mode() -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    postgres = {**BASE, "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"}
    assert load_settings(postgres).workers == min(cores or 1, MAX_WORKERS)
    assert load_settings(BASE).workers == 1  # SQLite: one writer, so one process by default
    assert load_settings({**BASE, "ASSESSBOT_WORKERS": "2"}).workers == 2
    assert load_settings({**BASE, "ASSESSBOT_WORKERS": "3"}).workers == 3
    socket_mode = {**BASE, "SLACK_APP_TOKEN": "xapp-b"}
    assert load_settings(socket_mode).workers == 1
    assert load_settings({**socket_mode, "ASSESSBOT_WORKERS": "1"}).workers == 1
