"""`/assess summary` (a preview, and a Post button for admins) and `/assess settings`.

Anyone may look at the leadership summary; only admins choose where and when it goes, or post
an extra one. The settings modal is validated and saved before it is acknowledged, so a
mistake shows inline next to the field and nothing half-saved remains.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.summary import MAX_CHANNELS, PHASES, build_preview, build_settings_modal
from bot.blocks.summary_ids import (
    CHANNELS_BLOCK,
    PHASES_BLOCK,
    POST_ACTION_PATTERN,
    SETTINGS_CALLBACK,
    TIME_BLOCK,
    WEEKDAY_BLOCK,
)
from bot.blocks.words import channel_link
from bot.core.permissions import is_admin
from bot.core.summary import WEEKDAYS, parse_time
from bot.deps import Deps
from bot.slack.after_ack import later
from bot.slack.directory import request_directory
from bot.slack.errors import (
    CHANNEL_ERRORS,
    COULD_NOT_SAVE,
    DATABASE_ERRORS,
    SLACK_CALL_ERRORS,
    not_in_channel_text,
    slack_error_code,
)
from bot.slack.lookup import admin_here
from bot.slack.router import CommandRequest, CommandRouter
from bot.slack.summary_job import compute_summary, post_extra_summary
from storage.summary_queries import get_settings, save_settings
from storage.values import SummarySettings

logger = logging.getLogger(__name__)

ADMINS_ONLY_SETTINGS = (
    "Only admins can change the leadership summary settings. Ask a Slack workspace admin, "
    "or someone named in ASSESSBOT_ADMINS."
)
ADMINS_ONLY_POST = "Only admins can post the leadership summary to a channel."
SLACK_DID_NOT_ANSWER = "Slack didn't answer while I checked who you are. Please try again."
NO_LONGER_CONFIGURED = (
    "<#{channel}> is no longer a leadership channel. Run `/assess summary` again for the "
    "current ones."
)
POSTING = ":hourglass_flowing_sand: Posting the summary to <#{channel}>…"
POSTED = (
    ":white_check_mark: Posted the summary to <#{channel}>. It's an extra post: the weekly "
    "summary still goes out as scheduled and keeps comparing with the last weekly one."
)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "summary",
        handle_summary,
        usage="/assess summary",
        summary="Preview the leadership summary of every service (admins can post it)",
        example="/assess summary",
    )
    router.add(
        "settings",
        handle_settings,
        usage="/assess settings",
        summary="Admins: where and when the weekly leadership summary goes",
        example="/assess settings",
        opens_modal=True,
    )

    @app.view(SETTINGS_CALLBACK)
    def on_settings_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        save_settings_from_view(deps, ack, body, client)

    @app.action(POST_ACTION_PATTERN)
    def on_post(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        later(
            deps,
            "posting the summary",
            lambda: post_on_request(deps, body, respond, client),
            lambda text: respond(text=text),
            slow=True,
        )


# --- /assess summary ---------------------------------------------------------------------


def handle_summary(request: CommandRequest) -> None:
    deps = request.deps
    with deps.sessions() as session:
        settings = get_settings(session=session, team_id=request.team_id)
        baseline = settings.channels[0] if settings.channels else None
        summary = compute_summary(deps, session, settings, now=deps.clock(), channel_id=baseline)
    targets: list[tuple[str, str]] = []
    if settings.configured and request.is_admin():
        targets = [
            (channel, _channel_name(request.client, channel)) for channel in settings.channels
        ]
    text, blocks = build_preview(summary, post_targets=targets, configured=settings.configured)
    request.reply(text, blocks)


def _channel_name(client: WebClient, channel_id: str) -> str:
    """The channel's name for a button label (buttons cannot show <#C…> links)."""
    try:
        info = client.conversations_info(channel=channel_id)
    except SLACK_CALL_ERRORS:  # a refusal or a time-out: the id still labels the button
        return channel_id
    return str((info.get("channel") or {}).get("name") or channel_id)


