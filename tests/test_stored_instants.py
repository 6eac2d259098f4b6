"""`as_utc`: every stored instant comes back aware and in UTC, whatever form it was read in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.types import as_utc

NOON_UTC = datetime(2026, 7, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "stored",
    [
        "2026-07-31 12:00:00.000000",  # SQLite's text, read raw
        "2026-07-31 12:00:00",
        "2026-07-31T12:00:00",
        "2026-07-31 13:00:00+01:00",  # text with its own offset
        "2026-07-31T12:00:00Z",
        datetime(2026, 7, 31, 12, 0),  # naive: UTC by how it was stored
        datetime(2026, 7, 31, 8, 0, tzinfo=timezone(timedelta(hours=-4))),
    ],
)
def test_each_form_is_the_same_instant_in_utc(stored: str | datetime) -> None:
    instant = as_utc(stored)
    assert instant == NOON_UTC
    assert instant.utcoffset() == timedelta(0)


def test_text_that_is_no_instant_is_refused() -> None:
    with pytest.raises(ValueError):
        as_utc("last Tuesday")
