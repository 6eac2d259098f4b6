"""Reading and showing the numbers of outcome measures: one parser for readings and targets.

People type figures the way they write them ("£1,234.50", "45%", "12 days"), so the parser
accepts a unit's own symbol and thousands separators, and refuses a symbol that belongs to a
different unit (a "45%" target on a measure in pounds is a mistake, not a number). Values are
`Decimal`s, kept as canonical text in the database, so what was typed is what comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

PERCENT, NUMBER, POUNDS, DAYS, SCORE = "percent", "number", "pounds", "days", "score"
UNITS: tuple[str, ...] = (PERCENT, NUMBER, POUNDS, DAYS, SCORE)
HIGHER, LOWER = "higher", "lower"
UNIT_WORDS = {PERCENT: "%", NUMBER: "number", POUNDS: "£", DAYS: "days", SCORE: "score"}
MAX_INTEGER_DIGITS = 12
MAX_DECIMAL_PLACES = 4

# Symbols that say which unit a figure is in, with the unit each belongs to.
_SYMBOLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"%|\bper ?cent\b|\bpercent\b", re.IGNORECASE), PERCENT),
    (re.compile(r"£|\bgbp\b|\bpounds?\b", re.IGNORECASE), POUNDS),
    (re.compile(r"\bdays?\b", re.IGNORECASE), DAYS),
    (re.compile(r"\bpoints?\b|\bpts\b|\bscore\b", re.IGNORECASE), SCORE),
)
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")


@dataclass(frozen=True)
class BadValue:
    """Why a typed figure was refused, in words to show inline on the field."""

    message: str


def parse_value(text: str, unit: str) -> Decimal | BadValue:
    """The figure in `text` for a measure in `unit`, or why it cannot be one.

    Accepts the unit's own symbol (`%`, `£`, `days`, `points`), spaces and thousands commas;
    refuses other units' symbols, anything that is not a number, negative figures,
    percentages above 100 and more than 12 digits or 4 decimal places.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    raw = " ".join(text.split())
    if not raw:
        return BadValue("Enter a number.")
    rest = raw
    for pattern, owner in _SYMBOLS:
        if pattern.search(rest):
            if owner != unit:
                return BadValue(
                    f"That looks like {_unit_phrase(owner)}, but this measure is in "
                    f"{_unit_phrase(unit)}. Enter the figure in {_unit_phrase(unit)}."
                )
            rest = pattern.sub("", rest)
    rest = rest.replace(" ", "")
    if not _NUMBER.match(rest):
        return BadValue(f"“{_clip(raw)}” is not a number. Enter digits only, like 42 or 3.5.")
    try:
        value = Decimal(rest.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return BadValue(f"“{_clip(raw)}” is not a number.")
    if value < 0:
        return BadValue("Enter zero or more: outcome figures can't be negative.")
    whole, _, fraction = format(value, "f").lstrip("-").partition(".")
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        return BadValue(f"That number is too big (at most {MAX_INTEGER_DIGITS} digits).")
    if len(fraction.rstrip("0")) > MAX_DECIMAL_PLACES:
        return BadValue(f"Use at most {MAX_DECIMAL_PLACES} decimal places.")
    if unit == PERCENT and value > 100:
        return BadValue("A percentage is between 0 and 100.")
    return normalise(value)


def normalise(value: Decimal) -> Decimal:
    """The same figure without trailing zeros or exponent, so equal values store identically."""
    if value == 0:
        return Decimal(0)
    text = format(value.normalize(), "f")
    return Decimal(text)


def show(value: Decimal, unit: str) -> str:
    """A figure for people: "45%", "£1,234.50", "12 days", "7.5", "1,234"."""
    if unit == POUNDS:
        if value == value.to_integral_value():
            return f"£{value:,.0f}"
        return f"£{value:,.2f}"
    body = _grouped(value)
    if unit == PERCENT:
        return f"{body}%"
    if unit == DAYS:
        return f"{body} day" if value == 1 else f"{body} days"
    return body


def show_change(change: Decimal, unit: str) -> str:
    """The size of a change, unsigned ("3 points" for percentages, "£2.50", "4 days")."""
    size = abs(change)
    if unit == PERCENT:
        body = _grouped(size)
        return f"{body} point" if size == 1 else f"{body} points"
    return show(size, unit)


def _grouped(value: Decimal) -> str:
    text = format(normalise(value), "f")
    whole, dot, fraction = text.partition(".")
    return f"{int(whole):,}" + (dot + fraction if fraction else "")


def _unit_phrase(unit: str) -> str:
    return {
        PERCENT: "a percentage",
        POUNDS: "pounds (£)",
        DAYS: "days",
        SCORE: "a score",
        NUMBER: "a plain number",
    }[unit]


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"
