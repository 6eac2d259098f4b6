"""What a reminder tick reads and the claims that make each nudge go out exactly once.

Loading is a fixed number of queries whatever the number of services (services, their owners,
their assessments in progress with answer counts, the nudges already claimed), so a council
with five hundred services ticks as cheaply as one with five.

A nudge is claimed by inserting its identity row with `ON CONFLICT DO NOTHING RETURNING id`:
exactly one process gets an id back, on SQLite and PostgreSQL alike, and nothing aborts the
transaction. A claim a crashed process left behind is taken over by a compare-and-set UPDATE on
its age; a claim's attempts and time are its fencing token, so a slow original claimer cannot
release a claim someone else has taken over. Functions here never commit: the caller does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from storage.claims import insert_once
from storage.models import Answer, Assessment, ClaimStatus, Nudge, Service, Snooze
from storage.overview_queries import owners_of
from storage.values import (
    UPCOMING_DAYS,
    AssessmentStatus,
    InProgress,
    NudgeKey,
    ServiceDue,
    SnoozeView,
)

STALE_CLAIM_AFTER = timedelta(minutes=10)
# Local dates run up to a day ahead of UTC (Pacific/Kiritimati is UTC+14).
_CANDIDATE_DAYS = UPCOMING_DAYS + 2

_KEY_COLUMNS = ("service_id", "stage", "due_on", "occurrence", "recipient")


@dataclass(frozen=True)
class NudgeState:
    id: int
    status: str
    claimed_at: datetime
    attempts: int


@dataclass(frozen=True)
class Claim:
    """A nudge this process may now send.

    (`id`, `attempts`, `claimed_at`) is the fencing token: a take-over bumps `attempts` and a
    fresh claim after a release has a later `claimed_at` (SQLite reuses ids), so a process that
    lost its claim cannot release someone else's.
    """

    id: int
    key: NudgeKey
    attempts: int
    claimed_at: datetime
    reclaimed: bool = False


# --- loading -------------------------------------------------------------------------------


def load_reminder_candidates(*, session: Session, today: date) -> list[ServiceDue]:
    """Services that could have a nudge due: due within ~15 days, overdue, or being assessed."""
    in_progress = select(Assessment.service_id).where(
        Assessment.status == AssessmentStatus.IN_PROGRESS
    )
    return _snapshots(
        session,
        Service.archived_at.is_(None),
        or_(
            Service.next_due_on <= today + timedelta(days=_CANDIDATE_DAYS),
            Service.id.in_(in_progress),
        ),
    )


def due_services(
    *, session: Session, team_id: str, today: date, within_days: int
) -> list[ServiceDue]:
    """The workspace's live services overdue or due within `within_days`, most overdue first."""
    return _snapshots(
        session,
        Service.team_id == team_id,
        Service.archived_at.is_(None),
        Service.next_due_on <= today + timedelta(days=within_days),
    )


def _snapshots(session: Session, *where: ColumnElement[bool]) -> list[ServiceDue]:
    """Read as columns, not ORM rows with their owners: three statements at any size, and
    no identity map to fill with thousands of services."""
    owners = owners_of(session, where)
    work = _in_progress_by_service(session, where)
    rows = session.execute(
        select(
            Service.id,
            Service.team_id,
            Service.name,
            Service.phase,
            Service.team_channel_id,
            Service.interval_months,
            Service.last_assessed_on,
            Service.next_due_on,
            Service.due_reason,
            Service.created_at,
            Service.snoozed_until,
            Service.archived_at,
        )
        .where(*where)
        .order_by(Service.next_due_on, Service.name_key, Service.id)
    )
    return [
        ServiceDue(
            id=service_id,
            team_id=team_id,
            name=name,
            phase=phase,
            team_channel_id=channel_id,
            interval_months=interval_months,
            last_assessed_on=last_assessed_on,
            next_due_on=next_due_on,
            due_reason=due_reason,
            created_at=created_at,
            owner_ids=owners.get(service_id, ()),
            snoozed_until=snoozed_until,
            archived=archived_at is not None,
            in_progress=work.get(service_id),
        )
        for (
            service_id,
            team_id,
            name,
            phase,
            channel_id,
            interval_months,
            last_assessed_on,
            next_due_on,
            due_reason,
            created_at,
            snoozed_until,
            archived_at,
        ) in rows
    ]


