"""Reading and writing assessments, answers and cards.

Answers are append-only; "the current answer" is the newest row per point. Writers lock the
assessment row first (`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already
serialises writers) so two people answering the last two points at once cannot both miss
the completion.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from storage.claims import insert_once
from storage.models import (
    Answer,
    Assessment,
    AssessmentPoint,
    Card,
    CardStatus,
    ClaimStatus,
    CompletionPost,
)
from storage.reads import read_rows
from storage.values import AssessmentStatus
from storage.view_rows import ANSWER_VIEW_COLUMNS, answer_view_of_row
from storage.views import AnswerView


def assessment_for_update(
    assessment_id: int, *, team_id: str, session: Session
) -> Assessment | None:
    """The assessment, locked for this transaction, only if it is in `team_id`."""
    return session.scalars(
        select(Assessment)
        .where(Assessment.id == assessment_id, Assessment.team_id == team_id)
        .with_for_update()
    ).one_or_none()


_newer = aliased(Assessment)
_LOCKED_WITH_LATEST = (
    select(
        Assessment,
        select(func.max(_newer.id))
        .where(_newer.service_id == Assessment.service_id)
        .correlate(Assessment)
        .scalar_subquery(),
    )
    .where(Assessment.id == bindparam("assessment_id"), Assessment.team_id == bindparam("team_id"))
    # The point snapshot joined in (one statement, not a selectin second); only the
    # assessment's row is locked, as before.
    .options(joinedload(Assessment.points))
    .with_for_update(of=Assessment)
)


def assessment_for_update_with_latest(
    assessment_id: int, *, team_id: str, session: Session
) -> tuple[Assessment, int] | None:
    """`assessment_for_update`, and the id of its service's newest assessment (what
    `latest_assessment` would load whole) in the same statement: a click checks that its
    assessment is still the current one without another read. Built once (see below)."""
    row = (
        session.execute(_LOCKED_WITH_LATEST, {"assessment_id": assessment_id, "team_id": team_id})
        .unique()
        .one_or_none()
    )
    return None if row is None else (row[0], row[1])


def assessment_by_id(assessment_id: int, *, team_id: str, session: Session) -> Assessment | None:
    return session.scalars(
        select(Assessment)
        .where(Assessment.id == assessment_id, Assessment.team_id == team_id)
        .options(selectinload(Assessment.points))
    ).one_or_none()


def in_progress_assessment(service_id: int, *, session: Session) -> Assessment | None:
    return session.scalars(
        select(Assessment).where(
            Assessment.service_id == service_id,
            Assessment.status == AssessmentStatus.IN_PROGRESS,
        )
    ).one_or_none()


def latest_assessment(service_id: int, *, session: Session) -> Assessment | None:
    return session.scalars(
        select(Assessment)
        .where(Assessment.service_id == service_id)
        .order_by(Assessment.id.desc())
        .limit(1)
    ).first()


def previous_completed(
    service_id: int, *, before_id: int | None = None, session: Session
) -> Assessment | None:
    """The newest completed assessment (before `before_id`, when given)."""
    query = select(Assessment).where(
        Assessment.service_id == service_id,
        Assessment.status == AssessmentStatus.COMPLETED,
    )
    if before_id is not None:
        query = query.where(Assessment.id < before_id)
    return session.scalars(query.order_by(Assessment.id.desc()).limit(1)).first()


# The newest answer of each answered point of one assessment: the rows `current_answers` loads
# as entities (inside a click's transaction) and `current_answer_views` reads as columns.
_NEWEST_ANSWER_IDS = (
    select(func.max(Answer.id))
    .where(Answer.assessment_id == bindparam("assessment_id"))
    .group_by(Answer.point_number)
)
_CURRENT_ANSWER_ROWS = select(Answer).where(Answer.id.in_(_NEWEST_ANSWER_IDS))


def current_answers(assessment_id: int, *, session: Session) -> dict[int, Answer]:
    """The newest answer of each answered point."""
    rows = session.scalars(_CURRENT_ANSWER_ROWS, {"assessment_id": assessment_id})
    return {answer.point_number: answer for answer in rows}


# --- read paths: columns through Core, statements built once --------------------------------
#
# `/assess status` and a click's thread update read the answers only to show them. Building
# `Answer` entities, and building (and deriving the cache key of) these selects per request,
# cost more CPU than the database took to run them; the statements below are built once, with
# bound parameters, and run through Core on the session's connection (see `storage.reads`:
# read paths only, where nothing is pending).

_CURRENT_ANSWERS = select(*ANSWER_VIEW_COLUMNS).where(Answer.id.in_(_NEWEST_ANSWER_IDS))


def current_answer_views(assessment_id: int, *, session: Session) -> dict[int, AnswerView]:
    """`current_answers` as snapshots, for read paths (no entities, no autoflush)."""
    rows = read_rows(session, _CURRENT_ANSWERS, {"assessment_id": assessment_id})
    return {view.point_number: view for view in map(answer_view_of_row, rows)}


def _newest_completed(*, before: bool) -> Select[int]:
    """The id of the service's newest completed assessment (bound: `service_id`, and
    `before_id` when `before`), as `previous_completed` finds it."""
    query = select(Assessment.id).where(
        Assessment.service_id == bindparam("service_id"),
        Assessment.status == AssessmentStatus.COMPLETED,
    )
    if before:
        query = query.where(Assessment.id < bindparam("before_id"))
    return query.order_by(Assessment.id.desc()).limit(1)


_NEWEST_COMPLETED = _newest_completed(before=False)
_TITLES_WITH_REVIEWED = (
    select(
        AssessmentPoint.assessment_id,
        AssessmentPoint.number,
        AssessmentPoint.title,
        _NEWEST_COMPLETED.scalar_subquery(),
    )
    .where(
        AssessmentPoint.assessment_id.in_(
            [bindparam("assessment_id"), _NEWEST_COMPLETED.scalar_subquery()]
        )
    )
    .order_by(AssessmentPoint.assessment_id, AssessmentPoint.number)
)


def titles_with_reviewed(
    assessment_id: int, service_id: int, *, session: Session
) -> tuple[dict[int, str], int | None, dict[int, str]]:
    """For `/assess status`, in one statement: the point titles of `assessment_id`, the id of
    the service's newest completed assessment (what `previous_completed` would load whole; it
    may be `assessment_id` itself) and that one's titles. Only if the assessment had no points
    at all would the rows not say which assessment is the newest completed; then it is asked."""
    rows = read_rows(
        session, _TITLES_WITH_REVIEWED, {"assessment_id": assessment_id, "service_id": service_id}
    )
    if rows:
        reviewed_id = rows[0][3]
    else:
        found = read_rows(session, _NEWEST_COMPLETED, {"service_id": service_id})
        reviewed_id = found[0][0] if found else None
    titles: dict[int, dict[int, str]] = {assessment_id: {}}
    for of, number, title, _ in rows:
        titles.setdefault(of, {})[number] = title
    reviewed = {} if reviewed_id is None else titles.get(reviewed_id, {})
    return titles[assessment_id], reviewed_id, reviewed


def point_titles(assessment_id: int, *, session: Session) -> dict[int, str]:
    """The assessment's snapshot of point titles by number, without loading the assessment."""
    rows = session.execute(
        select(AssessmentPoint.number, AssessmentPoint.title)
        .where(AssessmentPoint.assessment_id == assessment_id)
        .order_by(AssessmentPoint.number)
    )
    return {number: title for number, title in rows}


