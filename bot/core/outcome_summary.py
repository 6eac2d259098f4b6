"""The leadership summary's Outcomes section: what the readings say across the portfolio.

- measures on and off target (latest reading against target);
- the biggest movers since the last summary (readings recorded since then, largest relative
  change from the period before);
- readings overdue (the last completed period unrecorded 5 working days after it ended);
- relational services with no outcome measure;
- "met on paper, off target in practice": the latest assessment rates a point met while a
  measure linked to it missed its target in each of its last two readings.

`build_outcomes` is pure; `attach_outcomes` loads what it needs in a fixed number of statements
(service types, measures, points, readings, the last summary's time) and adds the section.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.outcomes import (
    Trend,
    met_on_paper_off_target,
    missed_last_two,
    on_target,
    overdue_period,
    trend_between,
)
from bot.core.periods import local_today
from bot.core.summary import MET, Summary
from storage.outcome_queries import (
    last_summary_sent_at,
    load_portfolio_outcomes,
    reading_histories,
)
from storage.values import MeasureView, Period, ServiceRecord

MOVERS = 5
CHARTS = 6
LISTED = 10
RECENT_PERIODS = 2  # what the figures need: the latest reading and the one before it
SUMMARY_PERIODS = 8  # the charted measures' history


@dataclass(frozen=True)
class Standing:
    service_id: int
    service: str
    measure: MeasureView


@dataclass(frozen=True)
class Mover:
    service: str
    measure: MeasureView
    trend: Trend


@dataclass(frozen=True)
class Overdue:
    service: str
    measure: MeasureView
    period: Period


@dataclass(frozen=True)
class PaperFlag:
    service: str
    point_number: int
    point_title: str
    measure: MeasureView


@dataclass(frozen=True)
class OutcomesSection:
    """Counts, and only the few items each part lists: at 5,000 services the section once
    held a Standing per measure (15,000, each keeping its measure and readings alive) to be
    counted and shown ten of."""

    measures: int
    on_target: int
    off_target: int
    off_target_shown: tuple[Standing, ...]  # the first LISTED, in the portfolio's order
    no_target: int
    no_reading: int
    movers: tuple[Mover, ...]
    overdue: tuple[Overdue, ...]
    relational_without: tuple[str, ...]
    paper_flags: tuple[PaperFlag, ...]
    charts: tuple[Standing, ...]


def build_outcomes(
    records: Sequence[ServiceRecord],
    service_types: Mapping[int, str],
    measures: Mapping[int, Sequence[MeasureView]],
    *,
    today: date,
    subdivision: str,
    since: datetime | None,
    created_on: Mapping[int, date] | None = None,
) -> OutcomesSection:
    off: list[Standing] = []
    on = no_target = no_reading = 0
    movers: list[Mover] = []
    overdue: list[Overdue] = []
    flags: list[PaperFlag] = []
    relational_without: list[str] = []
    for record in records:
        live = [m for m in measures.get(record.id, ()) if not m.retired]
        if service_types.get(record.id) == "relational" and not live:
            relational_without.append(record.name)
        for measure in live:
            latest = measure.latest
            if latest is None:
                no_reading += 1
            elif measure.target is None:
                no_target += 1
            elif on_target(latest.value, measure.target, measure.better_when):
                on += 1
            else:
                off.append(Standing(record.id, record.name, measure))
            moved = _moved_since(measure, since)
            if moved is not None:
                movers.append(Mover(record.name, measure, moved))
            made = (created_on or {}).get(measure.id, measure.created_at.date())
            period = overdue_period(measure, today, subdivision, made)
            if period is not None:
                overdue.append(Overdue(record.name, measure, period))
        flags.extend(_paper_flags(record, live))
    # Only the biggest, not all of them sorted (15,000 at 5,000 services): the section shows
    # MOVERS, and the charts never reach past the CHARTS-th (a mover that is also flagged
    # takes a chart the flags already hold, so each chart needs at most one more mover).
    movers = heapq.nsmallest(
        max(MOVERS, CHARTS),
        movers,
        key=lambda m: (-_relative(m), m.service.casefold(), m.measure.id),
    )
    charted = _chart_choice(flags, movers, off)
    return OutcomesSection(
        measures=on + len(off) + no_target + no_reading,
        on_target=on,
        off_target=len(off),
        off_target_shown=tuple(off[:LISTED]),
        no_target=no_target,
        no_reading=no_reading,
        movers=tuple(movers[:MOVERS]),
        overdue=tuple(overdue),
        relational_without=tuple(relational_without),
        paper_flags=tuple(flags),
        charts=charted,
    )


def _moved_since(measure: MeasureView, since: datetime | None) -> Trend | None:
    latest, previous = measure.latest, measure.previous
    if latest is None or previous is None:
        return None
    if since is not None and latest.recorded_at <= since:
        return None
    moved = trend_between(previous.value, latest.value, measure.better_when, previous.period)
    return moved if moved.change != 0 else None


def _relative(mover: Mover) -> Decimal:
    previous = mover.measure.previous
    base = abs(previous.value) if previous is not None and previous.value != 0 else Decimal(1)
    return abs(mover.trend.change) / base


def _paper_flags(record: ServiceRecord, live: Sequence[MeasureView]) -> list[PaperFlag]:
    latest = record.latest
    if latest is None or not any(missed_last_two(m) for m in live):
        return []  # the cheap half first: most services have no measure missing twice
    met = [number for number, answer in latest.answers.items() if answer.rating == MET]
    titles = dict(latest.points)
    return [
        PaperFlag(record.name, flag.point_number, titles.get(flag.point_number, ""), flag.measure)
        for flag in met_on_paper_off_target(record.id, latest.standard_id, met, live)
    ]


def _chart_choice(
    flags: Sequence[PaperFlag], movers: Sequence[Mover], off: Sequence[Standing]
) -> tuple[Standing, ...]:
    """Which measures get a small chart: flagged first, then movers, then off target."""
    chosen: dict[int, Standing] = {}
    candidates = itertools.chain(
        ((f.service, f.measure) for f in flags),
        ((m.service, m.measure) for m in movers),
        ((s.service, s.measure) for s in off),
    )
    for service, measure in candidates:
        if len(chosen) >= CHARTS:
            break
        if len(measure.readings) >= 2 and measure.id not in chosen:
            chosen[measure.id] = Standing(measure.service_id, service, measure)
    return tuple(chosen.values())


@dataclass(frozen=True)
class LoadedOutcomes:
    """The counted services' types and live measures with their latest readings."""

    types: dict[int, str]
    measures: dict[int, list[MeasureView]]


