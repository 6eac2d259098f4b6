"""The queries behind the CSV export, streamed so an export of any size uses constant memory.

One query returns every row of the file in file order (service, assessment, point, answer id):
the assessment's snapshot points left-joined to their answers, so a point nobody answered still
yields one row. Which answer is current is decided in SQL (the highest answer id per point, a
correlated `max` served by the `(assessment_id, point_number, id)` index), so the export never
has to hold a whole assessment in memory. Every table is filtered on the workspace, not just the
services, so a row of another workspace cannot slip in through a join.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, func, literal, select
from sqlalchemy.orm import Session, aliased, selectinload

from storage.models import Answer, Assessment, AssessmentPoint, Service

DEFAULT_YIELD_PER = 2000
_Columns = TypeVarTuple("_Columns")


class ExportRecord(NamedTuple):
    """One row of the export as the database holds it; the answer fields are None if unanswered."""

    service: str
    service_id: int
    team_id: str
    standard_id: str
    standard_version: str
    phase: str
    assessment_id: int
    started_at: datetime
    completed_at: datetime | None
    point_number: int
    point_title: str
    answer_id: int | None
    rating: str | None
    evidence: str | None
    evidence_links: list[str] | None
    answered_by: str | None
    answered_at: datetime | None
    is_latest: bool


@dataclass(frozen=True)
class ExportableService:
    """What deciding who may export a service needs to know about it."""

    id: int
    name: str
    name_key: str
    owner_ids: tuple[str, ...]
    archived: bool


def exportable_services(*, session: Session, team_id: str) -> list[ExportableService]:
    """Every service of the workspace, archived ones included, in export order."""
    services = session.scalars(
        select(Service)
        .where(Service.team_id == team_id)
        .options(selectinload(Service.owners))
        .order_by(Service.name_key, Service.id)
    )
    return [
        ExportableService(
            id=service.id,
            name=service.name,
            name_key=service.name_key,
            owner_ids=tuple(service.owner_ids),
            archived=service.archived_at is not None,
        )
        for service in services
    ]


def workspace_ids(*, session: Session) -> list[str]:
    """The workspaces that have services (for the CLI, which has no Slack request to ask)."""
    return list(session.scalars(select(Service.team_id).distinct().order_by(Service.team_id)))


def _latest_assessment_id() -> ColumnElement[Any]:
    newer = aliased(Assessment)
    return (
        select(func.max(newer.id))
        .where(newer.service_id == Service.id)
        .correlate(Service)
        .scalar_subquery()
    )


def _latest_answer_id() -> ColumnElement[Any]:
    newer = aliased(Answer)
    return (
        select(func.max(newer.id))
        .where(
            newer.assessment_id == AssessmentPoint.assessment_id,
            newer.point_number == AssessmentPoint.number,
        )
        .correlate(AssessmentPoint)
        .scalar_subquery()
    )


def _scoped(
    statement: Select[*_Columns],
    team_id: str,
    service_ids: Collection[int],
    history: bool,
) -> Select[*_Columns]:
    """Join services → assessments → snapshot points → answers, limited to one workspace."""
    answer_join = and_(
        Answer.assessment_id == AssessmentPoint.assessment_id,
        Answer.point_number == AssessmentPoint.number,
        Answer.team_id == team_id,
    )
    assessment_join = and_(Assessment.service_id == Service.id, Assessment.team_id == team_id)
    if not history:
        assessment_join = and_(assessment_join, Assessment.id == _latest_assessment_id())
        answer_join = and_(answer_join, Answer.id == _latest_answer_id())
    return (
        statement.select_from(Service)
        .join(Assessment, assessment_join)
        .join(AssessmentPoint, AssessmentPoint.assessment_id == Assessment.id)
        .outerjoin(Answer, answer_join)
        .where(Service.team_id == team_id, Service.id.in_(list(service_ids)))
    )


def stream_export(
    *,
    session: Session,
    team_id: str,
    service_ids: Collection[int],
    history: bool,
    yield_per: int = DEFAULT_YIELD_PER,
) -> Iterator[ExportRecord]:
    """Yield the export's rows in file order, fetching `yield_per` at a time.

    Without `history`: the current answer (or an unanswered row) of every point of each
    service's latest assessment. With `history`: every answer of every assessment, oldest first
    within a point, plus one row per point nobody answered. `is_latest` marks the current answer
    of its point within its assessment (always true without `history`, and for unanswered rows).
    On PostgreSQL `yield_per` opens a server-side cursor, so rows arrive as they are written.
    """
    if not service_ids:
        return
    latest: ColumnElement[Any] = _latest_answer_id() if history else literal(None)
    statement = _scoped(
        select(
            Service.name,
            Service.id,
            Service.team_id,
            Assessment.standard_id,
            Assessment.standard_version,
            Assessment.phase,
            Assessment.id,
            Assessment.started_at,
            Assessment.completed_at,
            AssessmentPoint.number,
            AssessmentPoint.title,
            Answer.id,
            Answer.rating,
            Answer.evidence,
            Answer.evidence_links,
            Answer.answered_by,
            Answer.answered_at,
            latest,
        ),
        team_id,
        service_ids,
        history,
    ).order_by(Service.name_key, Service.id, Assessment.id, AssessmentPoint.number, Answer.id)
    result = session.execute(statement.execution_options(yield_per=yield_per))
    make = ExportRecord._make
    for row in result:
        answer_id = row[11]
        yield make((*row[:17], not history or answer_id is None or answer_id == row[17]))


def answerer_ids(
    *, session: Session, team_id: str, service_ids: Collection[int], history: bool
) -> list[str]:
    """Everyone whose answer the export will show, so names can be looked up before streaming.

    Looking people up in Slack while the export's transaction is open would hold it (and on
    SQLite the write lock) for as long as Slack takes to answer.
    """
    if not service_ids:
        return []
    statement = _scoped(select(Answer.answered_by).distinct(), team_id, service_ids, history).where(
        Answer.id.is_not(None)
    )
    return sorted(session.scalars(statement))
