"""The rows behind assessment reports and the published site, for one service or hundreds.

A report shows a service's latest assessment with every answer ever given to it (so a changed
answer shows its history) beside the previous assessment's ratings. `load_report_rows` reads
that for any number of services in five statements (services, owners, assessments, snapshot
points, answers), so publishing 300 services costs the same round trips as one report. The
open data has every assessment of each service: `assessment_history` reads each one's snapshot
and current ratings in three more.

Every statement is filtered on the workspace as well as the services, so a row of another
workspace cannot slip in through a join. Archived services are never reported or published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from storage.claims import dialect_insert
from storage.models import Answer, Assessment, AssessmentPoint, Service, ServiceOwner, WorkspaceName


class ServiceRow(NamedTuple):
    id: int
    name: str
    description: str
    standard_id: str
    phase: str
    team_channel_id: str
    next_due_on: date
    publishable: bool
    service_type: str  # transactional | relational (#13)


class AssessmentRow(NamedTuple):
    id: int
    service_id: int
    standard_id: str
    standard_version: str
    standard_title: str
    phase: str
    status: str
    started_by: str
    started_at: datetime
    completed_at: datetime | None
    point_count: int


class AnswerRow(NamedTuple):
    """One answer; a point's answers arrive oldest first, so its last one is its current one."""

    assessment_id: int
    point_number: int
    rating: str
    evidence: str
    links: tuple[str, ...]
    answered_by: str
    answered_at: datetime


