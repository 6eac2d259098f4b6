"""Registering, editing, archiving and listing services."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import ids
from bot.blocks.forms import PUBLISHABLE, build_service_modal
from bot.blocks.kit import Block, button, confirm_dialog, section
from bot.blocks.portfolio import LIST_LINES, build_list
from bot.blocks.words import day, mention
from bot.core.commands import join_name
from bot.core.overview import service_lines
from bot.core.services import (
    ServiceForm,
    archive_service,
    register_service,
    update_service,
    validate_form,
)
from bot.core.text import escape, safe
from bot.deps import Deps
from bot.slack import view_state
from bot.slack.after_ack import later
from bot.slack.directory import quick_client
from bot.slack.errors import (
    COULD_NOT_SAVE,
    DATABASE_ERRORS,
    SLACK_CALL_ERRORS,
    slack_error_code,
    tell_user_on_failure,
)
from bot.slack.lookup import manages, refusal_text, service_to_manage
from bot.slack.router import CommandRequest, CommandRouter
from storage.overview_queries import service_views
from storage.service_queries import service_by_id
from storage.view_rows import service_view

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "new",
        _new,
        usage="/assess new [name]",
        summary="Register a service",
        example='/assess new "Garden waste"',
        opens_modal=True,
    )
    router.add(
        "edit",
        _edit,
        usage="/assess edit <service>",
        summary="Change a service's details",
        example="/assess edit Garden waste",
        opens_modal=True,
    )
    router.add(
        "archive",
        _archive,
        usage="/assess archive <service>",
        summary="Hide a service from lists, reminders and summaries (history kept)",
        example="/assess archive Garden waste",
    )
    router.add(
        "list",
        _list,
        usage="/assess list",
        summary="Every service in this workspace",
        example="/assess list",
    )

    @app.view(ids.SERVICE_NEW_VIEW)
    def on_new_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _save_service(deps, ack, body, client, editing=False)

    @app.view(ids.SERVICE_EDIT_VIEW)
    def on_edit_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _save_service(deps, ack, body, client, editing=True)

    @app.action(ids.ARCHIVE_CONFIRM)
    def on_archive(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        with tell_user_on_failure(lambda text: respond(text=text), "archiving"):
            _confirm_archive(deps, body, respond, client)


def _new(request: CommandRequest) -> None:
    view = build_service_modal(
        request.deps.catalogue,
        name=join_name(request.args),
        user_id=request.user_id,
        channel_id=request.channel_id,
    )
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _edit(request: CommandRequest) -> None:
    deps = request.deps
    service = service_to_manage(request, "/assess edit <service>", "edit it")
    if service is None:
        return
    view = build_service_modal(
        deps.catalogue, service=service_view(service), user_id=request.user_id
    )
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _archive(request: CommandRequest) -> None:
    service = service_to_manage(request, "/assess archive <service>", "archive it")
    if service is None:
        return
    name = safe(service.name, 80)
    blocks = [
        section(
            f"Archive *{name}*? It disappears from lists, reminders and summaries; its "
            "assessments stay in exports.",
            button(
                "Archive",
                ids.ARCHIVE_CONFIRM,
                str(service.id),
                style="danger",
                confirm=confirm_dialog(
                    "Archive this service?",
                    f"{service.name[:200]} will no longer be listed or reminded about.",
                    "Archive",
                ),
            ),
        )
    ]
    request.reply(f"Archive {name}?", blocks)


def _confirm_archive(deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    value = body["actions"][0].get("value", "")
    if not value.isdigit():
        return
    gone = "That service is already archived or gone."
    with deps.sessions() as session:
        service = service_by_id(int(value), team_id=team_id, session=session)
    if service is None or service.archived_at is not None:
        respond(text=gone, replace_original=True)
        return
    if not manages(deps, client, user_id, service):
        respond(text=refusal_text(service, "archive it"), replace_original=True)
        return
    with deps.sessions.begin() as session:
        current = service_by_id(service.id, team_id=team_id, session=session)
        if current is not None and current.archived_at is None:
            archive_service(current, user_id=user_id, now=deps.clock())
        name = safe(service.name, 80)
    if current is None or current.archived_at is None:
        respond(text=gone, replace_original=True)
        return
    respond(text=f":file_cabinet: {name} is archived. Its history is kept.", replace_original=True)


def _list(request: CommandRequest) -> None:
    request.reply(*service_list(request.deps, request.team_id))


def service_list(deps: Deps, team_id: str) -> tuple[str, list[Block]]:
    """`/assess list`: every live service counted, the first that fit in a message shown."""
    today = deps.clock().astimezone(deps.settings.timezone).date()
    with deps.sessions() as session:
        services = service_views(session=session, team_id=team_id)
        lines = service_lines(services[:LIST_LINES], catalogue=deps.catalogue, session=session)
    return f"{len(services)} services", build_list(lines, today, total=len(services))


def form_from_view(view: dict[str, Any]) -> ServiceForm:
    interval = view_state.selected_value(view, "interval")
    return ServiceForm(
        name=view_state.text_value(view, "name"),
        description=view_state.text_value(view, "description"),
        standard_id=view_state.selected_value(view, "standard"),
        phase=view_state.selected_value(view, "phase"),
        team_channel_id=view_state.selected_conversation(view, "channel"),
        owner_ids=tuple(view_state.selected_users(view, "owners")),
        interval_months=int(interval) if interval.isdigit() else 0,
        last_assessed_on=view_state.selected_date(view, "last_assessed"),
        publishable=PUBLISHABLE in view_state.selected_values(view, PUBLISHABLE),
        service_type=view_state.selected_value(view, "service_type") or "transactional",
    )


CHANNEL_UNCHECKED = "Slack didn't answer when I checked that channel ({code}). Please try again."


def _bot_can_post(client: WebClient, channel_id: str) -> str | None:
    """None when the bot can post in the channel, else the inline error to show."""
    try:
        info = client.conversations_info(channel=channel_id)
    except SlackApiError as error:
        if error.response.get("error") in {"channel_not_found", "not_in_channel"}:
            return "I can't see that channel. Invite me first: `/invite @assessbot` there."
        return CHANNEL_UNCHECKED.format(code=slack_error_code(error))
    except OSError:  # a time-out: the person must get an answer, not a failed form
        return CHANNEL_UNCHECKED.format(code="no_response")
    channel = info.get("channel") or {}
    if not channel.get("is_member", False) and not channel.get("is_im", False):
        return "I'm not in that channel yet. Invite me first: `/invite @assessbot` there."
    return None


def _channel_problem(client: WebClient, channel_id: str) -> str | None:
    """`_bot_can_post`, asked quickly: the person is waiting for the modal to close."""
    if not channel_id:
        return None
    try:
        return _bot_can_post(quick_client(client), channel_id)
    except SLACK_CALL_ERRORS as error:
        logger.warning("conversations.info failed: %s", slack_error_code(error))
        return "Slack didn't say whether I'm in that channel. Please try again in a moment."


def _save_service(
    deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient, *, editing: bool
) -> None:
    """Validate, save, then acknowledge: nothing is saved until the whole form is valid."""
    view = body["view"]
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    form = form_from_view(view)
    now = deps.clock()
    tz = deps.settings.timezone
    try:
        # What Slack must tell us comes first (may this person edit? am I in that channel?);
        # the transaction after it only touches the database.
        editing_id = None
        if editing:
            service_id = json.loads(view.get("private_metadata") or "{}").get("service_id")
            with deps.sessions() as session:
                found = service_by_id(int(service_id or 0), team_id=team_id, session=session)
            if found is None or not manages(deps, client, user_id, found):
                ack(response_action="errors", errors={"name": "You can't edit this service."})
                return
            editing_id = found.id
        problem = _channel_problem(client, form.team_channel_id)
        with deps.sessions.begin() as session:
            service = None
            if editing_id is not None:
                service = service_by_id(editing_id, team_id=team_id, session=session)
            if editing_id is not None and service is None:
                errors = {"name": "You can't edit this service."}
            else:
                errors = validate_form(
                    form,
                    team_id=team_id,
                    catalogue=deps.catalogue,
                    today=now.astimezone(tz).date(),
                    session=session,
                    editing=service,
                )
            if "channel" not in errors and problem:
                errors["channel"] = problem
            if not errors:
                if service is None:
                    service = register_service(
                        form, team_id=team_id, user_id=user_id, now=now, tz=tz, session=session
                    )
                    phase_changed = False
                else:
                    phase_changed = update_service(service, form, now=now, tz=tz, session=session)
                name, channel = service.name, service.team_channel_id
                owners = ", ".join(mention(owner) for owner in service.owner_ids)
                due = service.next_due_on
        if errors:
            ack(response_action="errors", errors=errors)
            return
    except DATABASE_ERRORS:
        logger.warning("could not save a service", exc_info=True)
        ack(response_action="errors", errors={"name": COULD_NOT_SAVE})
        return
    ack()
    if editing:
        text = f":pencil2: {mention(user_id)} updated *{escape(name)}*."
        if phase_changed:
            text += f" It moved to the {form.phase} phase, so a reassessment is due now."
    else:
        standard = deps.catalogue.get(form.standard_id)
        title = standard.title if standard is not None else form.standard_id
        text = (
            f":new: {mention(user_id)} registered *{escape(name)}* ({form.phase} phase) "
            f"against the {escape(title)}. Owners: {owners}. Assessment due {day(due)}: "
            f"`/assess start {escape(name)}`."
        )
    later(
        deps,
        f"announcing a service in {channel}",
        lambda: client.chat_postMessage(channel=channel, text=text, blocks=[section(text)]),
    )
