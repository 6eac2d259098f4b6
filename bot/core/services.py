"""Registering, editing, archiving and finding services.

Validation returns errors keyed by form field, so the Slack layer can show each one inline on
the field it belongs to and save nothing until the whole form is valid.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.due import INTERVAL_CHOICES, Due, initial_due, next_due
from standards import PHASES, SERVICE_TYPES, Catalogue
from storage.models import Service, ServiceOwner
from storage.service_queries import name_key, service_by_name, service_names

NAME_LIMIT = 80
DESCRIPTION_LIMIT = 3000
MAX_OWNERS = 20


@dataclass(frozen=True)
class ServiceForm:
    name: str
    description: str
    standard_id: str
    phase: str
    team_channel_id: str
    owner_ids: tuple[str, ...]
    interval_months: int
    last_assessed_on: date | None
    publishable: bool = False  # may `assessbot publish` put it on a public site (#16)
    service_type: str = "transactional"  # outcomes (#13): or "relational"


FieldErrors = dict[str, str]


def validate_form(
    form: ServiceForm,
    *,
    team_id: str,
    catalogue: Catalogue,
    today: date,
    session: Session,
    editing: Service | None = None,
) -> FieldErrors:
    errors: FieldErrors = {}
    name = " ".join(form.name.split())
    if not name:
        errors["name"] = "Give the service a name."
    elif len(name) > NAME_LIMIT:
        errors["name"] = f"Keep the name to {NAME_LIMIT} characters or fewer (it has {len(name)})."
    else:
        clash = service_by_name(name, team_id=team_id, session=session)
        if clash is not None and (editing is None or clash.id != editing.id):
            errors["name"] = name_taken_text(clash)
    if len(form.description) > DESCRIPTION_LIMIT:
        errors["description"] = f"Keep the description to {DESCRIPTION_LIMIT} characters."
    if catalogue.get(form.standard_id) is None:
        errors["standard"] = "Choose one of the standards in the list."
    if form.phase not in PHASES:
        errors["phase"] = "Choose a phase: discovery, alpha, beta or live."
    if not form.team_channel_id:
        errors["channel"] = "Choose the team's channel."
    if not form.owner_ids:
        errors["owners"] = "Choose at least one owner."
    elif len(form.owner_ids) > MAX_OWNERS:
        errors["owners"] = f"Choose at most {MAX_OWNERS} owners."
    if form.interval_months not in INTERVAL_CHOICES:
        errors["interval"] = "Choose 3, 6 or 12 months."
    if form.last_assessed_on is not None and form.last_assessed_on > today:
        errors["last_assessed"] = "The last assessment can't be in the future."
    if form.service_type not in SERVICE_TYPES:
        errors["service_type"] = "Choose transactional or relational."
    return errors


def register_service(
    form: ServiceForm, *, team_id: str, user_id: str, now: datetime, tz: ZoneInfo, session: Session
) -> Service:
    """Add a validated service; the caller's transaction commits it."""
    today = now.astimezone(tz).date()
    next_due, reason = initial_due(today, form.last_assessed_on, form.interval_months)
    name = " ".join(form.name.split())
    service = Service(
        team_id=team_id,
        name=name,
        name_key=name_key(name),
        description=form.description.strip(),
        standard_id=form.standard_id,
        phase=form.phase,
        team_channel_id=form.team_channel_id,
        interval_months=form.interval_months,
        last_assessed_on=form.last_assessed_on,
        next_due_on=next_due,
        due_reason=reason,
        created_by=user_id,
        created_at=now,
        updated_at=now,
        publishable=form.publishable,
        service_type=form.service_type,
        owners=[ServiceOwner(user_id=owner) for owner in dict.fromkeys(form.owner_ids)],
    )
    session.add(service)
    session.flush()
    return service


def update_service(
    service: Service, form: ServiceForm, *, now: datetime, tz: ZoneInfo, session: Session
) -> bool:
    """Apply an edit; returns True when the phase changed, which makes a reassessment due now.

    Phase gates are when real assessments happen, so moving alpha → beta is itself a reason
    to reassess.
    """
    name = " ".join(form.name.split())
    phase_changed = form.phase != service.phase
    service.name = name
    service.name_key = name_key(name)
    service.description = form.description.strip()
    service.standard_id = form.standard_id
    service.phase = form.phase
    service.team_channel_id = form.team_channel_id
    service.interval_months = form.interval_months
    service.publishable = form.publishable
    service.service_type = form.service_type
    if form.last_assessed_on != service.last_assessed_on and form.last_assessed_on is not None:
        service.last_assessed_on = form.last_assessed_on
    wanted = list(dict.fromkeys(form.owner_ids))
    service.owners = [owner for owner in service.owners if owner.user_id in wanted] + [
        ServiceOwner(user_id=user) for user in wanted if user not in service.owner_ids
    ]
    if phase_changed:
        service.phase_changed_on = now.astimezone(tz).date()
    # The interval, "last assessed" and a phase change all set the date: recompute it from
    # the edited values rather than keep a date worked out from the old ones.
    due = due_of(service, tz)
    service.next_due_on, service.due_reason = due.on, due.reason
    service.updated_at = now
    session.flush()
    return phase_changed


def due_of(service: Service, tz: ZoneInfo) -> Due:
    """The service's due date worked out from its facts, with why (see `next_due`)."""
    return next_due(
        registered_on=service.created_at.astimezone(tz).date(),
        last_assessed_on=service.last_assessed_on,
        interval_months=service.interval_months,
        phase_changed_on=service.phase_changed_on,
    )


def name_taken_text(clash: Service) -> str:
    """The inline error for a name in use; an archived holder can be brought back instead."""
    if clash.archived_at is not None:
        return (
            f"'{clash.name}' is an archived service. Bring it back, with its history, with "
            f"/assess restore {clash.name} — or choose another name."
        )
    return f"There is already a service called '{clash.name}'."


def archive_service(service: Service, *, user_id: str, now: datetime) -> None:
    """Hide from lists, reminders and summaries; the history stays for exports."""
    service.archived_at = now
    service.archived_by = user_id
    service.updated_at = now


def restore_service(service: Service, *, now: datetime) -> None:
    """Undo an archive: the service is listed and reminded about again, history intact."""
    service.archived_at = None
    service.archived_by = None
    service.updated_at = now


@dataclass(frozen=True)
class NotFound:
    """No service by that name: the closest names, or every name when none is close."""

    asked: str
    suggestions: tuple[str, ...]
    all_names: tuple[str, ...]


def find_service(name: str, *, team_id: str, session: Session) -> Service | NotFound:
    found = service_by_name(name, team_id=team_id, session=session)
    if found is not None and found.archived_at is None:
        return found
    names = service_names(team_id=team_id, session=session)
    by_key = {name_key(candidate): candidate for candidate in names}
    close = difflib.get_close_matches(name_key(name), list(by_key), n=3, cutoff=0.5)
    prefix = [
        candidate
        for key, candidate in by_key.items()
        if name_key(name) and key.startswith(name_key(name))
    ]
    suggestions = tuple(dict.fromkeys([*(by_key[key] for key in close), *prefix]))[:3]
    return NotFound(asked=name, suggestions=suggestions, all_names=tuple(names))
