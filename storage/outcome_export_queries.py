"""The rows of the outcomes export: one per reading, corrections and retired measures included.

Read with one streamed statement; `is_latest` is decided by the database (the reading is the
newest row of its measure and period), so the file is written as the rows arrive.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Measure, Reading, Service


class ReadingRow(NamedTuple):
    service: str
    service_id: int
    team_id: str
    service_type: str
    measure: str
    unit: str
    better_when: str
    target: str | None
    period_start: date
    period_end: date
    value: str
    note: str
    source: str
    recorded_by: str
    recorded_at: datetime
    is_latest: bool


def _statement(team_id: str, service_ids: Sequence[int]) -> Any:  # a 16-column Select
    newest = (
        select(func.max(Reading.id).label("id"))
        .group_by(Reading.measure_id, Reading.period_start)
        .subquery()
    )
    statement = (
        select(
            Service.name,
            Service.id,
            Service.team_id,
            Service.service_type,
            Measure.name,
            Measure.unit,
            Measure.better_when,
            Measure.target,
            Reading.period_start,
            Reading.period_end,
            Reading.value,
            Reading.note,
            Measure.source,
            Reading.recorded_by,
            Reading.recorded_at,
            newest.c.id.is_not(None),
        )
        .join(Measure, Measure.id == Reading.measure_id)
        .join(Service, Service.id == Measure.service_id)
        .outerjoin(newest, newest.c.id == Reading.id)
        .where(Service.team_id == team_id, Service.id.in_(list(service_ids)))
        .order_by(Service.name_key, Service.id, Measure.id, Reading.period_start, Reading.id)
    )
    return statement


def reading_rows(
    *, session: Session, team_id: str, service_ids: Sequence[int], yield_per: int = 1000
) -> Iterator[ReadingRow]:
    if not service_ids:
        return
    result = session.execute(
        _statement(team_id, service_ids), execution_options={"yield_per": yield_per}
    )
    for row in result:
        yield ReadingRow(*row)


def recorder_ids(*, session: Session, team_id: str, service_ids: Sequence[int]) -> list[str]:
    """Everyone the export will name, to look them up before the streaming read opens."""
    if not service_ids:
        return []
    return list(
        session.scalars(
            select(Reading.recorded_by)
            .join(Measure, Measure.id == Reading.measure_id)
            .where(Reading.team_id == team_id, Measure.service_id.in_(list(service_ids)))
            .distinct()
        )
    )
