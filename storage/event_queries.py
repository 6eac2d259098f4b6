"""Remembering which Slack event deliveries were handled."""

from __future__ import annotations

from datetime import datetime

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
