"""What lists, the Home tab and status show about services, loaded without N+1 queries.

A council may have hundreds of services; three queries load any number of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.core.flow import Tally, tally
from standards import Catalogue
from storage.assessment_queries import current_answers_for, latest_assessments_for
from storage.models import Assessment, Service
from storage.values import AssessmentStatus


@dataclass(frozen=True)
class ServiceLine:
    service: Service
    standard_short: str
    latest: Assessment | None
    tally: Tally | None

    @property
    def in_progress(self) -> bool:
        return self.latest is not None and self.latest.status == AssessmentStatus.IN_PROGRESS


def service_lines(
    services: Sequence[Service], *, catalogue: Catalogue, session: Session
) -> list[ServiceLine]:
    latest = latest_assessments_for(services, session=session)
    answers = current_answers_for([a.id for a in latest.values()], session=session)
    lines = []
    for service in services:
        assessment = latest.get(service.id)
        result = None
        if assessment is not None:
            numbers = list(range(1, assessment.point_count + 1))
            result = tally(numbers, answers.get(assessment.id, {}))
        standard = catalogue.get(service.standard_id)
        short = standard.short_title if standard is not None else service.standard_id
        lines.append(ServiceLine(service, short, assessment, result))
    return lines