@dataclass(frozen=True)
class ReportRows:
    """What the reports of some services need, keyed for assembling without more queries."""

    services: tuple[ServiceRow, ...]
    owners: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # per service, its assessments newest first (at most the latest two: latest, previous)
    assessments: dict[int, tuple[AssessmentRow, ...]] = field(default_factory=dict)
    points: dict[int, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    answers: dict[int, tuple[AnswerRow, ...]] = field(default_factory=dict)


def _chosen(
    team_id: str, service_ids: Sequence[int] | None, publishable_only: bool
) -> list[ColumnElement[bool]]:
    conditions = [Service.team_id == team_id, Service.archived_at.is_(None)]
    if service_ids is not None:
        conditions.append(Service.id.in_(list(service_ids)))
    if publishable_only:
        conditions.append(Service.publishable.is_(True))
    return conditions


def load_report_rows(
    *,
    session: Session,
    team_id: str,
    service_ids: Sequence[int] | None = None,
    publishable_only: bool = False,
) -> ReportRows:
    """The chosen services (all of the workspace when `service_ids` is None), in name order."""
    chosen = _chosen(team_id, service_ids, publishable_only)
    services = tuple(
        ServiceRow(*row)
        for row in session.execute(
            select(
                Service.id,
                Service.name,
                Service.description,
                Service.standard_id,
                Service.phase,
                Service.team_channel_id,
                Service.next_due_on,
                Service.publishable,
                Service.service_type,
            )
            .where(*chosen)
            .order_by(Service.name_key, Service.id)
        )
    )
    chosen_ids = select(Service.id).where(*chosen)

    owners: dict[int, list[str]] = {}
    for service_id, user_id in session.execute(
        select(ServiceOwner.service_id, ServiceOwner.user_id)
        .where(ServiceOwner.service_id.in_(chosen_ids))
        .order_by(ServiceOwner.service_id, ServiceOwner.user_id)
    ):
        owners.setdefault(service_id, []).append(user_id)

    assessments: dict[int, list[AssessmentRow]] = {}
    for row in session.execute(
        select(
            Assessment.id,
            Assessment.service_id,
            Assessment.standard_id,
            Assessment.standard_version,
            Assessment.standard_title,
            Assessment.phase,
            Assessment.status,
            Assessment.started_by,
            Assessment.started_at,
            Assessment.completed_at,
            Assessment.point_count,
        )
        .where(Assessment.team_id == team_id, Assessment.service_id.in_(chosen_ids))
        .order_by(Assessment.service_id, Assessment.id.desc())
    ):
        kept = assessments.setdefault(row.service_id, [])
        if len(kept) < 2:
            kept.append(AssessmentRow(*row))
    wanted = [row.id for rows in assessments.values() for row in rows]

    points: dict[int, list[tuple[int, str]]] = {}
    answers: dict[int, list[AnswerRow]] = {}
    if wanted:
        for assessment_id, number, title in session.execute(
            select(AssessmentPoint.assessment_id, AssessmentPoint.number, AssessmentPoint.title)
            .where(AssessmentPoint.assessment_id.in_(wanted))
            .order_by(AssessmentPoint.assessment_id, AssessmentPoint.number)
        ):
            points.setdefault(assessment_id, []).append((number, title))
        for answer in session.execute(
            select(
                Answer.assessment_id,
                Answer.point_number,
                Answer.rating,
                Answer.evidence,
                Answer.evidence_links,
                Answer.answered_by,
                Answer.answered_at,
            )
            .where(Answer.team_id == team_id, Answer.assessment_id.in_(wanted))
            .order_by(Answer.assessment_id, Answer.point_number, Answer.id)
        ):
            answers.setdefault(answer.assessment_id, []).append(
                AnswerRow(
                    answer.assessment_id,
                    answer.point_number,
                    answer.rating,
                    answer.evidence or "",
                    tuple(str(link) for link in answer.evidence_links or ()),
                    answer.answered_by,
                    answer.answered_at,
                )
            )
    return ReportRows(
        services=services,
        owners={key: tuple(value) for key, value in owners.items()},
        assessments={key: tuple(value) for key, value in assessments.items()},
        points={key: tuple(value) for key, value in points.items()},
        answers={key: tuple(value) for key, value in answers.items()},
    )


class RatedAssessment(NamedTuple):
    """One assessment for the open data: its snapshot and each point's current rating."""

    assessment: AssessmentRow
    points: tuple[tuple[int, str], ...]
    ratings: dict[int, str]  # point number -> rating; a point nobody answered is missing


def assessment_history(
    *, session: Session, team_id: str, service_ids: Sequence[int]
) -> dict[int, list[RatedAssessment]]:
    """Every assessment of these services, oldest first per service, in three statements."""
    if not service_ids:
        return {}
    chosen = (
        select(Assessment.id)
        .where(Assessment.team_id == team_id, Assessment.service_id.in_(list(service_ids)))
        .scalar_subquery()
    )
    points: dict[int, list[tuple[int, str]]] = {}
    for assessment_id, number, title in session.execute(
        select(AssessmentPoint.assessment_id, AssessmentPoint.number, AssessmentPoint.title)
        .where(AssessmentPoint.assessment_id.in_(chosen))
        .order_by(AssessmentPoint.assessment_id, AssessmentPoint.number)
    ):
        points.setdefault(assessment_id, []).append((number, title))
    newest = (
        select(func.max(Answer.id))
        .where(Answer.team_id == team_id, Answer.assessment_id.in_(chosen))
        .group_by(Answer.assessment_id, Answer.point_number)
    )
    ratings: dict[int, dict[int, str]] = {}
    for assessment_id, number, rating in session.execute(
        select(Answer.assessment_id, Answer.point_number, Answer.rating).where(
            Answer.id.in_(newest)
        )
    ):
        ratings.setdefault(assessment_id, {})[number] = rating
    history: dict[int, list[RatedAssessment]] = {}
    for row in session.execute(
        select(
            Assessment.id,
            Assessment.service_id,
            Assessment.standard_id,
            Assessment.standard_version,
            Assessment.standard_title,
            Assessment.phase,
            Assessment.status,
            Assessment.started_by,
            Assessment.started_at,
            Assessment.completed_at,
            Assessment.point_count,
        )
        .where(Assessment.id.in_(chosen))
        .order_by(Assessment.service_id, Assessment.id)
    ):
        header = AssessmentRow(*row)
        snapshot = tuple(points.get(header.id, ())) or tuple(
            (number, f"Point {number}") for number in range(1, header.point_count + 1)
        )
        history.setdefault(header.service_id, []).append(
            RatedAssessment(header, snapshot, ratings.get(header.id, {}))
        )
    return history


def workspace_name(*, session: Session, team_id: str) -> str | None:
    """The workspace's name as last seen from Slack, or None when never seen."""
    return session.scalar(select(WorkspaceName.name).where(WorkspaceName.team_id == team_id))


def remember_workspace_name(*, session: Session, team_id: str, name: str, now: datetime) -> None:
    """Keep the name Slack gave, for reports made later from the command line (upsert, so two
    replicas remembering at once cannot collide)."""
    values = {"name": name[:200], "updated_at": now}
    session.execute(
        dialect_insert(session)(WorkspaceName)
        .values(team_id=team_id, **values)
        .on_conflict_do_update(index_elements=["team_id"], set_=values)
    )
