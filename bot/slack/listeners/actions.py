"""Improvement actions: `/assess actions`, Add action, Mark done, Change due date, Drop, Snooze.

Each change goes: Slack first (users.info for the chosen owner, the admin check), then one
short transaction that re-reads the rows and applies the core's rules, then the ack (modal
errors inline, keyed by field), then the Slack follow-up: refreshed cards, a note to the person.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.blocks import action_ids
from bot.blocks.actions import (
    action_metadata,
    build_action_list,
    build_add_modal,
    build_done_modal,
    build_drop_modal,
    build_redate_modal,
    changed_text,
)
from bot.blocks.assessment import parse_card_value
from bot.blocks.words import day, mention
from bot.core import actions as core
from bot.core.actions import ActionError
from bot.core.flow import parse_links
from bot.core.text import safe
from bot.deps import Deps
from bot.slack import view_state
from bot.slack.after_ack import later
from bot.slack.directory import SlackDirectory
from bot.slack.errors import (
    COULD_NOT_SAVE,
    DATABASE_ERRORS,
    SLACK_CALL_ERRORS,
    tell_user_on_failure,
)
from bot.slack.lookup import may_manage, named_service, refusal_text
from bot.slack.router import CommandRequest, CommandRouter
from bot.slack.thread import refresh_card
from storage.action_queries import (
    ActionView,
    action_for_update,
    action_view,
    actions_for_person,
    actions_of_service,
)
from storage.assessment_queries import assessment_by_id, assessment_for_update, latest_assessment
from storage.models import Assessment, ImprovementAction, Service

logger = logging.getLogger(__name__)

USAGE = "/assess actions [service]"
SLACK_CHECK_FAILED = "Couldn't check that with Slack just now; please try again."


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "actions",
        _list,
        usage=USAGE,
        summary="Improvement actions: yours, then your services', soonest due first",
        example="/assess actions Garden waste",
    )

    @app.action(action_ids.ADD)
    def on_add(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        with tell_user_on_failure(_teller(respond), "opening the action modal"):
            _open_add(deps, body, client, _teller(respond))

    for action_id, build in (
        (action_ids.DONE, build_done_modal),
        (action_ids.REDATE, build_redate_modal),
        (action_ids.DROP, build_drop_modal),
    ):
        app.action(action_id)(_change_opener(deps, build))

    @app.action(action_ids.SNOOZE)
    def on_snooze(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        with tell_user_on_failure(_teller(respond), "snoozing an action"):
            _snooze(deps, body, client, _teller(respond))

    @app.view(action_ids.ADD_VIEW)
    def on_add_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _submit_add(deps, ack, body, client)

    for callback_id, change in (
        (action_ids.DONE_VIEW, _done),
        (action_ids.REDATE_VIEW, _redate),
        (action_ids.DROP_VIEW, _drop),
    ):
        app.view(callback_id)(_change_submitter(deps, change))


# --- /assess actions ----------------------------------------------------------------------------


def _list(request: CommandRequest) -> None:
    deps = request.deps
    today = _today(deps)
    with deps.sessions() as session:
        if request.args:
            service = named_service(request, session, USAGE)
            if service is None:
                return
            views = actions_of_service(session=session, service_id=service.id)
            title = f"Actions · {service.name}"
            empty = f"{safe(service.name, 80)} has no actions yet."
        else:
            views = actions_for_person(
                session=session, team_id=request.team_id, user_id=request.user_id
            )
            title = "Your open actions"
            empty = "You have no open actions, and none are open on services you own."
    admin: list[bool] = []

    def may(view: ActionView) -> bool:
        if core.may_change(request.user_id, view.action, view.service_owner_ids, False):
            return True
        if not admin:  # one users.info, and only if someone else's action is listed
            admin.append(request.is_admin())
        return admin[0]

    text, blocks = build_action_list(title, views, today=today, may_change=may, empty=empty)
    request.reply(text, blocks)


# --- Add action ---------------------------------------------------------------------------------


def _open_add(
    deps: Deps, body: dict[str, Any], client: WebClient, tell: Callable[[str], Any]
) -> None:
    parsed = parse_card_value(body["actions"][0].get("value", ""))
    if parsed is None:
        return
    assessment_id, point = parsed
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    with deps.sessions() as session:
        assessment = assessment_by_id(assessment_id, team_id=team_id, session=session)
        service = session.get(Service, assessment.service_id) if assessment else None
    if assessment is None or service is None:
        return
    titles = {p.number: p.title for p in assessment.points}
    if point not in titles:
        tell(f"Point {point} is not part of this assessment.")
        return
    if service.archived_at is not None:
        tell("This service has been archived, so it takes no actions.")
        return
    if not may_manage(SlackDirectory(client), user_id, service, deps.settings.admins):
        tell(refusal_text(service, "add actions to it"))
        return
    metadata = action_metadata(a=assessment_id, p=point, **_container(body))
    view = build_add_modal(
        f"Point {point} · {titles[point]}",
        metadata,
        owner_id=user_id,
        due_on=core.default_due(_today(deps)),
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _submit_add(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    meta = _metadata(view)
    try:
        assessment_id, point = int(meta["a"]), int(meta["p"])
    except (KeyError, TypeError, ValueError):
        ack()
        return
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    text = view_state.text_value(view, core.TEXT_FIELD)
    owner_id = view_state.selected_user(view, core.OWNER_FIELD)
    due_on = view_state.selected_date(view, core.DUE_FIELD)
    directory = SlackDirectory(client)
    # Slack first: who the owner is (left Slack?) and whether the submitter may add.
    try:
        owner = directory.lookup(owner_id) if owner_id else None
        with deps.sessions() as session:
            service = _service_of(assessment_id, team_id, session)
        allowed = service is not None and may_manage(
            directory, user_id, service, deps.settings.admins
        )
    except SLACK_CALL_ERRORS:
        ack(response_action="errors", errors={core.OWNER_FIELD: SLACK_CHECK_FAILED})
        return
    if service is None:
        ack()
        return
    if not allowed:
        refused = f"Only the owners of {service.name} or an admin can add actions to it."
        ack(response_action="errors", errors={core.TEXT_FIELD: _short(refused)})
        return
    now = deps.clock()
    try:
        with deps.sessions.begin() as session:
            assessment = assessment_for_update(assessment_id, team_id=team_id, session=session)
            current = session.get(Service, service.id)
            if assessment is None or current is None:
                ack()
                return
            new = core.check_new(text, owner_id, owner, due_on, today=_today(deps))
            core.add_action(
                assessment, current, point, new, user_id=user_id, now=now, session=session
            )
    except ActionError as error:
        ack(response_action="errors", errors={error.field: error.message})
        return
    except DATABASE_ERRORS:
        logger.warning("database unavailable while adding an action", exc_info=True)
        ack(response_action="errors", errors={core.TEXT_FIELD: COULD_NOT_SAVE})
        return
    ack()
    later(
        deps,
        "showing a new action",
        lambda: _after_change(deps, client, meta, assessment_id, point),
    )


# --- Mark done, Change due date, Drop -----------------------------------------------------------


def _change_opener(deps: Deps, build: Callable[[ActionView, str], dict[str, Any]]) -> Any:
    def on_click(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        tell = _teller(respond)
        with tell_user_on_failure(tell, "opening an action modal"):
            found = _changeable(deps, body, client, tell)
            if found is not None:
                metadata = action_metadata(id=found.action.id, **_container(body))
                client.views_open(trigger_id=body["trigger_id"], view=build(found, metadata))

    on_click.__name__ = f"on_{build.__name__}"
    return on_click


def _changeable(
    deps: Deps, body: dict[str, Any], client: WebClient, tell: Callable[[str], Any]
) -> ActionView | None:
    """The clicked action, if the clicker may change it (told why not otherwise)."""
    value = str(body["actions"][0].get("value", ""))
    if not value.isdigit():
        return None
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    with deps.sessions() as session:
        found = action_view(int(value), team_id=team_id, session=session)
    if found is None:
        return None
    if not _may_change(deps, client, user_id, found):
        tell(_refusal(found))
        return None
    if found.action.status != "open":
        tell(f"This action is already {found.action.status}.")
        return None
    return found


@dataclass(frozen=True)
class _Change:
    """One submitted change: who, which action, and the modal's view."""

    user_id: str
    view: dict[str, Any]


