"""Improvement actions: `/assess actions`, Add action, Mark done, Change due date, Drop, Snooze.

Listeners parse the payload, call `bot.slack.action_saving` (Slack first, then one short
transaction with the core's rules), acknowledge — modal errors inline, keyed by field — and
then bring Slack up to date: the point's cards, a note to the person.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

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
from bot.blocks.words import day
from bot.core import actions as core
from bot.core.actions import ActionError
from bot.core.text import safe
from bot.deps import Deps
from bot.slack import view_state
from bot.slack.action_saving import (
    ChangeForm,
    NewActionForm,
    Refused,
    addable,
    after_change,
    changeable,
    save_change,
    save_new_action,
    save_snooze,
    today,
)
from bot.slack.after_ack import later
from bot.slack.errors import COULD_NOT_SAVE, DATABASE_ERRORS, tell_user_on_failure
from bot.slack.lookup import named_service
from bot.slack.router import CommandRequest, CommandRouter
from bot.slack.thread import Posted
from storage.action_queries import actions_for_person, actions_of_service
from storage.values import ActionView

logger = logging.getLogger(__name__)

USAGE = "/assess actions [service]"
Json = dict[str, Any]
MODALS: dict[str, Callable[[ActionView, str], Json]] = {
    action_ids.DONE: build_done_modal,
    action_ids.REDATE: build_redate_modal,
    action_ids.DROP: build_drop_modal,
}
CHANGES = {
    action_ids.DONE_VIEW: "done",
    action_ids.REDATE_VIEW: "redate",
    action_ids.DROP_VIEW: "drop",
}


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "actions",
        _list,
        usage=USAGE,
        summary="Improvement actions: yours, then your services', soonest due first",
        example="/assess actions Garden waste",
    )

    @app.action(action_ids.ADD)
    def on_add(ack: Ack, body: Json, respond: Respond, client: WebClient) -> None:
        ack()
        _open_add(deps, body, client, _teller(respond))

    @app.action(action_ids.DONE)
    @app.action(action_ids.REDATE)
    @app.action(action_ids.DROP)
    def on_change(ack: Ack, body: Json, respond: Respond, client: WebClient) -> None:
        ack()
        _open_change(deps, body, client, _teller(respond))

    @app.action(action_ids.SNOOZE)
    def on_snooze(ack: Ack, body: Json, respond: Respond, client: WebClient) -> None:
        ack()
        _snooze(deps, body, client, _teller(respond))

    @app.view(action_ids.ADD_VIEW)
    def on_add_submitted(ack: Ack, body: Json, client: WebClient) -> None:
        _submit_add(deps, ack, body, client)

    @app.view(action_ids.DONE_VIEW)
    @app.view(action_ids.REDATE_VIEW)
    @app.view(action_ids.DROP_VIEW)
    def on_change_submitted(ack: Ack, body: Json, client: WebClient) -> None:
        _submit_change(deps, ack, body, client)


# --- /assess actions ----------------------------------------------------------------------------


def _list(request: CommandRequest) -> None:
    deps = request.deps
    service = named_service(request, USAGE) if request.args else None
    if request.args and service is None:
        return
    with deps.sessions() as session:
        if service is not None:
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
        if not admin:  # one users.info, only when someone else's action is listed
            admin.append(request.is_admin())
        return admin[0]

    text, blocks = build_action_list(title, views, today=today(deps), may_change=may, empty=empty)
    request.reply(text, blocks)


# --- opening modals (trigger ids live 3 seconds: straight away) ----------------------------------


def _open_add(deps: Deps, body: Json, client: WebClient, tell: Callable[[str], Any]) -> None:
    parsed = parse_card_value(body["actions"][0].get("value", ""))
    if parsed is None:
        return
    assessment_id, point = parsed
    user_id = body["user"]["id"]
    with tell_user_on_failure(tell, "opening the action form"):
        try:
            found = addable(
                deps,
                client,
                team_id=body["team"]["id"],
                user_id=user_id,
                assessment_id=assessment_id,
                point=point,
            )
        except Refused as refused:
            tell(str(refused))
            return
        if found is None:
            return
        title = {p.number: p.title for p in found[0].points}[point]
        view = build_add_modal(
            f"Point {point} · {title}",
            action_metadata(a=assessment_id, p=point, **_reply_to(body), **_completion(body)),
            owner_id=user_id,
            due_on=core.default_due(today(deps)),
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _open_change(deps: Deps, body: Json, client: WebClient, tell: Callable[[str], Any]) -> None:
    clicked = body["actions"][0]
    value = str(clicked.get("value", ""))
    build = MODALS.get(str(clicked.get("action_id")))
    if not value.isdigit() or build is None:
        return
    with tell_user_on_failure(tell, "opening an action form"):
        try:
            found = changeable(
                deps,
                client,
                team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                action_id=int(value),
            )
        except Refused as refused:
            tell(str(refused))
            return
        if found is not None:
            metadata = action_metadata(id=found.action.id, **_reply_to(body))
            client.views_open(trigger_id=body["trigger_id"], view=build(found, metadata))


def _snooze(deps: Deps, body: Json, client: WebClient, tell: Callable[[str], Any]) -> None:
    value = str(body["actions"][0].get("value", ""))
    if not value.isdigit():
        return
    with tell_user_on_failure(tell, "snoozing an action"):
        try:
            saved = save_snooze(
                deps,
                client,
                team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                action_id=int(value),
            )
        except Refused as refused:
            tell(str(refused))
            return
        if saved is not None:
            found, until = saved
            tell(
                f":zzz: Reminders about “{safe(found.action.text, 100)}” are snoozed until "
                f"{day(until.astimezone(deps.settings.timezone).date())}. Snoozing again adds "
                "a week, up to 4 weeks from now."
            )


# --- submitted modals: save, then ack ---------------------------------------------------------


def _submit_add(deps: Deps, ack: Ack, body: Json, client: WebClient) -> None:
    view = body["view"]
    meta = _metadata(view)
    try:
        form = NewActionForm(
            assessment_id=int(meta["a"]),
            point=int(meta["p"]),
            text=view_state.text_value(view, core.TEXT_FIELD),
            owner_id=view_state.selected_user(view, core.OWNER_FIELD),
            due_on=view_state.selected_date(view, core.DUE_FIELD),
        )
    except (KeyError, TypeError, ValueError):
        ack()
        return
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    if not _saved(
        ack,
        core.TEXT_FIELD,
        lambda: save_new_action(deps, client, team_id=team_id, user_id=user_id, form=form),
    ):
        return
    completion = meta.get("m")
    shown_in = (
        Posted(str(completion[0]), str(completion[1]))
        if isinstance(completion, list) and len(completion) == 2 and all(completion)
        else None
    )
    later(
        deps,
        "showing a new action",
        lambda: after_change(
            deps, client, assessment_id=form.assessment_id, point=form.point, completion=shown_in
        ),
    )


def _submit_change(deps: Deps, ack: Ack, body: Json, client: WebClient) -> None:
    view = body["view"]
    meta = _metadata(view)
    kind = CHANGES.get(str(view.get("callback_id")))
    if kind is None or not str(meta.get("id", "")).isdigit():
        ack()
        return
    form = ChangeForm(
        kind=kind,
        first_field=core.NOTE_FIELD if kind == "done" else core.REASON_FIELD,
        note=view_state.text_value(view, core.NOTE_FIELD),
        links=view_state.text_value(view, core.LINKS_FIELD),
        due_on=view_state.selected_date(view, core.DUE_FIELD),
        reason=view_state.text_value(view, core.REASON_FIELD),
    )
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    result: list[tuple[ActionView, str]] = []

    def save() -> bool:
        saved = save_change(
            deps, client, team_id=team_id, user_id=user_id, action_id=int(meta["id"]), form=form
        )
        if saved is not None:
            result.append(saved)
        return saved is not None

    if not _saved(ack, form.first_field, save):
        return
    found, verb = result[0]
    later(
        deps,
        "showing a changed action",
        lambda: after_change(
            deps,
            client,
            assessment_id=found.action.assessment_id,
            point=found.action.point_number,
            response_url=meta.get("r"),
            note=changed_text(verb, found),
        ),
    )


def _saved(ack: Ack, field: str, save: Callable[[], bool]) -> bool:
    """Run the save and acknowledge the modal: closed on success, the error on its field."""
    try:
        saved = save()
    except ActionError as error:
        ack(response_action="errors", errors={error.field: error.message[:150]})
        return False
    except DATABASE_ERRORS:
        logger.warning("database unavailable while saving an action", exc_info=True)
        ack(response_action="errors", errors={field: COULD_NOT_SAVE})
        return False
    ack()
    return saved


# --- helpers -----------------------------------------------------------------------------------


def _reply_to(body: Json) -> dict[str, str]:
    """The click's response_url, so the person hears afterwards that the change was saved."""
    url = body.get("response_url")
    return {"r": url} if isinstance(url, str) else {}


def _completion(body: Json) -> dict[str, list[str]]:
    """Where the completion message is, when Add action was clicked on it (to refresh it)."""
    block_id = str(body["actions"][0].get("block_id", ""))
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if block_id.startswith(action_ids.COMPLETION_BLOCK) and channel and ts:
        return {"m": [str(channel), str(ts)]}
    return {}


def _metadata(view: Json) -> Json:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _teller(respond: Respond) -> Callable[[str], Any]:
    def tell(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    return tell