def cards_of(assessment_id: int, *, session: Session) -> list[Card]:
    return list(
        session.scalars(select(Card).where(Card.assessment_id == assessment_id).order_by(Card.id))
    )


def reserve_card(
    *,
    assessment_id: int,
    point_number: int,
    attempt: int,
    channel_id: str,
    now: datetime,
    session: Session,
) -> int | None:
    """Insert the card unless someone else already did; the id only for the winner."""
    return insert_once(
        Card,
        {
            "assessment_id": assessment_id,
            "point_number": point_number,
            "attempt": attempt,
            "status": CardStatus.OPEN,
            "channel_id": channel_id,
            "reserved_at": now,
        },
        conflict_columns=["assessment_id", "point_number", "attempt"],
        returning=Card.id,
        session=session,
    )


def unposted_cards(assessment_id: int, *, session: Session) -> list[Card]:
    """Cards reserved but never posted (the process died between reserve and post)."""
    return list(
        session.scalars(
            select(Card).where(
                Card.assessment_id == assessment_id,
                Card.status == CardStatus.OPEN,
                Card.message_ts.is_(None),
            )
        )
    )


_PREVIOUS_ID = _newest_completed(before=True).scalar_subquery()
_inner = aliased(Answer)
_PREVIOUS_ANSWERS = (
    select(Assessment.id, *ANSWER_VIEW_COLUMNS)
    .outerjoin(
        Answer,
        Answer.id.in_(
            select(func.max(_inner.id))
            .where(_inner.assessment_id == _PREVIOUS_ID)
            .group_by(_inner.point_number)
        ),
    )
    .where(Assessment.id == _PREVIOUS_ID)
)


