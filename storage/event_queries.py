"""Remembering which Slack event deliveries were handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.claims import insert_once
from storage.models import ProcessedEvent


def first_delivery(event_id: str, *, team_id: str, now: datetime, session: Session) -> bool:
    """True the first time an event id is seen; every redelivery gets False."""
    return (
        insert_once(
            ProcessedEvent,
            {"event_id": event_id, "team_id": team_id, "received_at": now},
            conflict_columns=["event_id"],
            returning=ProcessedEvent.event_id,
            session=session,
        )
        is not None
    )


def forget_events_before(cutoff: datetime, *, session: Session) -> int:
    """Delete event ids received before `cutoff`; how many went.

    Slack stops redelivering an event after about five minutes, so a day's worth is plenty to
    recognise a retry, and the table stays small however long the bot runs.
    """
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
