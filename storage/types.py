"""Column types shared by the models.

SQLite has no timezone-aware timestamp type, so a naive value read back from it would silently
lose its zone. `UTCDateTime` makes every stored instant UTC on the way in and aware on the way
out, on every database, and refuses naive datetimes outright so a bug cannot hide.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware datetimes only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return as_utc(value)


def as_utc(value: datetime | str) -> datetime:
    """A stored instant as an aware UTC datetime: naive values (SQLite's, or text read raw
    for speed) are UTC by how `UTCDateTime` stored them."""
    if isinstance(value, str):
        try:  # naive text, as SQLite keeps it: parsed with its zone, 7x faster than .replace()
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:  # text that carries its own offset
            value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
