"""Who people are, as far as the domain needs to know: names, timezones, admin rights, leavers.

The domain asks a `Directory`; the Slack layer answers from `users.info`. Keeping the protocol
here lets reminders, exports and permission checks be tested without Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
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
