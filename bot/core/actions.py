"""Improvement actions: what a team will do about a point not met, by whom and by when.

An action's life is open → done (with a note and optional evidence links) or open → dropped
(with a reason); re-dating needs a reason too. The action row holds the current state and
every change appends an `ActionEvent`, so nothing anyone said is lost. The rules live here,
not in the listener: who may change an action, what counts as bad input, what each change
records. Failures raise `ActionError` naming the modal field the message belongs to, so the
Slack layer can put it inline; nothing is written before every check has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.core.due import add_months
from bot.core.flow import LINK_LIMIT, MAX_LINKS, point_numbers
from bot.core.people import Person
from bot.core.reminders import snooze_until
from storage.models import ActionChange, ActionEvent, Assessment, ImprovementAction, Service
from storage.values import ActionStatus, Rating
from storage.views import ActionItem

TEXT_LIMIT = 500
NOTE_LIMIT = 3000
DEFAULT_DUE_MONTHS = 3
WEAK_RATINGS: frozenset[str] = frozenset({Rating.NOT_MET, Rating.PARTLY_MET})

# Modal block ids, so an error lands on its field (the builders use the same names).
TEXT_FIELD = "text"
OWNER_FIELD = "owner"
DUE_FIELD = "due"
NOTE_FIELD = "note"
LINKS_FIELD = "links"
REASON_FIELD = "reason"

__all__ = ["LINK_LIMIT", "MAX_LINKS"]


class ActionError(Exception):
    """Bad input or a change that cannot be made; `field` is the modal block it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class NewAction:
    text: str
    owner_id: str
    due_on: date


def default_due(today: date) -> date:
    """About three months: the time government assessments give to fix an amber point."""
    return add_months(today, DEFAULT_DUE_MONTHS)


def is_weak(rating: str | None) -> bool:
    """Not met and partly met points are the ones that get actions."""
    return rating in WEAK_RATINGS


def may_change(
    user_id: str, action: ActionItem, service_owner_ids: Iterable[str], is_admin: bool
) -> bool:
    """Service owners, admins and the action's own owner may change it; others only look."""
    return user_id == action.owner_id or user_id in set(service_owner_ids) or is_admin


def may_add(user_id: str, service_owner_ids: Iterable[str], is_admin: bool) -> bool:
    """Adding an action is part of answering for the service: its owners and admins."""
    return user_id in set(service_owner_ids) or is_admin


def check_new(
    text: str, owner_id: str, owner: Person | None, due_on: date | None, *, today: date
) -> NewAction:
    """The action as typed, or an `ActionError` on the first field that is wrong."""
    cleaned = text.strip()
    if not cleaned:
        raise ActionError(TEXT_FIELD, "Say what will be done.")
    if len(cleaned) > TEXT_LIMIT:
        raise ActionError(TEXT_FIELD, f"Keep it to {TEXT_LIMIT} characters ({len(cleaned)} now).")
    if not owner_id:
        raise ActionError(OWNER_FIELD, "Choose who will do it.")
    check_owner(owner)
    due = due_on if due_on is not None else default_due(today)
    check_due(due, today=today)
    return NewAction(cleaned, owner_id, due)


def check_owner(owner: Person | None) -> None:
    if owner is None or owner.deleted:
        raise ActionError(OWNER_FIELD, "That person has left Slack: choose someone who is here.")
    if owner.is_bot:
        raise ActionError(OWNER_FIELD, "A bot can't own an action: choose a person.")


def check_due(due_on: date, *, today: date) -> None:
    if due_on < today:
        raise ActionError(DUE_FIELD, "The due date can't be in the past.")


def check_target(assessment: Assessment, service: Service, point_number: int) -> None:
    """Actions only on live services and on points the assessment has."""
    if service.archived_at is not None:
        raise ActionError(TEXT_FIELD, "This service has been archived, so it takes no actions.")
    if point_number not in point_numbers(assessment):
        raise ActionError(TEXT_FIELD, f"Point {point_number} is not part of this assessment.")


def add_action(
    assessment: Assessment,
    service: Service,
    point_number: int,
    new: NewAction,
    *,
    user_id: str,
    now: datetime,
    session: Session,
) -> ImprovementAction:
    check_target(assessment, service, point_number)
    action = ImprovementAction(
        team_id=service.team_id,
        service_id=service.id,
        assessment_id=assessment.id,
        point_number=point_number,
        text=new.text,
        owner_id=new.owner_id,
        due_on=new.due_on,
        status=ActionStatus.OPEN,
        created_by=user_id,
        created_at=now,
        updated_at=now,
        note="",
        evidence_links=[],
    )
    session.add(action)
    session.flush()
    _record(action, ActionChange.CREATED, user_id, now, "", session)
    return action


