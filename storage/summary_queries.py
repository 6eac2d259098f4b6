"""Loading a workspace's portfolio for the leadership summary; its settings; its post claims.

The portfolio is read with a fixed number of queries whatever its size (four: services,
latest assessments, their snapshot points, their current answers and last answer times), so
a council with thousands of services costs the same four round trips as one with five.

Claims make "one summary per channel per week" hold across replicas and restarts: inserting
the (team, channel, scheduled_for) row is the claim, committed before anything is posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from storage.claims import dialect_insert, insert_once
from storage.models import (
    Answer,
    Assessment,
    AssessmentPoint,
    ClaimStatus,
    Service,
    SummaryPost,
    WorkspaceSettings,
)
from storage.reads import read_rows
from storage.values import (
    DEFAULT_TIME,
    DEFAULT_WEEKDAY,
    CurrentAnswer,
    LatestAssessment,
    ServiceRecord,
    SummarySettings,
)

STALE_CLAIM_AFTER = timedelta(minutes=10)


# --- the portfolio -----------------------------------------------------------------------


def _counted_services(team_id: str, phases: Sequence[str]) -> list[ColumnElement[bool]]:
    conditions = [Service.team_id == team_id, Service.archived_at.is_(None)]
    if phases:
        conditions.append(Service.phase.in_(list(phases)))
    return conditions


def _latest_assessment_ids(team_id: str, phases: Sequence[str]) -> Select[int]:
    return (
        select(func.max(Assessment.id))
        .join(Service, Service.id == Assessment.service_id)
        .where(Assessment.team_id == team_id, *_counted_services(team_id, phases))
        .group_by(Assessment.service_id)
    )


def load_portfolio(
    *, session: Session, team_id: str, phases: Sequence[str] = ()
) -> list[ServiceRecord]:
    """The counted services of a workspace, each with its latest assessment, in four queries."""
    latest_ids = _latest_assessment_ids(team_id, phases)
    points = _snapshots(session, latest_ids)
    answers, last_answered = _current_answers(session, latest_ids)

    latest: dict[int, LatestAssessment] = {}
    for row in read_rows(
        session,
        select(
            Assessment.id,
            Assessment.service_id,
            Assessment.standard_id,
            Assessment.standard_title,
            Assessment.status,
            Assessment.started_at,
            Assessment.point_count,
        ).where(Assessment.id.in_(latest_ids)),
    ):
        snapshot = points.get(row.id) or tuple(
            (number, f"Point {number}") for number in range(1, row.point_count + 1)
        )
        latest[row.service_id] = LatestAssessment(
            id=row.id,
            standard_id=row.standard_id,
            standard_title=row.standard_title,
            status=row.status,
            started_at=row.started_at,
            last_answered_at=last_answered.get(row.id),
            points=snapshot,
            answers=answers.get(row.id, {}),
        )

    return [
        ServiceRecord(
            id=row.id,
            name=row.name,
            phase=row.phase,
            standard_id=row.standard_id,
            next_due_on=row.next_due_on,
            latest=latest.get(row.id),
            snoozed_until=row.snoozed_until,
        )
        for row in read_rows(
            session,
            select(
                Service.id,
                Service.name,
                Service.phase,
                Service.standard_id,
                Service.next_due_on,
                Service.snoozed_until,
            )
            .where(*_counted_services(team_id, phases))
            .order_by(Service.id),
        )
    ]


# Between one point's "number:title" and the next in `_snapshots`: a control character, which
# a point title cannot contain (standards.validation refuses them).
POINT_SEPARATOR = "\x1f"


def _snapshots(session: Session, latest_ids: Select[int]) -> dict[int, tuple[tuple[int, str], ...]]:
    """Each assessment's snapshot of points, (number, title) in order, one row per assessment.

    Most assessments of a standard share one snapshot, so the database joins each assessment's
    points into one string and each distinct string is parsed once: 5,000 rows instead of
    75,000, and one tuple shared by all the assessments with that snapshot, so the summary can
    tell a snapshot it has already read by identity.
    """
    item = cast(AssessmentPoint.number, String) + ":" + AssessmentPoint.title
    parsed: dict[str, tuple[tuple[int, str], ...]] = {}
    points: dict[int, tuple[tuple[int, str], ...]] = {}
    for assessment_id, joined in read_rows(
        session,
        select(AssessmentPoint.assessment_id, func.aggregate_strings(item, POINT_SEPARATOR))
        .where(AssessmentPoint.assessment_id.in_(latest_ids))
        .group_by(AssessmentPoint.assessment_id),
    ):
        snapshot = parsed.get(joined)
        if snapshot is None:
            pairs = (entry.partition(":") for entry in joined.split(POINT_SEPARATOR))
            snapshot = parsed[joined] = tuple(
                sorted((int(number), title) for number, _, title in pairs)
            )
        points[assessment_id] = snapshot
    return points


def _current_answers(
    session: Session, latest_ids: Select[int]
) -> tuple[dict[int, dict[int, CurrentAnswer]], dict[int, datetime]]:
    """Each assessment's newest answer per point, one row per assessment, and when the newest
    of them was given (the assessment's last answer: a newer row is a later answer).

    The database keeps the newest row of each point (no newer row for the same point: an
    anti-join on the (assessment, point, id) index, where "id in (max per point)" made
    PostgreSQL hash and re-fetch every answer) and joins them into one string per assessment,
    "number:rating:evidence" items: 5,000 rows to read instead of 65,000. Ratings are enum
    words, so neither separator can occur in an item. Whether there is evidence is asked of
    the database too: decoding every answer's links in Python only to ask "any?" was a third
    of the load. Saved links are never empty strings (bot.core.flow.parse_links), so "any
    links" is "a non-empty array".
    """
    newer = aliased(Answer)
    has_evidence = or_(
        func.length(func.trim(Answer.evidence)) > 0,
        func.json_array_length(Answer.evidence_links) > 0,
    )
    item = (
        cast(Answer.point_number, String)
        + ":"
        + Answer.rating
        + case((has_evidence, ":1"), else_=":0")
    )
    rows = read_rows(
        session,
        select(
            Answer.assessment_id,
            func.aggregate_strings(item, ","),
            func.max(Answer.answered_at),
        )
        .where(
            Answer.assessment_id.in_(latest_ids),
            ~select(newer.id)
            .where(
                newer.assessment_id == Answer.assessment_id,
                newer.point_number == Answer.point_number,
                newer.id > Answer.id,
            )
            .exists(),
        )
        .group_by(Answer.assessment_id),
    )
    shared: dict[str, CurrentAnswer] = {}  # eight distinct values: one object each
    answers: dict[int, dict[int, CurrentAnswer]] = {}
    last_answered: dict[int, datetime] = {}
    for assessment_id, items, answered_at in rows:
        last_answered[assessment_id] = answered_at
        current = answers[assessment_id] = {}
        for entry in items.split(","):
            number, _, value = entry.partition(":")
            answer = shared.get(value)
            if answer is None:
                rating, _, evidence = value.partition(":")
                answer = shared[value] = CurrentAnswer(rating, evidence == "1")
            current[int(number)] = answer
    return answers, last_answered


# --- settings ----------------------------------------------------------------------------


def _settings(row: WorkspaceSettings) -> SummarySettings:
    return SummarySettings(
        team_id=row.team_id,
        channels=tuple(row.summary_channels or ()),
        weekday=row.summary_weekday,
        time=row.summary_time,
        phases=tuple(row.summary_phases or ()),
    )


def get_settings(*, session: Session, team_id: str) -> SummarySettings:
    """The workspace's settings, or the defaults (nothing configured) when never saved."""
    row = session.get(WorkspaceSettings, team_id, populate_existing=True)
    return SummarySettings(team_id=team_id) if row is None else _settings(row)


def all_settings(*, session: Session) -> list[SummarySettings]:
    rows = session.scalars(select(WorkspaceSettings).order_by(WorkspaceSettings.team_id))
    return [_settings(row) for row in rows]


def save_settings(
    settings: SummarySettings, *, session: Session, updated_by: str, now: datetime
) -> None:
    """Insert or replace, atomically, so two admins saving at once cannot collide."""
    values: dict[str, Any] = {
        "summary_channels": list(settings.channels),
        "summary_weekday": settings.weekday if 0 <= settings.weekday <= 6 else DEFAULT_WEEKDAY,
        "summary_time": settings.time or DEFAULT_TIME,
        "summary_phases": list(settings.phases),
        "updated_by": updated_by,
        "updated_at": now,
    }
    statement = (
        dialect_insert(session)(WorkspaceSettings)
        .values(team_id=settings.team_id, **values)
        .on_conflict_do_update(index_elements=["team_id"], set_=values)
    )
    session.execute(statement)


# --- claims ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    post_id: int
    reclaimed: bool = False  # taken over from a stale claim: its holder may have posted


def claim_scheduled(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    scheduled_for: datetime,
    now: datetime,
    claimed_by: str,
    stale_after: timedelta = STALE_CLAIM_AFTER,
) -> Claim | None:
    """Claim this week's summary for a channel; None when someone else has it (or sent it)."""
    post_id = insert_once(
        SummaryPost,
        {
            "team_id": team_id,
            "channel_id": channel_id,
            "scheduled_for": scheduled_for,
            "status": ClaimStatus.CLAIMED,
            "claimed_at": now,
            "claimed_by": claimed_by,
            "figures": {},
        },
        conflict_columns=["team_id", "channel_id", "scheduled_for"],
        returning=SummaryPost.id,
        session=session,
    )
    if post_id is not None:
        return Claim(post_id)
    existing = session.execute(
        select(
            SummaryPost.id, SummaryPost.status, SummaryPost.claimed_at, SummaryPost.claimed_by
        ).where(
            SummaryPost.team_id == team_id,
            SummaryPost.channel_id == channel_id,
            SummaryPost.scheduled_for == scheduled_for,
        )
    ).one_or_none()
    if existing is None or existing.status != ClaimStatus.CLAIMED:
        return None
    if now - existing.claimed_at <= stale_after:
        return None
    taken = session.execute(
        update(SummaryPost)
        .where(
            SummaryPost.id == existing.id,
            SummaryPost.status == ClaimStatus.CLAIMED,
            SummaryPost.claimed_at == existing.claimed_at,
            SummaryPost.claimed_by == existing.claimed_by,
        )
        .values(claimed_at=now, claimed_by=claimed_by)
        .execution_options(synchronize_session=False)
    )
    return Claim(existing.id, reclaimed=True) if _rowcount(taken) == 1 else None


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def claim_extra(
    *, session: Session, team_id: str, channel_id: str, now: datetime, claimed_by: str
) -> int:
    """An extra post (from /assess summary): never collides, never a trend baseline."""
    post = SummaryPost(
        team_id=team_id,
        channel_id=channel_id,
        scheduled_for=None,
        status=ClaimStatus.CLAIMED,
        claimed_at=now,
        claimed_by=claimed_by,
        figures={},
    )
    session.add(post)
    session.flush()
    return post.id


def mark_sent(
    post_id: int,
    *,
    session: Session,
    now: datetime,
    message_ts: str | None,
    figures: dict[str, Any],
) -> None:
    session.execute(
        update(SummaryPost)
        .where(SummaryPost.id == post_id)
        .values(status=ClaimStatus.SENT, sent_at=now, message_ts=message_ts, figures=figures)
        .execution_options(synchronize_session=False)
    )


def release(post_id: int, *, session: Session) -> None:
    """Give a claim back after Slack refused the post, so a later tick can try again."""
    session.execute(
        delete(SummaryPost)
        .where(SummaryPost.id == post_id, SummaryPost.status == ClaimStatus.CLAIMED)
        .execution_options(synchronize_session=False)
    )


def scheduled_posts_in_week(
    *, session: Session, team_id: str, channel_id: str, week: tuple[datetime, datetime]
) -> list[datetime]:
    """When this week's scheduled posts (sent or claimed) were due: "already done this week"
    holds even when the schedule moved after a post went out."""
    start, end = week
    return list(
        session.scalars(
            select(SummaryPost.scheduled_for)
            .where(
                SummaryPost.team_id == team_id,
                SummaryPost.channel_id == channel_id,
                SummaryPost.scheduled_for >= start,
                SummaryPost.scheduled_for < end,
            )
            .order_by(SummaryPost.scheduled_for)
        )
    )


def previous_figures(
    *, session: Session, team_id: str, channel_id: str, before: datetime | None = None
) -> dict[str, Any] | None:
    """The figures of the last scheduled summary sent to the channel (the trend baseline)."""
    statement = select(SummaryPost.figures).where(
        SummaryPost.team_id == team_id,
        SummaryPost.channel_id == channel_id,
        SummaryPost.status == ClaimStatus.SENT,
        SummaryPost.scheduled_for.is_not(None),
    )
    if before is not None:
        statement = statement.where(SummaryPost.scheduled_for < before)
    figures = session.scalar(statement.order_by(SummaryPost.scheduled_for.desc()).limit(1))
    return dict(figures) if figures else None