def load_outcomes(*, session: Session, team_id: str, phases: Sequence[str]) -> LoadedOutcomes:
    """What the Outcomes section is computed from: four statements at any size. It reads
    nothing the rest of the summary reads, so a caller may run it on a session of its own."""
    types, measures = load_portfolio_outcomes(
        session=session, team_id=team_id, phases=phases, last_periods=RECENT_PERIODS
    )
    return LoadedOutcomes(types, measures)


def attach_outcomes(
    summary: Summary,
    records: Sequence[ServiceRecord],
    *,
    session: Session,
    phases: Sequence[str],
    subdivision: str,
    tz: ZoneInfo,
    channel_id: str | None,
    before: datetime | None = None,
    loaded: LoadedOutcomes | None = None,
) -> Summary:
    """The summary with its Outcomes section, loaded in a fixed number of statements (or
    taken from `loaded`, read already)."""
    if loaded is None:
        loaded = load_outcomes(session=session, team_id=summary.team_id, phases=phases)
    types, measures = loaded.types, loaded.measures
    since = last_summary_sent_at(
        session=session, team_id=summary.team_id, channel_id=channel_id, before=before
    )
    created = {m.id: local_today(m.created_at, tz) for views in measures.values() for m in views}
    section = build_outcomes(
        records,
        types,
        measures,
        today=summary.today,
        subdivision=subdivision,
        since=since,
        created_on=created,
    )
    # The few charted measures get their longer history: one more statement at any size.
    histories = reading_histories(
        session=session,
        measure_ids=[item.measure.id for item in section.charts],
        last_periods=SUMMARY_PERIODS,
    )
    charts = tuple(
        replace(item, measure=replace(item.measure, readings=histories[item.measure.id]))
        if item.measure.id in histories
        else item
        for item in section.charts
    )
    return replace(summary, outcomes=replace(section, charts=charts))