def previous_completed_answers(
    service_id: int, *, before_id: int, session: Session
) -> tuple[int | None, dict[int, AnswerView]]:
    """The newest completed assessment before `before_id` (its id, None when there is none)
    and its current answers as snapshots, in one statement: a card shows the last rating
    beside its own. A read path (Core, no autoflush): the thread's state is read after the
    save has committed."""
    rows = read_rows(session, _PREVIOUS_ANSWERS, {"service_id": service_id, "before_id": before_id})
    # Each row is the assessment's id and one answer's columns, all None where it has none.
    views = (answer_view_of_row(row[1:]) for row in rows if row[1] is not None)
    answers = {view.point_number: view for view in views}
    return (rows[0][0] if rows else None), answers


def record_card_posted(card_id: int, *, message_ts: str, now: datetime, session: Session) -> None:
    """Where a reserved card went, in one statement (a card already recorded keeps its ts)."""
    session.execute(
        update(Card)
        .where(Card.id == card_id, Card.message_ts.is_(None))
        .values(message_ts=message_ts, posted_at=now)
    )


# --- completion messages, claimed before they are posted (exactly once) ---------------------

COMPLETION_STALE_AFTER = timedelta(minutes=10)


def claim_completion(
    *,
    assessment_id: int,
    channel_id: str,
    thread_ts: str | None,
    broadcast: bool,
    now: datetime,
    claimed_by: str,
    session: Session,
) -> int | None:
    """Insert the completion's claim for one channel; its id only for the one that did."""
    return insert_once(
        CompletionPost,
        {
            "assessment_id": assessment_id,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "broadcast": broadcast,
            "status": ClaimStatus.CLAIMED.value,
            "claimed_at": now,
            "claimed_by": claimed_by[:64],
            "attempts": 1,
        },
        conflict_columns=["assessment_id", "channel_id"],
        returning=CompletionPost.id,
        session=session,
    )


def stale_completions(
    assessment_id: int,
    *,
    now: datetime,
    session: Session,
    stale_after: timedelta = COMPLETION_STALE_AFTER,
) -> list[CompletionPost]:
    """Claims of this assessment left unsent for longer than `stale_after` (a read: most
    callers find none and need not take SQLite's write lock to learn it)."""
    return list(
        session.scalars(
            select(CompletionPost).where(
                CompletionPost.assessment_id == assessment_id,
                CompletionPost.status == ClaimStatus.CLAIMED.value,
                CompletionPost.claimed_at < now - stale_after,
            )
        )
    )


def take_over_completions(
    stale: Sequence[CompletionPost], *, now: datetime, claimed_by: str, session: Session
) -> list[CompletionPost]:
    """Make these stale claims ours; a claim another process takes over at the same moment
    goes to one of them only (the update matches only the claim time it was read with)."""
    taken = []
    for claim in stale:
        result = session.execute(
            update(CompletionPost)
            .where(
                CompletionPost.id == claim.id,
                CompletionPost.status == ClaimStatus.CLAIMED.value,
                CompletionPost.claimed_at == claim.claimed_at,
            )
            .values(claimed_at=now, claimed_by=claimed_by[:64], attempts=claim.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            taken.append(claim)
    return taken


def record_completion_sent(
    claim_id: int, *, message_ts: str, now: datetime, session: Session
) -> None:
    session.execute(
        update(CompletionPost)
        .where(CompletionPost.id == claim_id)
        .values(status=ClaimStatus.SENT.value, sent_at=now, message_ts=message_ts)
    )
