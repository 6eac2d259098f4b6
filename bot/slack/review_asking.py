"""Asking someone for a peer review (`/assess review`, or the modal): Slack first, then one
short transaction.

Slack first: who the reviewer is (users.info gives their own workspace id, which a Slack
Connect user from another council carries), their organisation's name (team.info), and
whether they are in the channel (conversations.members). Then the invitation is saved, the
asker is answered, and only then is the review thread posted.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.blocks import review_ids as rid
from bot.core.review_actions import Reviewer, invite
from bot.core.reviews import ReviewError, invitation_name, is_active
from bot.core.text import escape, safe
from bot.deps import Deps
from bot.slack import review_saving as saving
from bot.slack import view_state
from bot.slack.after_ack import later
from bot.slack.directory import request_directory
from bot.slack.errors import (
    CHANNEL_ERRORS,
    COULD_NOT_SAVE,
    DATABASE_ERRORS,
    SLACK_CALL_ERRORS,
    not_in_channel_text,
)
from bot.slack.lookup import may_manage, named_service, refusal_text
from bot.slack.review_thread import post_parent, post_reserved, reserve_next_card
from bot.slack.router import CommandRequest
from storage.assessment_queries import assessment_by_id, previous_completed
from storage.models import ReviewInvitation
from storage.review_queries import active_invitation, review_context
from storage.service_queries import service_by_id

logger = logging.getLogger(__name__)

USAGE = "/assess review <service> @person"
MENTION = re.compile(r"^<@([UW][A-Z0-9]{1,30})(?:\|[^>]*)?>$")
BARE_ID = re.compile(r"^@?([UW][A-Z0-9]{2,30})$")
MEMBER_PAGES = 50  # 50 × 1,000 members: more than any council channel


def mentioned_user(word: str) -> str | None:
    """The user id in `<@U123|name>` (Slack's escaped mention) or a bare `U123`."""
    found = MENTION.match(word.strip()) or BARE_ID.match(word.strip())
    return found.group(1) if found else None


def organisation_name(client: WebClient, team_id: str) -> str:
    """The reviewer's own workspace's name; empty when Slack won't say."""
    try:
        team = client.team_info(team=team_id).get("team") or {}
    except SLACK_CALL_ERRORS as error:
        logger.warning("team.info failed for %s: %s", team_id, error)
        return ""
    return str(team.get("name") or "")


def is_member(client: WebClient, channel_id: str, user_id: str) -> bool:
    """Whether the person is in the channel; raises SlackApiError when the bot can't see it."""
    cursor = None
    for _ in range(MEMBER_PAGES):
        response = client.conversations_members(channel=channel_id, cursor=cursor, limit=1000)
        if user_id in (response.get("members") or []):
            return True
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False
    return False


def invite_reviewer(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    user_id: str,
    service_id: int,
    reviewer_id: str,
    channel_id: str,
) -> ReviewInvitation | str:
    """Save the invitation (Slack asked first); the invitation, or why not (mrkdwn)."""
    directory = request_directory(deps.people, client, team_id)
    with deps.sessions() as session:
        service = service_by_id(service_id, team_id=team_id, session=session)
    if service is None or service.archived_at is not None:
        return "That service doesn't exist any more (or is archived)."
    if not may_manage(directory, user_id, service, deps.settings.admins):
        return refusal_text(service, "ask for a peer review")
    person = directory.lookup(reviewer_id)
    if person is None or person.deleted:
        return "I can't find that person in Slack. Mention them with @ and try again."
    reviewer_team = person.team_id or team_id
    try:
        in_channel = is_member(client, channel_id, reviewer_id)
    except SlackApiError as error:
        if error.response.get("error") in CHANNEL_ERRORS:
            return not_in_channel_text(channel_id)
        raise
    org = organisation_name(client, reviewer_team)
    reviewer = Reviewer(reviewer_id, reviewer_team, person.name, org, in_channel, person.is_bot)
    with deps.sessions() as session:
        done = previous_completed(service.id, session=session)
        unposted = (
            active_invitation(done.id, reviewer_id, reviewer_team, session=session)
            if done is not None
            else None
        )
    if unposted is not None and unposted.thread_ts is None and is_active(unposted, deps.clock()):
        return unposted  # its thread was never posted: post it now
    try:
        with deps.sessions.begin() as session:
            assessment = previous_completed(service.id, session=session)
            invitation = invite(
                service,
                assessment,
                reviewer,
                invited_by=user_id,
                channel_id=channel_id,
                now=deps.clock(),
                session=session,
            )
            context = review_context(invitation, session=session)
    except ReviewError as error:
        return str(error)
    except IntegrityError:  # someone invited the same person at the same moment
        return f"{escape(person.name)} is already invited to review this assessment."
    return context.invitation


def start_thread(deps: Deps, client: WebClient, invitation: ReviewInvitation) -> str:
    """Post the review thread and its first card; the sentence to tell the asker."""
    with deps.sessions() as session:
        context = review_context(invitation, session=session)
    service_name = context.service.name
    try:
        post_parent(deps, client, context)
    except SLACK_CALL_ERRORS as error:
        logger.warning("review thread not posted for invitation %d: %s", invitation.id, error)
        return (
            f"I saved the invitation but couldn't post the review thread in "
            f"<#{invitation.channel_id}> (is the bot in that channel?). Ask again once it is."
        )
    post_reserved(deps, client, reserve_next_card(deps, invitation.id, again=False))
    return (
        f"Asked {escape(invitation_name(invitation))} to review {safe(service_name, 80)}, in "
        f"a thread in <#{invitation.channel_id}>. The invitation lasts 30 days."
    )


# --- the command and the modal -----------------------------------------------------------


def review_command(request: CommandRequest) -> None:
    if len(request.args) < 2 or mentioned_user(request.args[-1]) is None:
        request.reply(f"Name the service and mention the reviewer: `{USAGE}`")
        return
    reviewer_id = mentioned_user(request.args[-1])
    assert reviewer_id is not None
    request.args = request.args[:-1]
    service = named_service(request, USAGE)  # who may ask: checked below
    if service is None:
        return
    outcome = invite_reviewer(
        request.deps,
        request.client,
        team_id=request.team_id,
        user_id=request.user_id,
        service_id=service.id,
        reviewer_id=reviewer_id,
        channel_id=request.channel_id,
    )
    if isinstance(outcome, str):
        request.reply(outcome)
        return
    request.reply(start_thread(request.deps, request.client, outcome))


def ask_submit(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        assessment_id, channel = int(meta["a"]), str(meta["c"])
    except (ValueError, KeyError, TypeError):
        ack()
        return
    reviewer = view_state.selected_user(view, rid.REVIEWER_FIELD)
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    with deps.sessions() as session:
        assessment = assessment_by_id(assessment_id, team_id=team_id, session=session)
    if not reviewer or assessment is None:
        ack(response_action="errors", errors={rid.REVIEWER_FIELD: "Choose the reviewer."})
        return
    try:
        outcome = invite_reviewer(
            deps,
            client,
            team_id=team_id,
            user_id=user_id,
            service_id=assessment.service_id,
            reviewer_id=reviewer,
            channel_id=channel,
        )
    except DATABASE_ERRORS:
        logger.warning("database unavailable while inviting a reviewer", exc_info=True)
        outcome = COULD_NOT_SAVE
    if isinstance(outcome, str):
        ack(response_action="errors", errors={rid.REVIEWER_FIELD: saving.plain(outcome)[:150]})
        return
    ack()

    def follow_up() -> None:
        text = start_thread(deps, client, outcome)
        client.chat_postEphemeral(channel=channel, user=user_id, text=text)

    later(deps, "starting a peer review", follow_up)