def service_due(service: Service, in_progress: InProgress | None = None) -> ServiceDue:
    """The planners' snapshot of a service row: one shape for reminders, actions and reviews."""
    return ServiceDue(
        id=service.id,
        team_id=service.team_id,
        name=service.name,
        phase=service.phase,
        team_channel_id=service.team_channel_id,
        interval_months=service.interval_months,
        last_assessed_on=service.last_assessed_on,
        next_due_on=service.next_due_on,
        due_reason=service.due_reason,
        created_at=service.created_at,
        owner_ids=tuple(service.owner_ids),
        snoozed_until=service.snoozed_until,
        archived=service.archived_at is not None,
        in_progress=in_progress,
    )


def _in_progress_by_service(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> dict[int, InProgress]:
    """One grouped query: each matching service's assessment in progress and its answers."""
    rows = session.execute(
        select(
            Assessment.service_id,
            Assessment.id,
            Assessment.started_at,
            Assessment.point_count,
            func.max(Answer.answered_at),
            func.count(func.distinct(Answer.point_number)),
        )
        .join(Service, Service.id == Assessment.service_id)
        .outerjoin(Answer, Answer.assessment_id == Assessment.id)
        .where(Assessment.status == AssessmentStatus.IN_PROGRESS, *where)
        .group_by(
            Assessment.service_id, Assessment.id, Assessment.started_at, Assessment.point_count
        )
    ).all()
    result: dict[int, InProgress] = {}
    for service_id, assessment_id, started_at, point_count, last_answer_at, answered in rows:
        result[service_id] = InProgress(
            assessment_id=assessment_id,
            started_at=started_at,
            last_answer_at=last_answer_at,
            answered_points=answered,
            point_count=point_count,
        )
    return result


def load_nudge_states(
    *, session: Session, service_ids: Collection[int], due_dates: Collection[date]
) -> dict[NudgeKey, NudgeState]:
    """The claims of these services for these due dates (one query), so a tick skips done work."""
    if not service_ids or not due_dates:
        return {}
    rows = session.scalars(
        select(Nudge).where(
            Nudge.service_id.in_(set(service_ids)), Nudge.due_on.in_(set(due_dates))
        )
    ).all()
    return {
        NudgeKey(row.service_id, row.stage, row.due_on, row.occurrence, row.recipient): NudgeState(
            row.id, row.status, row.claimed_at, row.attempts
        )
        for row in rows
    }


# --- claims --------------------------------------------------------------------------------


def _key_filter(key: NudgeKey) -> ColumnElement[bool]:
    return and_(
        Nudge.service_id == key.service_id,
        Nudge.stage == key.stage,
        Nudge.due_on == key.due_on,
        Nudge.occurrence == key.occurrence,
        Nudge.recipient == key.recipient,
    )


def claim_nudge(
    *, session: Session, key: NudgeKey, team_id: str, now: datetime, claimed_by: str
) -> Claim | None:
    """Insert the nudge's row; None when another tick (or process) already has it."""
    nudge_id = insert_once(
        Nudge,
        {
            "team_id": team_id,
            "service_id": key.service_id,
            "stage": key.stage,
            "due_on": key.due_on,
            "occurrence": key.occurrence,
            "recipient": key.recipient,
            "status": ClaimStatus.CLAIMED.value,
            "claimed_at": now,
            "claimed_by": claimed_by[:64],
            "attempts": 1,
        },
        conflict_columns=_KEY_COLUMNS,
        returning=Nudge.id,
        session=session,
    )
    return None if nudge_id is None else Claim(nudge_id, key, attempts=1, claimed_at=now)


def reclaim_stale_nudge(
    *,
    session: Session,
    key: NudgeKey,
    now: datetime,
    claimed_by: str,
    stale_after: timedelta = STALE_CLAIM_AFTER,
) -> Claim | None:
    """Take over a claim left `claimed` longer than `stale_after` (its process likely died)."""
    result = session.execute(
        update(Nudge)
        .where(
            _key_filter(key),
            Nudge.status == ClaimStatus.CLAIMED.value,
            Nudge.claimed_at < now - stale_after,
        )
        .values(claimed_at=now, claimed_by=claimed_by[:64], attempts=Nudge.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    nudge_id, attempts = session.execute(
        select(Nudge.id, Nudge.attempts).where(_key_filter(key))
    ).one()
    return Claim(nudge_id, key, attempts=attempts, claimed_at=now, reclaimed=True)


def claim_or_reclaim(
    *, session: Session, key: NudgeKey, team_id: str, now: datetime, claimed_by: str
) -> Claim | None:
    claim = claim_nudge(session=session, key=key, team_id=team_id, now=now, claimed_by=claimed_by)
    if claim is not None:
        return claim
    return reclaim_stale_nudge(session=session, key=key, now=now, claimed_by=claimed_by)


def _fenced(claims: Iterable[Claim]) -> ColumnElement[bool]:
    return or_(
        *(
            and_(Nudge.id == c.id, Nudge.attempts == c.attempts, Nudge.claimed_at == c.claimed_at)
            for c in claims
        )
    )


def mark_sent(
    *, session: Session, claims: Sequence[Claim], now: datetime, message_ts: str | None
) -> None:
    """Slack accepted the message: the claims become a record of what was sent."""
    if not claims:
        return
    session.execute(
        update(Nudge)
        .where(Nudge.id.in_([claim.id for claim in claims]))
        .values(status=ClaimStatus.SENT.value, sent_at=now, message_ts=message_ts)
        .execution_options(synchronize_session=False)
    )


def release_claims(*, session: Session, claims: Sequence[Claim]) -> int:
    """The send failed: delete our claims so the next tick tries again (fenced on attempts)."""
    if not claims:
        return 0
    result = session.execute(
        delete(Nudge)
        .where(_fenced(claims), Nudge.status == ClaimStatus.CLAIMED.value)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


# --- snoozes -------------------------------------------------------------------------------


def find_service(*, session: Session, service_id: int, team_id: str) -> Service | None:
    return session.scalars(
        select(Service)
        .where(Service.id == service_id, Service.team_id == team_id)
        .options(selectinload(Service.owners))
    ).one_or_none()


def snooze_service(
    *, session: Session, service: Service, user_id: str, now: datetime, until: datetime
) -> datetime:
    """Snooze until `until` (the policy is `bot.core.reminders.snooze_until`), keeping who did
    it in the history."""
    service.snoozed_until = until
    session.add(Snooze(service_id=service.id, snoozed_by=user_id, snoozed_at=now, until=until))
    session.flush()
    return until


def current_snoozes(
    *, session: Session, service_ids: Collection[int], now: datetime
) -> dict[int, SnoozeView]:
    """Snoozes still running for these services, with who set the latest (one query)."""
    if not service_ids:
        return {}
    latest = (
        select(func.max(Snooze.id))
        .where(Snooze.service_id.in_(set(service_ids)))
        .group_by(Snooze.service_id)
    )
    rows = session.execute(
        select(Snooze, Service.snoozed_until)
        .join(Service, Service.id == Snooze.service_id)
        .where(Snooze.id.in_(latest), Service.snoozed_until > now)
    ).all()
    return {
        snooze.service_id: SnoozeView(
            snooze.service_id, until, snooze.snoozed_by, snooze.snoozed_at
        )
        for snooze, until in rows
        if until is not None
    }


def current_snooze(*, session: Session, service_id: int, now: datetime) -> SnoozeView | None:
    """For `/assess status`: the snooze running on one service, if any."""
    return current_snoozes(session=session, service_ids=[service_id], now=now).get(service_id)
