"""Saving improvement actions: Slack first, then one short transaction, never both at once.

Each function asks Slack what it needs (users.info for the chosen owner, the admin check)
before it opens a transaction, applies `bot.core.actions`' rules inside it, and raises
`ActionError` (keyed by the modal field, plain text) or `Refused` (mrkdwn, for a click) for
anything it will not do, so the listener only parses, acknowledges and follows up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.blocks.words import day, mention
from bot.core import actions as core
from bot.core.actions import ActionError
from bot.core.flow import parse_links
from bot.core.text import safe
from bot.deps import Deps
from bot.slack.directory import request_directory
from bot.slack.errors import SLACK_CALL_ERRORS
from bot.slack.lookup import manages, may_manage, refusal_text
from bot.slack.thread import Posted, refresh_card, refresh_completion
from storage.action_queries import action_for_update, action_view
from storage.assessment_queries import assessment_by_id, assessment_for_update, latest_assessment
from storage.models import Assessment, Service
from storage.values import ActionStatus, ActionView

logger = logging.getLogger(__name__)

SLACK_CHECK_FAILED = "Couldn't check that with Slack just now; please try again."


class Refused(Exception):
    """A click that will not be acted on; the text (mrkdwn) says why."""


def today(deps: Deps) -> date:
    return deps.clock().astimezone(deps.settings.timezone).date()


# --- who may ------------------------------------------------------------------------------------


def may_change(deps: Deps, client: WebClient, user_id: str, found: ActionView) -> bool:
    """The action's owner and the service's owners without asking Slack; admins with one call."""
    if core.may_change(user_id, found.action, found.service_owner_ids, False):
        return True
    return manages(deps, client, user_id, found.service)


def refusal(found: ActionView) -> str:
    owners = ", ".join(mention(owner) for owner in found.service_owner_ids) or "its owners"
    return (
        f"Sorry, only the action's owner ({mention(found.action.owner_id)}), the owners of "
        f"{safe(found.service.name, 80)} ({owners}) or an admin can change this action."
    )


def changeable(
    deps: Deps, client: WebClient, *, team_id: str, user_id: str, action_id: int
) -> ActionView | None:
    """The clicked action if the clicker may change it; None if it is not in their workspace."""
    with deps.sessions() as session:
        found = action_view(action_id, team_id=team_id, session=session)
    if found is None:
        return None
    if not may_change(deps, client, user_id, found):
        raise Refused(refusal(found))
    if found.action.status != ActionStatus.OPEN:
        raise Refused(f"This action is already {found.action.status}.")
    return found


def addable(
    deps: Deps, client: WebClient, *, team_id: str, user_id: str, assessment_id: int, point: int
) -> tuple[Assessment, Service] | None:
    """The assessment and service a new action would go on, if the clicker may add one."""
    with deps.sessions() as session:
        assessment = assessment_by_id(assessment_id, team_id=team_id, session=session)
        service = session.get(Service, assessment.service_id) if assessment else None
    if assessment is None or service is None:
        return None
    try:
        core.check_target(assessment, service, point)
    except ActionError as error:
        raise Refused(error.message) from None
    if not manages(deps, client, user_id, service):
        raise Refused(refusal_text(service, "add actions to it"))
    return assessment, service


# --- saving -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewActionForm:
    assessment_id: int
    point: int
    text: str
    owner_id: str
    due_on: date | None


def save_new_action(
    deps: Deps, client: WebClient, *, team_id: str, user_id: str, form: NewActionForm
) -> bool:
    """Add the action; False when the assessment is not in this workspace (nothing to say)."""
    directory = request_directory(deps.people, client, team_id)
    try:  # Slack first: who the owner is (left Slack?) and whether the submitter may add.
        owner = directory.lookup(form.owner_id) if form.owner_id else None
        with deps.sessions() as session:
            assessment = assessment_by_id(form.assessment_id, team_id=team_id, session=session)
            service = session.get(Service, assessment.service_id) if assessment else None
        allowed = service is not None and may_manage(
            directory, user_id, service, deps.settings.admins
        )
    except SLACK_CALL_ERRORS:
        raise ActionError(core.OWNER_FIELD, SLACK_CHECK_FAILED) from None
    if service is None:
        return False
    if not allowed:
        raise ActionError(
            core.TEXT_FIELD, f"Only the owners of {service.name} or an admin can add actions."
        )
    with deps.sessions.begin() as session:
        locked = assessment_for_update(form.assessment_id, team_id=team_id, session=session)
        current = session.get(Service, service.id)
        if locked is None or current is None:
            return False
        new = core.check_new(form.text, form.owner_id, owner, form.due_on, today=today(deps))
        core.add_action(
            locked, current, form.point, new, user_id=user_id, now=deps.clock(), session=session
        )
    return True


@dataclass(frozen=True)
class ChangeForm:
    """What a Mark done, Change due date or Drop modal submitted."""

    kind: str  # "done", "redate" or "drop"
    first_field: str  # where a refusal is shown
    note: str = ""
    links: str = ""
    due_on: date | None = None
    reason: str = ""


def save_change(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    user_id: str,
    action_id: int,
    form: ChangeForm,
) -> tuple[ActionView, str] | None:
    """Apply the change; the action as it was and a few words saying what happened."""
    links, problem = parse_links(form.links)
    if problem:
        raise ActionError(core.LINKS_FIELD, problem)
    try:
        with deps.sessions() as session:
            found = action_view(action_id, team_id=team_id, session=session)
        allowed = found is not None and may_change(deps, client, user_id, found)
    except SLACK_CALL_ERRORS:
        raise ActionError(form.first_field, SLACK_CHECK_FAILED) from None
    if found is None:
        return None
    if not allowed:
        raise ActionError(
            form.first_field,
            f"Only the action's owner, the owners of {found.service.name[:60]} or an admin "
            "can change this action.",
        )
    now = deps.clock()
    with deps.sessions.begin() as session:
        action = action_for_update(action_id, team_id=team_id, session=session)
        service = session.get(Service, found.service.id)
        if action is None or service is None:
            return None
        if form.kind == "done":
            core.mark_done(
                action, service, form.note, links, user_id=user_id, now=now, session=session
            )
            verb = "Marked done"
        elif form.kind == "redate":
            core.redate(
                action,
                service,
                form.due_on,
                form.reason,
                user_id=user_id,
                now=now,
                today=today(deps),
                session=session,
            )
            verb = f"Now due {day(action.due_on)}"
        else:
            core.drop(action, service, form.reason, user_id=user_id, now=now, session=session)
            verb = "Dropped"
    return found, verb


def save_snooze(
    deps: Deps, client: WebClient, *, team_id: str, user_id: str, action_id: int
) -> tuple[ActionView, datetime] | None:
    found = changeable(deps, client, team_id=team_id, user_id=user_id, action_id=action_id)
    if found is None:
        return None
    with deps.sessions.begin() as session:
        action = action_for_update(action_id, team_id=team_id, session=session)
        if action is None:
            return None
        try:
            until = core.snooze(action, user_id=user_id, now=deps.clock(), session=session)
        except ActionError as error:
            raise Refused(error.message) from None
    return found, until


# --- after the ack ------------------------------------------------------------------------------


def after_change(
    deps: Deps,
    client: WebClient,
    *,
    assessment_id: int,
    point: int,
    response_url: str | None = None,
    note: str = "",
    completion: Posted | None = None,
) -> None:
    """Show the change on the point's cards (where it arose, and a reassessment's) and on the
    completion message it was added from; say so."""
    with deps.sessions() as session:
        arose = session.get(Assessment, assessment_id)
        service = session.get(Service, arose.service_id) if arose else None
        latest = latest_assessment(service.id, session=session) if service else None
    if arose is None or service is None:
        return
    refresh_card(deps, client, arose, service, point)
    if latest is not None and latest.id != arose.id:
        refresh_card(deps, client, latest, service, point)
    if completion is not None:
        refresh_completion(deps, client, arose, service, completion)
    if note and response_url and response_url.startswith(("https://", "http://")):
        try:
            WebhookClient(response_url).send(
                text=note, response_type="ephemeral", replace_original=False
            )
        except SLACK_CALL_ERRORS as error:
            logger.info("could not confirm an action change: %s", error)