def post_on_request(deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    channel_id = str(body["actions"][0].get("value") or "")
    if not admin_here(deps, client, team_id, user_id):
        respond(text=ADMINS_ONLY_POST, response_type="ephemeral", replace_original=False)
        return
    with deps.sessions() as session:
        settings = get_settings(session=session, team_id=team_id)
    if channel_id not in settings.channels:
        text = NO_LONGER_CONFIGURED.format(channel=channel_id)
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    respond(text=POSTING.format(channel=channel_id), replace_original=False)
    try:
        post_extra_summary(deps, client, team_id, channel_id)
    except SlackApiError as error:
        if slack_error_code(error) not in CHANNEL_ERRORS:
            raise
        respond(text=not_in_channel_text(channel_id), replace_original=False)
        return
    respond(text=POSTED.format(channel=channel_id), replace_original=False)


# --- /assess settings --------------------------------------------------------------------


def handle_settings(request: CommandRequest) -> None:
    if not request.is_admin():
        request.reply(ADMINS_ONLY_SETTINGS)
        return
    deps = request.deps
    with deps.sessions() as session:
        settings = get_settings(session=session, team_id=request.team_id)
    view = build_settings_modal(
        settings,
        timezone_name=deps.settings.timezone.key,
        private_metadata=json.dumps({"channel": request.channel_id}),
    )
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _value(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    block = view.get("state", {}).get("values", {}).get(block_id) or {}
    return next(iter(block.values()), {}) if isinstance(block, dict) else {}


def settings_from_view(
    team_id: str, view: dict[str, Any]
) -> tuple[SummarySettings, dict[str, str]]:
    """The submitted settings and the inline errors (by block id) that stop them saving."""
    errors: dict[str, str] = {}
    chosen = _value(view, CHANNELS_BLOCK)
    channels = [
        str(c)
        for c in chosen.get("selected_conversations") or chosen.get("selected_channels") or []
    ]
    if any(not channel.startswith(("C", "G")) for channel in channels):
        errors[CHANNELS_BLOCK] = "Choose channels, not direct messages."
    elif len(channels) > MAX_CHANNELS:
        errors[CHANNELS_BLOCK] = f"Choose at most {MAX_CHANNELS} channels."
    weekday_text = str((_value(view, WEEKDAY_BLOCK).get("selected_option") or {}).get("value", ""))
    weekday = int(weekday_text) if weekday_text.isdigit() else -1
    if not 0 <= weekday < len(WEEKDAYS):
        errors[WEEKDAY_BLOCK] = "Choose a day of the week."
    time_text = str(_value(view, TIME_BLOCK).get("selected_time") or "")
    at = parse_time(time_text)
    if at is None:
        errors[TIME_BLOCK] = "Choose a time, such as 09:00."
    ticked = {
        str(option.get("value"))
        for option in _value(view, PHASES_BLOCK).get("selected_options") or []
    }
    phases = tuple(phase for phase in PHASES if phase in ticked)
    if not phases:
        errors[PHASES_BLOCK] = "Tick at least one phase."
    settings = SummarySettings(
        team_id=team_id,
        channels=tuple(dict.fromkeys(channels)),
        weekday=max(weekday, 0),
        time=at.strftime("%H:%M") if at is not None else "09:00",
        phases=() if len(phases) == len(PHASES) else phases,  # every phase: "all", now and later
    )
    return settings, errors


def _not_joined(client: WebClient, channels: tuple[str, ...]) -> str | None:
    """An inline error naming every chosen channel the bot is not in (it could not post there).

    Every channel is checked: one that Slack could not answer about (a missing scope, a
    time-out) does not stop the admin saving, and does not hide a problem with the others.
    """
    unseen: list[str] = []
    outside: list[str] = []
    for channel in channels:
        try:
            info = client.conversations_info(channel=channel)
        except SlackApiError as error:
            if slack_error_code(error) in {"channel_not_found", "not_in_channel"}:
                unseen.append(channel)
            continue
        except SLACK_CALL_ERRORS:
            continue
        if not (info.get("channel") or {}).get("is_member", False):
            outside.append(channel)
    problems = []
    if unseen:
        problems.append(f"I can't see {_channels(unseen)}.")
    if outside:
        problems.append(f"I'm not in {_channels(outside)} yet.")
    if not problems:
        return None
    return " ".join(problems) + " Invite me there with `/invite @assessbot`."


def _channels(channels: list[str]) -> str:
    links = [f"<#{channel}>" for channel in channels]
    return links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]


def save_settings_from_view(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Validate, save, then acknowledge; errors go back inline next to their field."""
    view = body["view"]
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    try:
        person = (
            None
            if user_id in deps.settings.admins
            else request_directory(deps.people, client, team_id).lookup(user_id)
        )
    except SLACK_CALL_ERRORS as error:  # refused or timed out: say so, never fail the ack
        logger.warning("users.info failed while saving settings: %s", slack_error_code(error))
        ack(response_action="errors", errors={CHANNELS_BLOCK: SLACK_DID_NOT_ANSWER})
        return
    if not is_admin(user_id, person, deps.settings.admins, team_id=team_id):
        ack(response_action="errors", errors={CHANNELS_BLOCK: ADMINS_ONLY_SETTINGS})
        return
    settings, errors = settings_from_view(team_id, view)
    if CHANNELS_BLOCK not in errors:
        problem = _not_joined(client, settings.channels)
        if problem:
            errors[CHANNELS_BLOCK] = problem
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        with deps.sessions.begin() as session:
            save_settings(settings, session=session, updated_by=user_id, now=deps.clock())
    except DATABASE_ERRORS:
        logger.warning("could not save the summary settings", exc_info=True)
        ack(response_action="errors", errors={CHANNELS_BLOCK: COULD_NOT_SAVE})
        return
    ack()
    _confirm(deps, client, view, user_id, settings)


def settings_sentence(settings: SummarySettings, timezone_name: str) -> str:
    if not settings.channels:
        return "No leadership channel is set, so no weekly summary will be posted."
    where = ", ".join(channel_link(channel) for channel in settings.channels)
    phases = ", ".join(settings.phases) if settings.phases else "all phases"
    return (
        f"The leadership summary goes to {where} every {WEEKDAYS[settings.weekday]} at "
        f"{settings.time} ({timezone_name}), counting services in {phases}."
    )


def _confirm(
    deps: Deps, client: WebClient, view: dict[str, Any], user_id: str, settings: SummarySettings
) -> None:
    """Tell the admin what now happens, where they typed the command (best effort)."""
    try:
        channel = json.loads(view.get("private_metadata") or "{}").get("channel")
    except ValueError:
        channel = None
    if not channel:
        return
    text = ":white_check_mark: Saved. " + settings_sentence(settings, deps.settings.timezone.key)
    try:
        client.chat_postEphemeral(channel=channel, user=user_id, text=text)
    except SlackApiError as error:
        logger.info("could not confirm the summary settings: %s", slack_error_code(error))
