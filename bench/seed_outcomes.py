"""Seeding outcome measures for the portfolio benchmark: bulk inserts with explicit ids.

Each service gets MEASURES measures (a percentage, a number of days, a score; monthly, each
linked to an LGDSS point) with READINGS monthly readings ending last month; every third
service is relational. Values drift so that some measures are on target, some off, some
missed twice running (the summary's "met on paper, off target in practice").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, update

from bench.common import analyze, reset_sequences
from bench.seed import _insert
from bot.core.periods import MONTHLY, last_completed, previous_period
from storage.models import Measure, MeasurePoint, Reading, Service

MEASURES = 3
READINGS = 8
KINDS = (  # name, unit, better_when, target, point, base value
    ("Residents who say the service met their need", "percent", "higher", "80", 1, 70),
    ("Days from request to resolution", "days", "lower", "10", 13, 12),
    ("Social care-related quality of life score", "score", "higher", "19", 3, 18),
)


def seed_outcomes(engine: Engine, services: int, *, today: date, team_id: str) -> dict[str, int]:
    created = datetime.combine(date(today.year - 2, 1, 1), time(9), tzinfo=UTC)
    periods = [last_completed(today, MONTHLY)]
    while len(periods) < READINGS:
        periods.append(previous_period(periods[-1], MONTHLY))
    periods.reverse()
    with engine.begin() as connection:
        connection.execute(
            update(Service).where(Service.id % 3 == 0).values(service_type="relational")
        )
        measures = _insert(connection, Measure, _measures(services, team_id, created))
        _insert(connection, MeasurePoint, _points(services))
        readings = _insert(connection, Reading, _readings(services, team_id, periods, created))
    reset_sequences(engine, ["measures", "readings"])
    analyze(engine)
    return {"measures": measures, "readings": readings}


def _measure_id(service: int, k: int) -> int:
    return (service - 1) * MEASURES + k + 1


def _measures(services: int, team_id: str, created: datetime) -> Iterator[dict[str, Any]]:
    for n in range(1, services + 1):
        for k, (name, unit, better, target, _point, _base) in enumerate(KINDS[:MEASURES]):
            yield {
                "id": _measure_id(n, k),
                "team_id": team_id,
                "service_id": n,
                "template_id": None,
                "name": name,
                "counts": "",
                "unit": unit,
                "better_when": better,
                "target": target,
                "frequency": MONTHLY,
                "source": "Benchmark",
                "created_by": "UBENCHADMIN",
                "created_at": created,
                "updated_at": created,
                "retired_at": None,
                "retired_by": None,
            }


def _points(services: int) -> Iterator[dict[str, Any]]:
    for n in range(1, services + 1):
        for k, kind in enumerate(KINDS[:MEASURES]):
            yield {"measure_id": _measure_id(n, k), "standard_id": "lgdss", "point_number": kind[4]}


def _readings(
    services: int, team_id: str, periods: list[Any], created: datetime
) -> Iterator[dict[str, Any]]:
    reading_id = 0
    for n in range(1, services + 1):
        for k, kind in enumerate(KINDS[:MEASURES]):
            for index, period in enumerate(periods):
                reading_id += 1
                value = kind[5] + (n * 7 + index * (k + 2)) % 17 - 4
                yield {
                    "id": reading_id,
                    "team_id": team_id,
                    "measure_id": _measure_id(n, k),
                    "period_start": period.start,
                    "period_end": period.end,
                    "value": str(max(0, min(100, value))),
                    "note": "",
                    "recorded_by": "UBENCHADMIN",
                    "recorded_at": datetime.combine(period.end, time(12), tzinfo=UTC),
                }
