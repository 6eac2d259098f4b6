"""What improvement actions read: lists, a card's actions, counts, summary and nudge loads.

Every loader is a fixed number of statements whatever the number of services or actions
(one for the rows, one for the owners of their services), so the Home tab, the summary and
the reminders tick cost the same at 5 services as at 5,000. Functions here never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, bindparam, case, func, select
from sqlalchemy.orm import Session, subqueryload

from storage.models import ActionEvent, AssessmentPoint, ImprovementAction, Service, ServiceOwner
from storage.reads import literal_ids, read_rows
from storage.reminder_queries import service_due
from storage.values import ActionCounts, ActionStatus, ActionView, ServiceDue
from storage.view_rows import action_item, service_view
from storage.views import ActionItem

ActionRow = tuple[ImprovementAction, Service, str | None]


def action_for_update(
    action_id: int, *, team_id: str, session: Session
) -> ImprovementAction | None:
    """The action, locked for this transaction, only if it is in `team_id` (values are forged)."""
    return session.scalars(
        select(ImprovementAction)
        .where(ImprovementAction.id == action_id, ImprovementAction.team_id == team_id)
        .with_for_update()
    ).one_or_none()


def action_view(action_id: int, *, team_id: str, session: Session) -> ActionView | None:
    found = _views(session, ImprovementAction.id == action_id, ImprovementAction.team_id == team_id)
    return found[0] if found else None


def _rows(session: Session, *where: ColumnElement[bool]) -> list[ActionRow]:
    """Actions with their service (owners loaded in one more statement) and point title."""
    rows = session.execute(
        select(ImprovementAction, Service, AssessmentPoint.title)
        .join(Service, Service.id == ImprovementAction.service_id)
        .outerjoin(
            AssessmentPoint,
            and_(
                AssessmentPoint.assessment_id == ImprovementAction.assessment_id,
                AssessmentPoint.number == ImprovementAction.point_number,
            ),
        )
        .where(*where)
        .options(subqueryload(Service.owners))  # one statement at any size
        .order_by(ImprovementAction.due_on, ImprovementAction.id)
    ).all()
    return [(action, service, title) for action, service, title in rows]


def _view(row: ActionRow) -> ActionView:
    action, service, title = row
    return ActionView(
        action_item(action), service_view(service), title or f"Point {action.point_number}"
    )


def _views(session: Session, *where: ColumnElement[bool]) -> list[ActionView]:
    return [_view(row) for row in _rows(session, *where)]


def actions_for_person(*, session: Session, team_id: str, user_id: str) -> list[ActionView]:
    """Open actions the person owns, then open actions on services they own; soonest first."""
    owned_services = select(ServiceOwner.service_id).where(ServiceOwner.user_id == user_id)
    views = _views(
        session,
        ImprovementAction.team_id == team_id,
        ImprovementAction.status == ActionStatus.OPEN,
        Service.archived_at.is_(None),
        (ImprovementAction.owner_id == user_id) | ImprovementAction.service_id.in_(owned_services),
    )
    mine = [view for view in views if view.action.owner_id == user_id]
    theirs = [view for view in views if view.action.owner_id != user_id]
    return mine + theirs


def actions_of_service(*, session: Session, service_id: int) -> list[ActionView]:
    """Every action of the service: open ones first, each group soonest due first."""
    views = _views(session, ImprovementAction.service_id == service_id)
    return sorted(views, key=lambda view: view.action.status != ActionStatus.OPEN)


# Built once with bound values: a click's thread update and `/assess status` read these on
# every request, and building a select and deriving its cache key cost more than running it.
_POINT_ACTIONS = (
    select(ImprovementAction)
    .where(
        ImprovementAction.service_id == bindparam("service_id"),
        ImprovementAction.point_number == bindparam("point_number"),
        (ImprovementAction.assessment_id >= bindparam("since_assessment_id"))
        | (ImprovementAction.status == ActionStatus.OPEN),
    )
    .order_by(ImprovementAction.id)
)


def point_actions(
    *, session: Session, service_id: int, point_number: int, since_assessment_id: int
) -> list[ActionItem]:
    """The point's actions that arose in `since_assessment_id` or later, and any still open."""
    rows = session.scalars(
        _POINT_ACTIONS,
        {
            "service_id": service_id,
            "point_number": point_number,
            "since_assessment_id": since_assessment_id,
        },
    )
    return [action_item(row) for row in rows]


def open_point_actions(*, session: Session, service_id: int, point_number: int) -> list[ActionItem]:
    """The point's actions still open, whichever assessment they arose in, oldest first."""
    rows = session.scalars(
        select(ImprovementAction)
        .where(
            ImprovementAction.service_id == service_id,
            ImprovementAction.point_number == point_number,
            ImprovementAction.status == ActionStatus.OPEN,
        )
        .order_by(ImprovementAction.id)
    )
    return [action_item(row) for row in rows]


def actioned_points(*, session: Session, assessment_id: int) -> set[int]:
    """Points of this assessment with an action that was not dropped."""
    return set(
        session.scalars(
            select(ImprovementAction.point_number).where(
                ImprovementAction.assessment_id == assessment_id,
                ImprovementAction.status != ActionStatus.DROPPED,
            )
        )
    )


