"""What the reminder tick reads for reading-due nudges, in a fixed number of statements.

Services with at least one live measure (as the same `ServiceDue` snapshots the reassessment
planner uses: services, owners, assessments in progress) and their measures with each one's
newest few readings (measures, points, readings): six statements whatever the portfolio size.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Measure, Service
from storage.outcome_queries import load_measures
from storage.reminder_queries import _snapshots
from storage.values import ReadingsOwed

RECENT_PERIODS = 2  # the latest reading and the one before: enough to see the due one


def load_reading_candidates(*, session: Session, tz: ZoneInfo) -> list[ReadingsOwed]:
    live = select(Measure.service_id).where(Measure.retired_at.is_(None))
    snapshots = _snapshots(session, Service.archived_at.is_(None), Service.id.in_(live))
    measures = load_measures(
        session=session, where=[Service.archived_at.is_(None)], last_periods=RECENT_PERIODS
    )
    return [
        ReadingsOwed(
            service=snapshot,
            measures=tuple(measures.get(snapshot.id, ())),
            created_on={m.id: m.created_at.astimezone(tz).date() for m in measures[snapshot.id]},
        )
        for snapshot in snapshots
        if measures.get(snapshot.id)
    ]
