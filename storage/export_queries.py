"""The queries behind the CSV export, streamed so an export of any size uses constant memory.

Two queries run side by side in one transaction, both in file order (service name, service,
assessment): one row per assessment with what every line of that assessment repeats (service,
standard, phase, times), and one row per answer — the assessment's snapshot points left-joined
to their answers, so a point nobody answered still yields a row. `stream_export` walks them
together like a merge and hands on one assessment at a time, so the repeated columns are read
once per assessment, not once per answer (reading them per row made exports twice as slow).

Speed and memory, measured in bench/bench_export.py:
- nothing is sorted in memory: on SQLite the join is walked through the (team_id, name_key),
  (service_id), point and (assessment_id, point_number, id) indexes, already in file order.
  The workspace check on assessments is written `team_id || '' = ?` and the choice of services
  `id + 0 IN (...)`, so that SQLite's planner cannot start from the assessments' team_id index
  or look services up by id, either of which would make it sort the whole export (a test
  checks the plans); PostgreSQL plans by cost and streams through a server-side cursor.
- times are formatted as `YYYY-MM-DDTHH:MM:SSZ` (UTC) by the database and evidence links come
  back as their stored JSON text, so no datetime or list object is built per row.
- the latest-only export keeps the highest answer id per point in SQL; in the history a
  point's answers arrive oldest first, so the last of each point is its current answer.

Every table is filtered on the workspace, not just the services, so a row of another workspace
cannot slip in through a join.
"""

from __future__ import annotations

from collections.abc import Collection, Generator, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVarTuple

from sqlalchemy import ColumnElement, Result, Select, String, Text, and_, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, subqueryload
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storage.models import Answer, Assessment, AssessmentPoint, Service

DEFAULT_YIELD_PER = 2000
_Columns = TypeVarTuple("_Columns")


class AssessmentHeader(NamedTuple):
    """What every row of one assessment repeats; times as UTC text, "" when not completed."""

    service: str
    service_id: int
    team_id: str
    standard_id: str
    standard_version: str
    phase: str
    assessment_id: int
    started_at: str
    completed_at: str
    service_type: str


AnswerRow = tuple[
    int, int, str, int | None, str | None, str | None, str | None, str | None, str | None
]
"""(assessment_id, point_number, point_title, answer_id, rating, evidence, evidence_links_json,
answered_by, answered_at): one answer, or a point nobody answered (answer fields None). Times
are UTC text; the links are the stored JSON text."""


class AssessmentRows(NamedTuple):
    """One assessment's rows, by point then answer id, so a point's last row is its current one."""

    assessment: AssessmentHeader
    rows: list[AnswerRow]


@dataclass(frozen=True)
class ExportableService:
    """What deciding who may export a service needs to know about it."""

    id: int
    name: str
    name_key: str
    owner_ids: tuple[str, ...]
    archived: bool


class ExportChangedError(RuntimeError):
    """The two export queries disagreed: the data changed under an export without a snapshot."""


