"""Outcome measures and their readings: saving them, and loading them in a fixed number of queries.

Readings are append-only. A correction is a new row for the same period, and the newest row
(highest id) of a period wins everywhere (`_readings`; `bot.core.outcomes.winners` for
readings already in memory). Loading many services' measures costs three
statements (measures, their points, their readings) however many services there are, so the
summary at 5,000 services makes the same round trips as at five. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    and_,
    bindparam,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from storage.models import ClaimStatus, Measure, MeasurePoint, Reading, Service, SummaryPost
from storage.reads import read_rows
from storage.summary_queries import _counted_services
from storage.types import as_utc
from storage.values import MeasureView, Period, ReadingView, from_text, to_text


@dataclass(frozen=True)
class MeasureFields:
    """What the Add/Edit measure modal saves, already validated."""

    name: str
    counts: str
    unit: str
    better_when: str
    target: Decimal | None
    frequency: str
    source: str
    points: tuple[tuple[str, int], ...]
    template_id: str | None = None


def add_measure(
    *, session: Session, service: Service, fields: MeasureFields, user_id: str, now: datetime
) -> Measure:
    measure = Measure(
        team_id=service.team_id,
        service_id=service.id,
        template_id=fields.template_id,
        created_by=user_id,
        created_at=now,
    )
    _apply(measure, fields, now)
    session.add(measure)
    session.flush()
    return measure


def update_measure(
    *, session: Session, measure: Measure, fields: MeasureFields, now: datetime
) -> None:
    """Edit in place: readings keep their values; the target and links are the measure's now."""
    _apply(measure, fields, now)
    session.flush()


def _apply(measure: Measure, fields: MeasureFields, now: datetime) -> None:
    measure.name = fields.name
    measure.counts = fields.counts
    measure.unit = fields.unit
    measure.better_when = fields.better_when
    measure.target = None if fields.target is None else to_text(fields.target)
    measure.frequency = fields.frequency
    measure.source = fields.source
    measure.updated_at = now
    wanted = list(dict.fromkeys(fields.points))
    kept = [p for p in measure.points if (p.standard_id, p.point_number) in wanted]
    have = {(p.standard_id, p.point_number) for p in kept}
    measure.points = kept + [
        MeasurePoint(standard_id=standard_id, point_number=number)
        for standard_id, number in wanted
        if (standard_id, number) not in have
    ]


def retire_measure(*, session: Session, measure: Measure, user_id: str, now: datetime) -> None:
    """Stop asking for readings; the measure and its history stay for exports."""
    measure.retired_at = now
    measure.retired_by = user_id
    measure.updated_at = now
    session.flush()


def find_measure(*, session: Session, measure_id: int, team_id: str) -> Measure | None:
    """The measure, only if it belongs to `team_id` (button values can be forged)."""
    return session.scalars(
        select(Measure).where(Measure.id == measure_id, Measure.team_id == team_id)
    ).one_or_none()


def add_reading(
    *,
    session: Session,
    measure: Measure,
    period: Period,
    value: Decimal,
    note: str,
    user_id: str,
    now: datetime,
) -> Reading:
    reading = Reading(
        team_id=measure.team_id,
        measure_id=measure.id,
        period_start=period.start,
        period_end=period.end,
        value=to_text(value),
        note=note,
        recorded_by=user_id,
        recorded_at=now,
    )
    session.add(reading)
    session.flush()
    return reading


# --- loading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _MeasureStatements:
    """The three statements `load_measures` runs: measures, their points, their readings."""

    measures: Select[*tuple[Any, ...]]
    points: Select[*tuple[Any, ...]]
    readings: Select[*tuple[Any, ...]]


def load_measures(
    *,
    session: Session,
    where: Sequence[ColumnElement[bool]],
    include_retired: bool = False,
    last_periods: int | None = None,
) -> dict[int, list[MeasureView]]:
    """Measures of the services matching `where`, by service id, each with its winning readings.

    Three statements at any size, reading plain columns (no ORM objects: a portfolio has tens of
    thousands of readings). `last_periods` keeps only each measure's newest periods: lists,
    nudges and the summary need the latest two or three, not years of history.
    """
    return _load(session, _statements(where, include_retired, last_periods), {})