Apply = Callable[[Deps, _Change, ImprovementAction, Service, Any], str]


def _done(
    deps: Deps, change: _Change, action: ImprovementAction, service: Service, session: Any
) -> str:
    links, problem = parse_links(view_state.text_value(change.view, core.LINKS_FIELD))
    if problem:
        raise ActionError(core.LINKS_FIELD, problem)
    note = view_state.text_value(change.view, core.NOTE_FIELD)
    core.mark_done(
        action, service, note, links, user_id=change.user_id, now=deps.clock(), session=session
    )
    return "Marked done"


def _redate(
    deps: Deps, change: _Change, action: ImprovementAction, service: Service, session: Any
) -> str:
    due_on = view_state.selected_date(change.view, core.DUE_FIELD)
    reason = view_state.text_value(change.view, core.REASON_FIELD)
    core.redate(
        action,
        service,
        due_on,
        reason,
        user_id=change.user_id,
        now=deps.clock(),
        today=_today(deps),
        session=session,
    )
    return f"Now due {day(action.due_on)}"


def _drop(
    deps: Deps, change: _Change, action: ImprovementAction, service: Service, session: Any
) -> str:
    reason = view_state.text_value(change.view, core.REASON_FIELD)
    core.drop(action, service, reason, user_id=change.user_id, now=deps.clock(), session=session)
    return "Dropped"


