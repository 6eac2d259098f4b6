"""Which assessments a click may still write into.

A card belongs to one assessment. Once that assessment is completed, or a newer one has
replaced it, its cards are closed: answers written through them would rewrite history. The
status view is different: it always shows the service's latest assessment and is the one place
to correct today's answer, completed or not. The check runs inside the writing transaction,
after the assessment row is locked, so a click racing the completion cannot slip through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.core.flow import FlowError
from storage.assessment_queries import latest_assessment
from storage.models import Assessment, Service
from storage.values import AssessmentStatus
from storage.views import ServiceView


class Source(StrEnum):
    """Where a write came from: a card in the thread, or the status view's point menu."""

    CARD = "card"
    STATUS = "status"


@dataclass(frozen=True)
class Closed:
    """What the person is told about the closed assessment their click belonged to."""

    assessment_id: int
    service_name: str
    started_at: datetime
    completed_at: datetime | None
    newer_started_at: datetime | None  # set when a newer assessment replaced this one
    newer_in_progress: bool
    source: Source = Source.CARD


class ClosedAssessment(FlowError):
    """A write refused because its assessment is closed to it."""

    def __init__(self, closed: Closed) -> None:
        super().__init__(f"assessment {closed.assessment_id} is closed")
        self.closed = closed


def check_open(
    assessment: Assessment,
    service: Service | ServiceView,
    *,
    source: Source,
    session: Session,
    latest_id: int | None = None,
) -> None:
    """Raise ClosedAssessment unless `source` may still write into `assessment`.

    `latest_id`: the id of the service's newest assessment, when the caller read it with the
    assessment; if that is this assessment, nothing newer needs loading."""
    latest = None if latest_id == assessment.id else latest_assessment(service.id, session=session)
    replaced = latest is not None and latest.id != assessment.id
    finished = assessment.status != AssessmentStatus.IN_PROGRESS
    if not replaced and not (finished and source == Source.CARD):
        return
    raise ClosedAssessment(
        Closed(
            assessment_id=assessment.id,
            service_name=service.name,
            started_at=assessment.started_at,
            completed_at=assessment.completed_at,
            newer_started_at=latest.started_at if replaced and latest is not None else None,
            newer_in_progress=bool(
                replaced and latest is not None and latest.status == AssessmentStatus.IN_PROGRESS
            ),
            source=source,
        )
    )