def _statements(
    where: Sequence[ColumnElement[bool]], include_retired: bool, last_periods: int | None
) -> _MeasureStatements:
    conditions = [*where]
    if not include_retired:
        conditions.append(Measure.retired_at.is_(None))
    measure_ids = (
        select(Measure.id).join(Service, Service.id == Measure.service_id).where(*conditions)
    )
    measures = (
        select(
            Measure.id,
            Measure.service_id,
            Measure.name,
            Measure.counts,
            Measure.unit,
            Measure.better_when,
            Measure.target,
            Measure.frequency,
            Measure.source,
            Measure.template_id,
            type_coerce(Measure.created_at, String).label("created_at"),
            Measure.retired_at,
        )
        .join(Service, Service.id == Measure.service_id)
        .where(*conditions)
        .order_by(Measure.service_id, Measure.id)
    )
    points = (
        select(MeasurePoint.measure_id, MeasurePoint.standard_id, MeasurePoint.point_number)
        .where(MeasurePoint.measure_id.in_(measure_ids))
        .order_by(MeasurePoint.measure_id, MeasurePoint.standard_id, MeasurePoint.point_number)
    )
    return _MeasureStatements(measures, points, _readings_statement(measure_ids, last_periods))


@cache
def _one_service(include_retired: bool) -> _MeasureStatements:
    """One service's statements, built once with its id bound: `/assess status` and every
    click's thread read them, and building the three selects (the readings' one a CTE with
    a correlated subquery) and deriving their cache keys cost more than running them."""
    return _statements([Service.id == bindparam("service_id")], include_retired, None)


def _load(
    session: Session, statements: _MeasureStatements, params: dict[str, Any]
) -> dict[int, list[MeasureView]]:
    rows = read_rows(session, statements.measures, params)
    points: dict[int, list[tuple[str, int]]] = {}
    for measure_id, standard_id, number in read_rows(session, statements.points, params):
        points.setdefault(measure_id, []).append((standard_id, number))
    readings = _winning_readings(read_rows(session, statements.readings, params))
    result: dict[int, list[MeasureView]] = {}
    # Unpacked as tuples: reading twelve fields of 15,000 rows by name cost more than building
    # the views from them.
    for (
        measure_id,
        service_id,
        name,
        counts,
        unit,
        better_when,
        target,
        frequency,
        source,
        template_id,
        created_at,
        retired_at,
    ) in rows:
        result.setdefault(service_id, []).append(
            MeasureView(
                id=measure_id,
                service_id=service_id,
                name=name,
                counts=counts,
                unit=unit,
                better_when=better_when,
                target=None if target is None else from_text(target),
                frequency=frequency,
                source=source,
                template_id=template_id,
                created_at=_instant(created_at),
                points=tuple(points.get(measure_id, ())),
                retired=retired_at is not None,
                readings=tuple(readings.get(measure_id, ())),
            )
        )
    return result


def _readings_statement(
    measure_ids: Select[int], last_periods: int | None
) -> Select[*tuple[Any, ...]]:
    """Each measure's readings, ordered by measure, period and id, for `_winning_readings`.

    The winner of a period is its newest row (highest id): corrections are rare, and asking
    the database for winners (an anti-join, "no newer row for the period") made PostgreSQL
    hash every reading of the workspace twice, half of the summary's outcome load. With
    `last_periods`, each measure's cut-off (its n-th newest period) is looked up first, once
    per measure, so only the readings after it are read: ranking every reading to keep two per
    measure was most of the summary's outcomes load. The cut-offs are MATERIALIZED so SQLite
    cannot fold them into a lookup per reading.
    """
    statement = select(
        Reading.id,
        Reading.measure_id,
        # Dates and instants come back raw (ISO text on SQLite, date and datetime objects on
        # PostgreSQL) rather than through SQLAlchemy's per-value processing, which was half
        # of the time to read 30,000 readings; periods repeat, so each is built once.
        type_coerce(Reading.period_start, String),
        type_coerce(Reading.period_end, String),
        Reading.value,
        Reading.note,
        Reading.recorded_by,
        type_coerce(Reading.recorded_at, String),
    )
    if last_periods is None:
        statement = statement.where(Reading.measure_id.in_(measure_ids))
    else:
        older = aliased(Reading)
        nth_newest = (
            select(older.period_start)
            .where(older.measure_id == Measure.id)
            .distinct()
            .order_by(older.period_start.desc())
            .limit(1)
            .offset(last_periods - 1)
            .scalar_subquery()
        )
        cutoffs = (
            select(
                Measure.id.label("measure_id"), func.coalesce(nth_newest, date.min).label("start")
            )
            .where(Measure.id.in_(measure_ids))
            .cte("cutoffs")
            .prefix_with("MATERIALIZED")
        )
        statement = statement.select_from(cutoffs).join(
            Reading,
            and_(
                Reading.measure_id == cutoffs.c.measure_id, Reading.period_start >= cutoffs.c.start
            ),
        )
    return statement.order_by(Reading.measure_id, Reading.period_start, Reading.id)