def exportable_services(*, session: Session, team_id: str) -> list[ExportableService]:
    """Every service of the workspace, archived ones included, in export order."""
    services = session.scalars(
        select(Service)
        .where(Service.team_id == team_id)
        .options(subqueryload(Service.owners))  # one query at any size
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


class utc_text(FunctionElement[str]):
    """A stored timestamp as `YYYY-MM-DDTHH:MM:SSZ` in UTC, formatted by the database."""

    type = String()
    name = "utc_text"
    inherit_cache = True


@compiles(utc_text, "sqlite")
def _utc_text_sqlite(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    # UTCDateTime stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' on SQLite; strftime() would
    # parse it, but costs several times more than cutting it up.
    column = compiler.process(element.clauses, **kw)
    return f"(substr({column}, 1, 10) || 'T' || substr({column}, 12, 8) || 'Z')"


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def _in_workspace(column: InstrumentedAttribute[str], team_id: str) -> ColumnElement[bool]:
    """`column = team_id`, in a form SQLite's planner will not pick an index for."""
    return column.concat("") == team_id


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


def _assessments(
    statement: Select[*_Columns], team_id: str, service_ids: Collection[int], history: bool
) -> Select[*_Columns]:
    """The services' assessments (or only each one's latest), in one workspace, in file order."""
    joined = and_(Assessment.service_id == Service.id, _in_workspace(Assessment.team_id, team_id))
    if not history:
        joined = and_(joined, Assessment.id == _latest_assessment_id())
    return (
        statement.select_from(Service)
        .join(Assessment, joined)
        # `id + 0`: looking services up by id would lose the name order and force a sort.
        .where(Service.team_id == team_id, (Service.id + 0).in_(list(service_ids)))
        .order_by(Service.name_key, Service.id, Assessment.id)
    )


def _answers(
    statement: Select[*_Columns], team_id: str, service_ids: Collection[int], history: bool
) -> Select[*_Columns]:
    """Snapshot points joined to their answers (or only the current one), in file order."""
    joined = and_(
        Answer.assessment_id == AssessmentPoint.assessment_id,
        Answer.point_number == AssessmentPoint.number,
        Answer.team_id == team_id,
    )
    if not history:
        joined = and_(joined, Answer.id == _latest_answer_id())
    return (
        _assessments(statement, team_id, service_ids, history)
        .join(AssessmentPoint, AssessmentPoint.assessment_id == Assessment.id)
        .outerjoin(Answer, joined)
        .order_by(AssessmentPoint.number, Answer.id)
    )


def header_query(
    team_id: str, service_ids: Collection[int], history: bool
) -> Select[*tuple[Any, ...]]:
    """One row per assessment: the columns every line of that assessment repeats."""
    return _assessments(
        select(
            Service.name,
            Service.id,
            Service.team_id,
            Assessment.standard_id,
            Assessment.standard_version,
            Assessment.phase,
            Assessment.id,
            utc_text(Assessment.started_at),
            func.coalesce(utc_text(Assessment.completed_at), ""),
            Service.service_type,
        ),
        team_id,
        service_ids,
        history,
    )


def row_query(
    team_id: str, service_ids: Collection[int], history: bool
) -> Select[*tuple[Any, ...]]:
    """One row per answer, or per point nobody answered, with the assessment's id to merge on."""
    return _answers(
        select(
            Assessment.id,
            AssessmentPoint.number,
            AssessmentPoint.title,
            Answer.id,
            Answer.rating,
            Answer.evidence,
            cast(Answer.evidence_links, Text),
            Answer.answered_by,
            utc_text(Answer.answered_at),
        ),
        team_id,
        service_ids,
        history,
    )


def _use_snapshot(session: Session) -> None:
    """Both queries must see the same data; PostgreSQL's default lets each see its own."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def stream_export(
    *,
    session: Session,
    team_id: str,
    service_ids: Collection[int],
    history: bool,
    yield_per: int = DEFAULT_YIELD_PER,
) -> Generator[AssessmentRows]:
    """Yield the export one assessment at a time, in file order, fetching `yield_per` rows a time.

    Without `history`: the current answer (or an unanswered row) of every point of each
    service's latest assessment. With `history`: every answer of every assessment, oldest first
    within a point, plus one row per point nobody answered. Memory holds one assessment's rows.

    Call it first thing in a fresh transaction: on PostgreSQL it makes that transaction a
    snapshot (REPEATABLE READ) so its two queries agree. Closing the generator early releases
    the cursors.
    """
    if not service_ids:
        return _by_assessment(None, None)
    _use_snapshot(session)
    connection = session.connection()
    options = {"yield_per": yield_per}
    headers = connection.execute(
        header_query(team_id, service_ids, history).execution_options(**options)
    )
    rows = connection.execute(row_query(team_id, service_ids, history).execution_options(**options))
    return _by_assessment(headers, rows)


def _by_assessment(
    headers: Result[*tuple[Any, ...]] | None, rows: Result[*tuple[Any, ...]] | None
) -> Generator[AssessmentRows]:
    """Pair each assessment's rows with its header; both queries come in the same order.

    Grouping here keeps the per-row work of the largest exports to a minimum: rows are taken
    a batch at a time and handed on in lists, not one generator step per row.
    """
    if headers is None or rows is None:
        return
    header_rows = iter(headers)
    group: list[AnswerRow] = []
    assessment_id = None
    try:
        for batch in rows.partitions():
            for row in batch:
                if row[0] != assessment_id:
                    if group:
                        yield AssessmentRows(_advance(header_rows, assessment_id), group)
                    assessment_id = row[0]
                    group = []
                group.append(row)
        if group:
            yield AssessmentRows(_advance(header_rows, assessment_id), group)
    finally:
        headers.close()
        rows.close()


def _advance(headers: Iterator[Any], assessment_id: int | None) -> AssessmentHeader:
    """The header of `assessment_id`, skipping assessments that have no points."""
    for row in headers:
        if row[6] == assessment_id:
            return AssessmentHeader._make(row)
    raise ExportChangedError(f"assessment {assessment_id} appeared during the export")


def answerer_ids(
    *, session: Session, team_id: str, service_ids: Collection[int], history: bool
) -> list[str]:
    """Everyone whose answer the export will show, so names can be looked up before streaming.

    Looking people up in Slack while the export's transaction is open would hold it (and on
    SQLite the write lock) for as long as Slack takes to answer.
    """
    if not service_ids:
        return []
    if history:
        # Every answer counts, so the points need not be joined.
        statement = _assessments(
            select(Answer.answered_by).distinct(), team_id, service_ids, history
        ).join(
            Answer,
            and_(Answer.assessment_id == Assessment.id, Answer.team_id == team_id),
        )
    else:
        statement = _answers(
            select(Answer.answered_by).distinct(), team_id, service_ids, history
        ).where(Answer.id.is_not(None))
    statement = statement.order_by(None)
    return sorted(session.scalars(statement))
