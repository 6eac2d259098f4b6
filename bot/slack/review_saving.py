"""Saving a peer-review click, then acknowledging it, then posting what it changed.

Who may act is checked against the invitation inside the same short transaction that saves:
only the invited reviewer (user id and their own workspace id) gives verdicts, and only the
service's owners, in the service's own workspace, answer challenges (Slack is asked whether
someone is an admin before that transaction opens). The messages follow after the ack.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.core.review_actions import CHALLENGE_POST, FINISH_POST, answer_response, give_verdict
from bot.core.reviews import ReviewError, grant_refusal, reviewer_identity
from bot.deps import Deps
from bot.slack.errors import COULD_NOT_SAVE, DATABASE_ERRORS, tell_user_on_failure
from bot.slack.lookup import manages, refusal_text
from bot.slack.review_thread import post_reserved, refresh_parent, refresh_posts, reserve_next_card
from bot.slack.thread import refresh_card
from bot.slack.thread import refresh_parent as refresh_assessment_parent
from storage.models import ReviewInvitation, Service, Verdict
from storage.review_queries import (
    ReviewContext,
    invitation_for_update,
    reserve_post,
    review_context,
)
from storage.values import Rating

logger = logging.getLogger(__name__)

OWNERS_ONLY = "answer the reviewer's challenges"


class Refused(Exception):
    pass


@dataclass
class Saved:
    """What a saved review click changed, for the messages posted after the ack."""

    invitation_id: int
    point: int
    posts: list[int | None] = field(default_factory=list)
    next_card: bool = False
    refresh_assessment: bool = False


def reviewer_context(
    session: Any, deps: Deps, body: dict[str, Any], invitation_id: int
) -> ReviewContext:
    invitation = invitation_for_update(invitation_id, session=session)
    if invitation is None:
        raise Refused("That review no longer exists.")
    user_id, user_team = reviewer_identity(body)
    refusal = grant_refusal(invitation, user_id, user_team, deps.clock())
    if refusal is not None:
        raise Refused(refusal)
    return review_context(invitation, session=session)


def save_verdict(
    deps: Deps,
    body: dict[str, Any],
    parsed: tuple[int, int],
    verdict: Verdict,
    rating: Rating | None,
    comment: str,
) -> Saved:
    invitation_id, point = parsed
    now = deps.clock()
    with deps.sessions.begin() as session:
        context = reviewer_context(session, deps, body, invitation_id)
        outcome = give_verdict(
            context.invitation,
            context.assessment,
            point,
            verdict,
            rating=rating,
            comment=comment,
            now=now,
            session=session,
        )
        saved = Saved(invitation_id, point, next_card=outcome.next_point is not None)
        if verdict == Verdict.CHALLENGE:
            saved.posts.append(reserve_challenge(context, outcome.verdict.id, now, session))
        if outcome.finished is not None:
            for ref, channel in (
                (0, context.invitation.channel_id),
                (1, context.assessment.channel_id),
            ):
                saved.posts.append(
                    reserve_post(
                        invitation_id=invitation_id,
                        kind=FINISH_POST,
                        ref=ref,
                        attempt=0,
                        channel_id=channel,
                        now=now,
                        session=session,
                    )
                )
        return saved


def save_answer(
    deps: Deps, body: dict[str, Any], parsed: tuple[int, int], verdict: Verdict
) -> Saved:
    """The reviewer's answer to the team's response; a kept challenge goes to the team again."""
    now = deps.clock()
    with deps.sessions.begin() as session:
        context = reviewer_context(session, deps, body, parsed[0])
        row = answer_response(
            context.invitation,
            context.assessment,
            parsed[1],
            verdict,
            comment="",
            now=now,
            session=session,
        )
        saved = Saved(parsed[0], parsed[1])
        if verdict == Verdict.CHALLENGE:
            saved.posts.append(reserve_challenge(context, row.id, now, session))
        return saved


def reserve_challenge(
    context: ReviewContext, verdict_id: int, now: Any, session: Any
) -> int | None:
    return reserve_post(
        invitation_id=context.invitation.id,
        kind=CHALLENGE_POST,
        ref=verdict_id,
        attempt=0,
        channel_id=context.assessment.channel_id,
        now=now,
        session=session,
    )


def owner_refusal(
    deps: Deps, client: WebClient, body: dict[str, Any], invitation_id: int
) -> str | None:
    """Why the clicker may not act for the service (Slack asked before any transaction)."""
    user_id, user_team = reviewer_identity(body)
    with deps.sessions() as session:
        invitation = session.get(ReviewInvitation, invitation_id)
        service = session.get(Service, invitation.service_id) if invitation else None
    if invitation is None or service is None or user_team != invitation.team_id:
        return "Sorry, only the service's owners can do that."
    if not manages(deps, client, user_id, service):
        return refusal_text(service, OWNERS_ONLY)
    return None


def owner_context(session: Any, invitation_id: int) -> ReviewContext:
    invitation = invitation_for_update(invitation_id, session=session)
    if invitation is None:
        raise Refused("That review no longer exists.")
    return review_context(invitation, session=session)


def after(deps: Deps, client: WebClient, saved: Saved) -> None:
    if saved.point:
        refresh_posts(deps, client, saved.invitation_id, saved.point)
    for post in saved.posts:
        post_reserved(deps, client, post)
    if saved.next_card:
        post_reserved(deps, client, reserve_next_card(deps, saved.invitation_id, again=False))
    refresh_parent(deps, client, saved.invitation_id)
    if saved.refresh_assessment:
        with deps.sessions() as session:
            invitation = session.get(ReviewInvitation, saved.invitation_id)
            context = review_context(invitation, session=session) if invitation else None
        if context is not None:
            refresh_card(deps, client, context.assessment, context.service, saved.point)
            refresh_assessment_parent(deps, client, context.assessment, context.service)


def save_then_ack(ack: Ack, tell: Callable[[str], None], save: Callable[[], Saved]) -> Saved | None:
    """Save, then acknowledge; a refusal or failure is acknowledged and explained instead."""
    try:
        saved = save()
    except DATABASE_ERRORS:
        ack()
        logger.warning("database unavailable while saving a review", exc_info=True)
        tell(COULD_NOT_SAVE)
        return None
    except (Refused, ReviewError) as refused:
        ack()
        tell(str(refused))
        return None
    ack()
    return saved


def save_then_ack_view(ack: Ack, block_id: str, save: Callable[[], Saved]) -> Saved | None:
    try:
        saved = save()
    except DATABASE_ERRORS:
        logger.warning("database unavailable while saving a review", exc_info=True)
        ack(response_action="errors", errors={block_id: COULD_NOT_SAVE})
        return None
    except (Refused, ReviewError) as refused:
        ack(response_action="errors", errors={block_id: plain(str(refused))[:150]})
        return None
    ack()
    return saved


def metadata(view: dict[str, Any]) -> tuple[int, int] | None:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        return int(meta["i"]), int(meta["p"])
    except (ValueError, KeyError, TypeError):
        return None


def clicked(body: dict[str, Any]) -> tuple[str, str] | None:
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (str(channel), str(ts)) if channel and ts else None


def plain(text: str) -> str:
    """Inline modal errors are plain text: drop mrkdwn's escapes and markers."""
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("*", "")


def tell(client: WebClient, respond: Respond, body: dict[str, Any], text: str) -> None:
    """An ephemeral note to the clicker (a click's ack body is shown to nobody)."""
    with tell_user_on_failure(lambda _text: None, "telling a user"):
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        channel = (body.get("channel") or {}).get("id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
