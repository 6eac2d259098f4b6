"""Who people are, as far as the domain needs to know: names, timezones, admin rights, leavers.

The domain asks a `Directory`; the Slack layer answers from `users.info`. Keeping the protocol
here lets reminders, exports and permission checks be tested without Slack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from threading import Lock
from time import monotonic
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    team_id: str | None = None
    tz: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False

    @property
    def is_workspace_admin(self) -> bool:
        """Slack workspace admins and owners may manage every service."""
        return self.is_admin or self.is_owner

    def timezone(self, fallback: ZoneInfo) -> ZoneInfo:
        if not self.tz:
            return fallback
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            return fallback


class Directory(Protocol):
    def lookup(self, user_id: str) -> Person | None:
        """The person, or None when Slack does not know them (left, or never existed)."""
        ...


class StaticDirectory:
    """A directory from a fixed list (CLI without Slack, tests of the domain)."""

    def __init__(self, people: list[Person] | None = None) -> None:
        self._people = {person.id: person for person in people or []}

    def lookup(self, user_id: str) -> Person | None:
        return self._people.get(user_id)


class PeopleCache:
    """What Slack said about people, shared by every thread of the process for a while.

    Keyed by (workspace, user): one token serves one workspace, and a Slack Connect user is
    looked up as that workspace sees them. "Slack doesn't know them" (None) is cached too, so a
    leaver is not asked about on every click. Failures are never cached: the next request asks.
    """

    def __init__(self, ttl_seconds: float = 600.0, clock: Callable[[], float] = monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = Lock()
        self._entries: dict[tuple[str, str], tuple[float, Person | None]] = {}

    def get(self, team_id: str, user_id: str) -> tuple[bool, Person | None]:
        """(True, person) on a fresh hit; (False, None) when Slack must be asked."""
        with self._lock:
            entry = self._entries.get((team_id, user_id))
        if entry is None or self._clock() - entry[0] >= self._ttl:
            return False, None
        return True, entry[1]

    def put(self, team_id: str, user_id: str, person: Person | None) -> None:
        with self._lock:
            self._entries[(team_id, user_id)] = (self._clock(), person)

    def missing(self, team_id: str, user_ids: Iterable[str]) -> list[str]:
        """The ids without a fresh entry (to decide whether paging users.list is cheaper)."""
        return [user_id for user_id in user_ids if not self.get(team_id, user_id)[0]]
