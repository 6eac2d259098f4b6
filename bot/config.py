"""Settings, read once from the environment into a frozen object and passed to whoever needs them.

A configuration mistake is the most common way a first deployment fails, so every problem
becomes one clear line that names the variable and says what to do, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///assessbot.db"
DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_BANK_HOLIDAYS = "ENG"  # England and Wales share their bank holidays
DEFAULT_TICK_MINUTES = 5
MAX_WORKERS = 64


class ConfigError(Exception):
    """A setting is missing or wrong; the message is the one line shown to the operator."""


@dataclass(frozen=True)
class Settings:
    bot_token: str
    app_token: str | None
    signing_secret: str | None
    api_url: str
    database_url: str
    port: int
    timezone: ZoneInfo
    admins: frozenset[str]
    standards_dir: Path | None
    bank_holidays: str
    tick_minutes: int
    workers: int = 1  # HTTP mode's worker processes; Socket Mode is always one process

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def __repr__(self) -> str:
        # Never let a token or secret reach a log line through repr().
        return (
            f"Settings(socket_mode={self.socket_mode}, api_url={self.api_url!r}, "
            f"port={self.port}, workers={self.workers}, timezone={self.timezone.key!r}, "
            f"admins={sorted(self.admins)})"
        )


@dataclass(frozen=True)
class StorageSettings:
    """What commands that only touch the database need (no Slack tokens)."""

    database_url: str
    standards_dir: Path | None
    timezone: ZoneInfo
    bank_holidays: str = DEFAULT_BANK_HOLIDAYS  # readings are due in working days (#13)


def load_storage_settings(env: Mapping[str, str] | None = None) -> StorageSettings:
    env = os.environ if env is None else env
    return StorageSettings(
        database_url=_database_url(env),
        standards_dir=_standards_dir(env),
        timezone=_timezone(env),
        bank_holidays=_bank_holidays(env),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Everything `assessbot run` needs; raises ConfigError with one line on the first mistake."""
    env = os.environ if env is None else env
    storage = load_storage_settings(env)
    bot_token = _get(env, "SLACK_BOT_TOKEN")
    if bot_token is None:
        raise ConfigError(
            "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (starts xoxb-, "
            "from OAuth & Permissions in your Slack app's settings)"
        )
    if not bot_token.startswith("xoxb-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN must be a bot token starting xoxb- (OAuth & Permissions → "
            "Bot User OAuth Token), not a user or app token"
        )
    app_token = _get(env, "SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting xapp- with the "
            "connections:write scope (Basic Information → App-Level Tokens)"
        )
    signing_secret = _get(env, "SLACK_SIGNING_SECRET")
    if app_token is None and signing_secret is None:
        raise ConfigError(
            "set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN for Socket Mode"
        )
    return Settings(
        bot_token=bot_token,
        app_token=app_token,
        signing_secret=signing_secret,
        api_url=_api_url(env),
        database_url=storage.database_url,
        port=_int(env, "PORT", 3000, lowest=1, highest=65535),
        timezone=storage.timezone,
        admins=frozenset((_get(env, "ASSESSBOT_ADMINS") or "").replace(",", " ").split()),
        standards_dir=storage.standards_dir,
        bank_holidays=_bank_holidays(env),
        tick_minutes=_int(env, "ASSESSBOT_TICK_MINUTES", DEFAULT_TICK_MINUTES, 1, 60),
        workers=_workers(
            env, socket_mode=app_token is not None, sqlite=storage.database_url.startswith("sqlite")
        ),
    )


def _get(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


def _api_url(env: Mapping[str, str]) -> str:
    url = _get(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL) or DEFAULT_SLACK_API_URL
    if not url.startswith(("http://", "https://")):
        raise ConfigError("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/")
    return url if url.endswith("/") else url + "/"


def _database_url(env: Mapping[str, str]) -> str:
    url = _get(env, "DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL
    if not url.startswith(("sqlite:", "postgresql", "postgres:")):
        raise ConfigError("DATABASE_URL must be a sqlite:///FILE or postgresql://USER@HOST/DB URL")
    return url


def _timezone(env: Mapping[str, str]) -> ZoneInfo:
    name = _get(env, "ASSESSBOT_TIMEZONE", DEFAULT_TIMEZONE) or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"ASSESSBOT_TIMEZONE={name!r} is not a known IANA timezone such as Europe/London"
        ) from None


def _standards_dir(env: Mapping[str, str]) -> Path | None:
    value = _get(env, "ASSESSBOT_STANDARDS_DIR")
    if value is None:
        return None
    path = Path(value)
    if not path.is_dir():
        raise ConfigError(f"ASSESSBOT_STANDARDS_DIR={value!r} is not a folder")
    return path


def _bank_holidays(env: Mapping[str, str]) -> str:
    value = (_get(env, "ASSESSBOT_BANK_HOLIDAYS", DEFAULT_BANK_HOLIDAYS) or "").upper()
    known = holidays.country_holidays("GB").subdivisions
    if value not in known:
        raise ConfigError(
            f"ASSESSBOT_BANK_HOLIDAYS must be one of {', '.join(sorted(known))} "
            "(ENG is England and Wales)"
        )
    return value


def default_workers() -> int:
    """One worker per core this process may run on (its CPU affinity, which `taskset` and
    cpusets narrow; a container's CPU quota is not visible here, so set ASSESSBOT_WORKERS)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _workers(env: Mapping[str, str], *, socket_mode: bool, sqlite: bool = False) -> int:
    if socket_mode:
        # One Socket Mode connection per process: several would each receive a share of the
        # events, which is what a second replica is for (see README), not a second worker.
        if _int(env, "ASSESSBOT_WORKERS", 1, 1, MAX_WORKERS) != 1:
            raise ConfigError(
                "ASSESSBOT_WORKERS is for HTTP mode; Socket Mode runs one process per replica "
                "(unset it, or start a second `assessbot run` for a second replica)"
            )
        return 1
    # SQLite has one writer for the whole file, so a second process adds no saving capacity,
    # only a second queue: under 20 clients two workers told 112 of 915 clicks "Couldn't save
    # that" against none for one (bench/RESULTS.md). One per core is for PostgreSQL.
    default = 1 if sqlite else default_workers()
    return _int(env, "ASSESSBOT_WORKERS", default, 1, MAX_WORKERS)


def _int(env: Mapping[str, str], name: str, default: int, lowest: int, highest: int) -> int:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not lowest <= value <= highest:
        raise ConfigError(f"{name} must be between {lowest} and {highest}, not {value}")
    return value
