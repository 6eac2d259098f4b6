"""A report's outcome readings and the standard's credit line, as frozen values for rendering.

The report shows, for each live measure of the service, what the measure said last and how
that compares with its target and with the period before: the same words `/assess measures`,
status and the summary use, because they come from the same functions in `bot.core.outcomes`
(nothing here re-decides what "on target" or a trend is). It also carries the "met on paper,
off target in practice" flag per point, from `met_on_paper_off_target`, so the report says in
words what the leadership summary says.

Reading notes may hold personal details, like evidence notes, so they are kept only when the
report includes evidence; the figures themselves are fine to publish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.outcome_values import UNIT_WORDS, show
from bot.core.outcomes import (
    met_on_paper_off_target,
    missed_last_two,
    on_target,
    target_words,
    trend,
)
from standards.model import Standard
from storage.values import MeasureView


@dataclass(frozen=True)
class OutcomeReading:
    """One live measure of the service, as the report shows it (all plain text, unescaped)."""

    measure: str
    unit: str  # "%", "£", "days", "number", "score"
    latest_period: str  # "" when nothing has been recorded yet
    latest_value: str  # the figure in its unit ("72%"), "" with no reading
    target: str  # "target at least 80%" or "no target"
    verdict: str  # "✓ on target (at least 80%)", "✗ off target (…)", "no target", "no reading"
    on_target: bool | None  # None: no target or no reading
    trend: str  # "▼ down 3 points since September 2026, worse"; "" with fewer than 2 readings
    points: tuple[int, ...]  # this report's standard's points it is evidence for
    missed_last_two: bool  # off target in each of its last two readings
    flagged_points: tuple[int, ...]  # of `points`, those rated met: "met on paper" flags
    history: tuple[tuple[str, str, Decimal], ...] = ()  # (period, figure, value), oldest first
    note: str = ""  # the latest reading's note; "" when evidence is left out

    @property
    def latest_words(self) -> str:
        if not self.latest_value:
            return "no reading yet"
        return f"{self.latest_value} for {self.latest_period}"


def outcome_readings(
    measures: Sequence[MeasureView],
    *,
    standard_id: str,
    met_points: Iterable[int],
    with_evidence: bool,
) -> tuple[OutcomeReading, ...]:
    """The report's rows for these measures (retired ones are never shown), in measure order."""
    live = [measure for measure in measures if not measure.retired]
    flags = met_on_paper_off_target(0, standard_id, met_points, live)
    flagged: dict[int, list[int]] = {}
    for flag in flags:
        flagged.setdefault(flag.measure.id, []).append(flag.point_number)
    return tuple(_reading(measure, standard_id, flagged, with_evidence) for measure in live)


def _reading(
    measure: MeasureView, standard_id: str, flagged: dict[int, list[int]], with_evidence: bool
) -> OutcomeReading:
    latest = measure.latest
    moved = trend(measure)
    hit = None if latest is None else on_target(latest.value, measure.target, measure.better_when)
    verdict = "no reading yet" if latest is None else target_words(measure, latest.value)
    return OutcomeReading(
        measure=measure.name,
        unit=UNIT_WORDS.get(measure.unit, measure.unit),
        latest_period="" if latest is None else latest.period.label(),
        latest_value="" if latest is None else show(latest.value, measure.unit),
        target=target_words(measure),
        verdict=verdict,
        on_target=hit,
        trend="" if moved is None else moved.words(measure.unit),
        points=tuple(
            sorted({number for standard, number in measure.points if standard == standard_id})
        ),
        missed_last_two=missed_last_two(measure),
        flagged_points=tuple(sorted(flagged.get(measure.id, ()))),
        history=tuple(
            (reading.period.label(), show(reading.value, measure.unit), reading.value)
            for reading in measure.readings
        ),
        note=latest.note.strip() if latest is not None and with_evidence else "",
    )


@dataclass(frozen=True)
class StandardCredit:
    """Who publishes a standard and under what licence (#18), for report and page footers."""

    standard_id: str
    attribution: str  # the standard's own statement, or "Title, Publisher."
    source: str
    licence: str
    licence_url: str

    @property
    def line(self) -> str:
        """The plain-text line (`Standard.attribution_line`'s wording)."""
        licence = self.licence_url or self.licence
        return f"{self.attribution} Source: {self.source} Licence: {licence}"


def credits_of(standards: Iterable[Standard]) -> dict[str, StandardCredit]:
    """Each standard's credit by id (from the catalogue the caller already has)."""
    return {
        standard.id: StandardCredit(
            standard_id=standard.id,
            attribution=standard.attribution or f"{standard.title}, {standard.publisher}.",
            source=standard.source,
            licence=standard.licence,
            licence_url=standard.licence_url,
        )
        for standard in standards
    }


def credit_for(
    credits: Mapping[str, StandardCredit] | None, standard_id: str
) -> StandardCredit | None:
    return None if credits is None else credits.get(standard_id)
