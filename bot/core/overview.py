"""What lists, the Home tab and status show about services, loaded without N+1 queries.

A council may have thousands of services. Their rows are read as plain snapshots
(`storage.views`) in two statements, and the latest assessment of the ones a message can
show in one more, with its ratings counted by the database: `/assess list` fits some two
thousand lines in a message and the Home tab a couple of hundred, so counting the answers of
every service of a large workspace would be work for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from standards import Catalogue
from storage.overview_queries import RatingCounts, latest_assessments
from storage.values import AssessmentStatus
from storage.views import AssessmentView, ServiceView


@dataclass(frozen=True)
class ServiceLine:
    service: ServiceView
    standard_short: str
    latest: AssessmentView | None
    tally: RatingCounts | None

    @property
    def in_progress(self) -> bool:
        return self.latest is not None and self.latest.status == AssessmentStatus.IN_PROGRESS


def service_lines(
    services: Sequence[ServiceView], *, catalogue: Catalogue, session: Session
) -> list[ServiceLine]:
    """These services (of one workspace), in this order, each with its latest assessment's
    progress: one statement."""
    if not services:
        return []
    latest = latest_assessments(
        session=session,
        team_id=services[0].team_id,
        service_ids=[service.id for service in services],
    )
    lines = []
    for service in services:
        standard = catalogue.get(service.standard_id)
        short = standard.short_title if standard is not None else service.standard_id
        found = latest.get(service.id)
        if found is None:
            lines.append(ServiceLine(service, short, None, None))
        else:
            lines.append(ServiceLine(service, short, found.assessment, found.counts))
    return lines