def _change_submitter(deps: Deps, apply: Apply) -> Any:
    def on_submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        meta = _metadata(view)
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        try:
            action_id = int(meta["id"])
            with deps.sessions() as session:
                found = action_view(action_id, team_id=team_id, session=session)
            allowed = found is not None and _may_change(deps, client, user_id, found)
        except (KeyError, TypeError, ValueError):
            ack()
            return
        except SLACK_CALL_ERRORS:
            ack(response_action="errors", errors={_first_field(view): SLACK_CHECK_FAILED})
            return
        if found is None:
            ack()
            return
        if not allowed:
            refused = (
                f"Only the action's owner, the owners of {found.service.name} or an admin "
                "can change this action."
            )
            ack(response_action="errors", errors={_first_field(view): _short(refused)})
            return
        try:
            with deps.sessions.begin() as session:
                action = action_for_update(action_id, team_id=team_id, session=session)
                service = session.get(Service, found.service.id)
                if action is None or service is None:
                    ack()
                    return
                verb = apply(deps, _Change(user_id, view), action, service, session)
        except ActionError as error:
            ack(response_action="errors", errors={error.field: error.message})
            return
        except DATABASE_ERRORS:
            logger.warning("database unavailable while changing an action", exc_info=True)
            ack(response_action="errors", errors={_first_field(view): COULD_NOT_SAVE})
            return
        ack()
        later(
            deps,
            "showing a changed action",
            lambda: _after_change(
                deps,
                client,
                meta,
                found.action.assessment_id,
                found.action.point_number,
                note=changed_text(verb, found),
            ),
        )

    on_submit.__name__ = f"on_{apply.__name__.strip('_')}_submitted"
    return on_submit


def _snooze(
    deps: Deps, body: dict[str, Any], client: WebClient, tell: Callable[[str], Any]
) -> None:
    found = _changeable(deps, body, client, tell)
    if found is None:
        return
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    try:
        with deps.sessions.begin() as session:
            action = action_for_update(found.action.id, team_id=team_id, session=session)
            if action is None:
                return
            until = core.snooze(action, user_id=user_id, now=deps.clock(), session=session)
    except ActionError as error:
        tell(error.message)
        return
    tell(
        f":zzz: Reminders about “{safe(found.action.text, 100)}” are snoozed until "
        f"{day(until.astimezone(deps.settings.timezone).date())}. Snoozing again adds a week, "
        "up to 4 weeks from now."
    )


# --- after the ack ------------------------------------------------------------------------------


def _after_change(
    deps: Deps,
    client: WebClient,
    meta: dict[str, Any],
    assessment_id: int,
    point: int,
    note: str = "",
) -> None:
    """Show the change on the point's cards (where it arose, and a reassessment's); say so."""
    with deps.sessions() as session:
        arose = session.get(Assessment, assessment_id)
        service = session.get(Service, arose.service_id) if arose else None
        latest = latest_assessment(service.id, session=session) if service else None
    if arose is None or service is None:
        return
    refresh_card(deps, client, arose, service, point)
    if latest is not None and latest.id != arose.id:
        refresh_card(deps, client, latest, service, point)
    url = meta.get("r")
    if note and isinstance(url, str) and url.startswith(("https://", "http://")):
        try:
            WebhookClient(url).send(text=note, response_type="ephemeral", replace_original=False)
        except SLACK_CALL_ERRORS as error:
            logger.info("could not confirm an action change: %s", error)


# --- helpers -----------------------------------------------------------------------------------


def _may_change(deps: Deps, client: WebClient, user_id: str, found: ActionView) -> bool:
    if core.may_change(user_id, found.action, found.service_owner_ids, False):
        return True
    return may_manage(SlackDirectory(client), user_id, found.service, deps.settings.admins)


def _refusal(found: ActionView) -> str:
    owners = ", ".join(mention(owner) for owner in found.service_owner_ids) or "its owners"
    return (
        f"Sorry, only the action's owner ({mention(found.action.owner_id)}), the owners of "
        f"{safe(found.service.name, 80)} ({owners}) or an admin can change this action."
    )


def _service_of(assessment_id: int, team_id: str, session: Any) -> Service | None:
    assessment = assessment_by_id(assessment_id, team_id=team_id, session=session)
    return session.get(Service, assessment.service_id) if assessment is not None else None


def _container(body: dict[str, Any]) -> dict[str, str]:
    """Where the click came from: its response_url, to confirm a change there afterwards."""
    url = body.get("response_url")
    return {"r": url} if isinstance(url, str) else {}


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _first_field(view: dict[str, Any]) -> str:
    for block in view.get("blocks", []):
        if block.get("type") == "input":
            return str(block.get("block_id"))
    return core.NOTE_FIELD


def _short(text: str) -> str:
    return text[:150]


def _teller(respond: Respond) -> Callable[[str], Any]:
    def tell(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    return tell


def _today(deps: Deps) -> date:
    return deps.clock().astimezone(deps.settings.timezone).date()