def _winning_readings(rows: Sequence[Row[*tuple[Any, ...]]]) -> dict[int, list[ReadingView]]:
    """Each measure's winning reading per period, oldest period first: the last row of each
    period, kept as the rows stream past in order."""
    periods: dict[tuple[object, object], Period] = {}
    readings: dict[int, list[ReadingView]] = {}
    last: tuple[object, object] | None = None  # (measure, period start) of the row before
    for rid, measure_id, start, end, value, note, by, at in rows:
        period = periods.get((start, end))
        if period is None:
            period = periods[(start, end)] = Period(_day(start), _day(end))
        reading = ReadingView(rid, measure_id, period, Decimal(value), note, by, _instant(at))
        of_measure = readings.setdefault(measure_id, [])
        if last == (measure_id, start):
            of_measure[-1] = reading  # a correction: the newer row of the period wins
        else:
            of_measure.append(reading)
        last = (measure_id, start)
    return readings


def _day(raw: object) -> date:
    return raw if isinstance(raw, date) else date.fromisoformat(str(raw))


def _instant(raw: object) -> datetime:
    """What `UTCDateTime` gives back, from the raw value: an aware datetime in UTC."""
    return as_utc(raw if isinstance(raw, datetime) else str(raw))


def reading_histories(
    *, session: Session, measure_ids: Collection[int], last_periods: int
) -> dict[int, tuple[ReadingView, ...]]:
    """A few measures' longer histories (the summary's charts), in one statement."""
    if not measure_ids:
        return {}
    ids = select(Measure.id).where(Measure.id.in_(set(measure_ids)))
    rows = read_rows(session, _readings_statement(ids, last_periods))
    return {k: tuple(v) for k, v in _winning_readings(rows).items()}


def measures_for_service(
    *, session: Session, service_id: int, include_retired: bool = False
) -> list[MeasureView]:
    found = _load(session, _one_service(include_retired), {"service_id": service_id})
    return found.get(service_id, [])


def measures_in_workspace(
    *, session: Session, team_id: str, service_ids: Collection[int] | None = None
) -> dict[int, list[MeasureView]]:
    """Every live service's live measures, or only these services' (Home shows measures on
    at most 80 rows: at 5,000 services reading them all took seconds)."""
    where = [Service.team_id == team_id, Service.archived_at.is_(None)]
    if service_ids is not None:
        where.append(Service.id.in_(set(service_ids)))
    return load_measures(
        session=session,
        where=where,
        last_periods=2,  # the latest reading and the one its trend is against
    )


def last_summary_sent_at(
    *, session: Session, team_id: str, channel_id: str | None, before: datetime | None
) -> datetime | None:
    """When the previous scheduled summary went to the channel: "movers since" start there."""
    statement = select(func.max(SummaryPost.sent_at)).where(
        SummaryPost.team_id == team_id,
        SummaryPost.status == ClaimStatus.SENT,
        SummaryPost.scheduled_for.is_not(None),
    )
    if channel_id is not None:
        statement = statement.where(SummaryPost.channel_id == channel_id)
    if before is not None:
        statement = statement.where(SummaryPost.scheduled_for < before)
    return session.scalar(statement)


def load_portfolio_outcomes(
    *, session: Session, team_id: str, phases: Sequence[str], last_periods: int
) -> tuple[dict[int, str], dict[int, list[MeasureView]]]:
    """The summary's counted services' types and measures (four statements at any size)."""
    counted = _counted_services(team_id, phases)
    types = {
        service_id: service_type
        for service_id, service_type in read_rows(
            session, select(Service.id, Service.service_type).where(*counted)
        )
    }
    measures = load_measures(session=session, where=counted, last_periods=last_periods)
    return types, measures


# How many periods of each measure a report shows (its sparkline): a year of monthly readings.
REPORT_PERIODS = 12


def measures_of_services(
    *, session: Session, team_id: str, service_ids: Collection[int]
) -> dict[int, list[MeasureView]]:
    """The reports' live measures of these services, with their last year of readings (#16).

    The same three statements as `load_measures`, whatever the number of services.
    """
    return load_measures(
        session=session,
        where=[Service.team_id == team_id, Service.id.in_(list(service_ids))],
        last_periods=REPORT_PERIODS,
    )
