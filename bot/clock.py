"""The one place the app asks what time it is.

Everything that depends on "now" takes a `Clock`, so tests can move time, and times are always
timezone-aware UTC; local time is only for showing people.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)
