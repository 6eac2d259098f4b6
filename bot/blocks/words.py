"""How ratings, people, dates and progress read in messages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from bot.blocks.kit import progress_bar
from storage.values import Rating

RATING_LABELS = {
    Rating.MET: "Met",
    Rating.PARTLY_MET: "Partly met",
    Rating.NOT_MET: "Not met",
    Rating.NOT_APPLICABLE: "Not applicable",
}
RATING_ICONS = {
    Rating.MET: ":large_green_circle:",
    Rating.PARTLY_MET: ":large_orange_circle:",
    Rating.NOT_MET: ":red_circle:",
    Rating.NOT_APPLICABLE: ":white_circle:",
}
UNANSWERED_ICON = ":black_square_button:"


_KNOWN = {rating.value for rating in Rating}


def rating_label(rating: str) -> str:
    return RATING_LABELS[Rating(rating)] if rating in _KNOWN else rating


def rating_icon(rating: str | None) -> str:
    if rating is None or rating not in _KNOWN:
        return UNANSWERED_ICON
    return RATING_ICONS[Rating(rating)]


def mention(user_id: str) -> str:
    """A user mention; ids come from Slack payloads, never from typed text."""
    return f"<@{user_id}>"


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>"


def when(moment: datetime) -> str:
    """A time Slack shows in each reader's own timezone (with a UTC fallback)."""
    fallback = moment.strftime("%d %b %Y %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def day(value: date) -> str:
    """e.g. "Tue 3 Mar 2026"; no platform-only strftime flags (%-d fails on Windows)."""
    return f"{value:%a} {value.day} {value:%b %Y}"


class Counted(Protocol):
    """How an assessment's answers rate: a live `bot.core.flow.Tally`, or the counts a list
    read from the database (`storage.overview_queries.RatingCounts`)."""

    @property
    def total(self) -> int: ...
    @property
    def answered(self) -> int: ...
    @property
    def met(self) -> int: ...
    @property
    def partly_met(self) -> int: ...
    @property
    def not_met(self) -> int: ...
    @property
    def not_applicable(self) -> int: ...


def tally_line(result: Counted) -> str:
    """e.g. "9 of 15 answered · 6 met · 2 partly · 1 not met"."""
    parts = [f"{result.answered} of {result.total} answered"]
    for count, word in (
        (result.met, "met"),
        (result.partly_met, "partly"),
        (result.not_met, "not met"),
        (result.not_applicable, "n/a"),
    ):
        if count:
            parts.append(f"{count} {word}")
    return " · ".join(parts)


def progress(result: Counted) -> str:
    return f"{progress_bar(result.answered, result.total)} {result.answered}/{result.total}"