def _check_open(action: ImprovementAction, field: str) -> None:
    if action.status != ActionStatus.OPEN:
        raise ActionError(field, f"This action is already {action.status}.")


def _check_live(service: Service, field: str) -> None:
    if service.archived_at is not None:
        raise ActionError(field, "This service has been archived, so its actions are closed.")


def mark_done(
    action: ImprovementAction,
    service: Service,
    note: str,
    links: Sequence[str],
    *,
    user_id: str,
    now: datetime,
    session: Session,
) -> None:
    """Done, with a note saying what was done and evidence links already validated."""
    _check_open(action, NOTE_FIELD)
    _check_live(service, NOTE_FIELD)
    cleaned = note.strip()
    if not cleaned:
        raise ActionError(NOTE_FIELD, "Say what was done.")
    action.status = ActionStatus.DONE
    action.note = cleaned[:NOTE_LIMIT]
    action.evidence_links = list(links)[:MAX_LINKS]
    action.closed_at = now
    action.closed_by = user_id
    action.updated_at = now
    _record(action, ActionChange.DONE, user_id, now, action.note, session)


def drop(
    action: ImprovementAction,
    service: Service,
    reason: str,
    *,
    user_id: str,
    now: datetime,
    session: Session,
) -> None:
    _check_open(action, REASON_FIELD)
    _check_live(service, REASON_FIELD)
    cleaned = reason.strip()
    if not cleaned:
        raise ActionError(REASON_FIELD, "Say why this action is dropped.")
    action.status = ActionStatus.DROPPED
    action.note = cleaned[:NOTE_LIMIT]
    action.closed_at = now
    action.closed_by = user_id
    action.updated_at = now
    _record(action, ActionChange.DROPPED, user_id, now, action.note, session)


def redate(
    action: ImprovementAction,
    service: Service,
    due_on: date | None,
    reason: str,
    *,
    user_id: str,
    now: datetime,
    today: date,
    session: Session,
) -> None:
    """A new due date, with the reason kept in the history (the nudges start again for it)."""
    _check_open(action, DUE_FIELD)
    _check_live(service, DUE_FIELD)
    if due_on is None:
        raise ActionError(DUE_FIELD, "Choose the new due date.")
    check_due(due_on, today=today)
    if due_on == action.due_on:
        raise ActionError(DUE_FIELD, "That is already its due date.")
    cleaned = reason.strip()
    if not cleaned:
        raise ActionError(REASON_FIELD, "Say why the date moves.")
    action.due_on = due_on
    action.snoozed_until = None
    action.updated_at = now
    _record(action, ActionChange.REDATED, user_id, now, cleaned[:NOTE_LIMIT], session)


def snooze(action: ImprovementAction, *, user_id: str, now: datetime, session: Session) -> datetime:
    """Its nudges wait a week more (at most 4 weeks from now), like a service's."""
    if action.status != ActionStatus.OPEN:
        raise ActionError(REASON_FIELD, f"This action is already {action.status}.")
    until = snooze_until(action.snoozed_until, now)
    action.snoozed_until = until
    action.updated_at = now
    _record(action, ActionChange.SNOOZED, user_id, now, f"until {until.isoformat()}", session)
    return until


def _record(
    action: ImprovementAction,
    change: ActionChange,
    user_id: str,
    now: datetime,
    reason: str,
    session: Session,
) -> None:
    session.add(
        ActionEvent(
            team_id=action.team_id,
            action_id=action.id,
            change=change,
            changed_by=user_id,
            changed_at=now,
            status=action.status,
            due_on=action.due_on,
            reason=reason,
            evidence_links=list(action.evidence_links),
        )
    )
    session.flush()


# --- what cards and lists say about a point's actions -------------------------------------------


def all_done(actions: Sequence[ActionItem]) -> bool:
    """Every action on the point is done (dropped ones left aside), and there is one."""
    kept = [action for action in actions if action.status != ActionStatus.DROPPED]
    return bool(kept) and all(action.status == ActionStatus.DONE for action in kept)


def is_overdue(action: ActionItem, today: date) -> bool:
    return action.status == ActionStatus.OPEN and action.due_on < today