_OPEN_COUNTS = (
    select(
        ImprovementAction.service_id,
        func.count(),
        func.sum(case((ImprovementAction.due_on < bindparam("today"), 1), else_=0)),
    )
    .where(
        ImprovementAction.team_id == bindparam("team_id"),
        ImprovementAction.status == ActionStatus.OPEN,
    )
    .group_by(ImprovementAction.service_id)
)
_OPEN_COUNTS_OF_THESE = _OPEN_COUNTS.where(
    ImprovementAction.service_id.in_(literal_ids("service_ids"))
)


def action_counts(
    *, session: Session, team_id: str, today: date, service_ids: Collection[int] | None = None
) -> dict[int, ActionCounts]:
    """Open and overdue actions per service of the workspace, in one grouped statement (built
    once; the ids written into the SQL as numbers, as `storage.reads.literal_ids` explains)."""
    params: dict[str, object] = {"team_id": team_id, "today": today}
    query = _OPEN_COUNTS
    if service_ids is not None:
        query = _OPEN_COUNTS_OF_THESE
        params["service_ids"] = sorted(set(service_ids))
    return {
        service_id: ActionCounts(int(count), int(overdue or 0))
        for service_id, count, overdue in read_rows(session, query, params)
    }


# --- the leadership summary ---------------------------------------------------------------------


@dataclass(frozen=True)
class OpenStats:
    """One service's open actions: how many, how many overdue, the oldest overdue due date."""

    open: int
    overdue: int
    oldest_overdue: date | None


@dataclass(frozen=True)
class SummaryLoad:
    """What the summary's action figures are computed from (three statements)."""

    open: dict[int, OpenStats]
    done: list[tuple[int, date, datetime]]  # (service id, due on, closed at), done since then
    covered: set[tuple[int, int]]  # (assessment id, point) with an action not dropped


def load_summary_actions(
    *, session: Session, team_id: str, today: date, closed_since: datetime
) -> SummaryLoad:
    """Grouped and narrow reads, run without the ORM: at 25,000 actions, building a row object
    for each of them cost more than the queries (the caller keeps only counted services)."""
    connection = session.connection()
    overdue = ImprovementAction.due_on < today
    open_rows = connection.execute(
        select(
            ImprovementAction.service_id,
            func.count(),
            func.sum(case((overdue, 1), else_=0)),
            func.min(case((overdue, ImprovementAction.due_on), else_=None)),
        )
        .where(
            ImprovementAction.team_id == team_id,
            ImprovementAction.status == ActionStatus.OPEN,
        )
        .group_by(ImprovementAction.service_id)
    ).all()
    done_rows = connection.execute(
        select(
            ImprovementAction.service_id, ImprovementAction.due_on, ImprovementAction.closed_at
        ).where(
            ImprovementAction.team_id == team_id,
            ImprovementAction.status == ActionStatus.DONE,
            ImprovementAction.closed_at >= closed_since,
        )
    ).all()
    covered_rows = connection.execute(
        select(ImprovementAction.assessment_id, ImprovementAction.point_number)
        .where(
            ImprovementAction.team_id == team_id,
            ImprovementAction.status != ActionStatus.DROPPED,
        )
        .distinct()
    ).all()
    return SummaryLoad(
        open={
            service_id: OpenStats(int(count), int(late or 0), _as_date(oldest))
            for service_id, count, late, oldest in open_rows
        },
        done=[
            (service_id, due_on, closed_at)
            for service_id, due_on, closed_at in done_rows
            if closed_at is not None
        ],
        covered={(assessment_id, point) for assessment_id, point in covered_rows},
    )


def _as_date(value: object) -> date | None:
    """MIN() over a date column comes back as text on SQLite."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# --- reminders ----------------------------------------------------------------------------------


def nudge_candidates(*, session: Session, due_by: date) -> list[tuple[ActionView, ServiceDue]]:
    """Open actions due by `due_by` (or overdue) on live services, for the reminders tick, each
    with its service as the planners see it."""
    rows = _rows(
        session,
        ImprovementAction.status == ActionStatus.OPEN,
        ImprovementAction.due_on <= due_by,
        Service.archived_at.is_(None),
    )
    return [(_view(row), service_due(row[1])) for row in rows]


# --- export -------------------------------------------------------------------------------------


def export_views(*, session: Session, team_id: str, service_ids: Sequence[int]) -> list[ActionView]:
    """Every action of these services, in service, point and creation order."""
    if not service_ids:
        return []
    rows = _rows(
        session,
        ImprovementAction.team_id == team_id,
        ImprovementAction.service_id.in_(set(service_ids)),
    )
    rows.sort(key=lambda row: (row[1].name_key, row[1].id, row[0].point_number, row[0].id))
    return [_view(row) for row in rows]


def events_of(*, session: Session, action_ids: Collection[int]) -> dict[int, list[ActionEvent]]:
    """Each action's history, oldest change first (one statement)."""
    if not action_ids:
        return {}
    history: dict[int, list[ActionEvent]] = {}
    for event in session.scalars(
        select(ActionEvent)
        .where(ActionEvent.action_id.in_(set(action_ids)))
        .order_by(ActionEvent.action_id, ActionEvent.id)
    ):
        history.setdefault(event.action_id, []).append(event)
    return history
