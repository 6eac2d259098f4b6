"""Peer review in Slack: ask, review each point, answer challenges, withdraw.

Every click is checked against the invitation before anything is saved: only the invited
reviewer (user id and their own workspace id) may give verdicts, only the service's owners
(in the service's own workspace) may accept, respond or withdraw. Slack is asked what it
must be asked first, then one short transaction saves, then the ack, then the messages.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks import review_ids as rid
from bot.blocks.reviews import (
    build_ask_modal,
    build_challenge_modal,
    build_respond_modal,
    modal_metadata,
)
from bot.core.flow import parse_links
from bot.core.review_actions import (
    ASK_AGAIN_POST,
    CHALLENGE_POST,
    FINISH_POST,
    accept_challenge,
    answer_response,
    give_verdict,
    respond_to_challenge,
    withdraw,
)
from bot.core.reviews import ReviewError, grant_refusal, reviewer_identity
from bot.deps import Deps
from bot.slack import view_state
from bot.slack.after_ack import later
from bot.slack.directory import SlackDirectory
from bot.slack.errors import COULD_NOT_SAVE, DATABASE_ERRORS, tell_user_on_failure
from bot.slack.lookup import may_manage, refusal_text, service_to_manage
from bot.slack.review_asking import invite_reviewer, mentioned_user, start_thread
from bot.slack.review_thread import (
    post_reserved,
    refresh_parent,
    refresh_posts,
    reserve_next_card,
)
from bot.slack.router import CommandRequest, CommandRouter
from bot.slack.thread import refresh_card
from bot.slack.thread import refresh_parent as refresh_assessment_parent
from storage.assessment_queries import assessment_by_id
from storage.models import Rating, ReviewInvitation, Service, Verdict
from storage.review_queries import (
    ReviewContext,
    invitation_for_update,
    reserve_post,
    review_context,
)

logger = logging.getLogger(__name__)

USAGE = "/assess review <service> @person"
OWNERS_ONLY = "answer the reviewer's challenges"


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "review",
        _review_command,
        usage=USAGE,
        summary="Ask someone from another team or council to peer-review the latest assessment",
        example="/assess review Bins @Priya",
    )

    @app.action(rid.ASK)
    def on_ask(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        value = rid.parse_id(body["actions"][0].get("value", ""))
        channel = (body.get("channel") or {}).get("id", "")
        if value is None or not channel:
            return
        with deps.sessions() as session:
            assessment = assessment_by_id(value, team_id=body["team"]["id"], session=session)
            name = assessment.service.name if assessment is not None else ""
        if assessment is not None:
            metadata = json.dumps({"a": value, "c": channel})
            client.views_open(trigger_id=body["trigger_id"], view=build_ask_modal(name, metadata))

    @app.view(rid.ASK_VIEW)
    def on_ask_submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _ask_submit(deps, ack, body, client)

    @app.action(rid.AGREE)
    def on_agree(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _verdict_click(deps, ack, body, respond, client, Verdict.AGREE)

    @app.action(rid.CHALLENGE)
    def on_challenge(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        _open_reviewer_modal(deps, body, respond, client)

    @app.view(rid.CHALLENGE_VIEW)
    def on_challenge_submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _challenge_submit(deps, ack, body, client)

    @app.action(rid.AGREE_AFTER)
    def on_agree_after(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _answer_click(deps, ack, body, respond, client, Verdict.AGREE)

    @app.action(rid.KEEP)
    def on_keep(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _answer_click(deps, ack, body, respond, client, Verdict.CHALLENGE)

    @app.action(rid.RESUME)
    def on_resume(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _resume(deps, ack, body, respond, client)

    @app.action(rid.WITHDRAW)
    def on_withdraw(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _withdraw(deps, ack, body, respond, client)

    @app.action(rid.ACCEPT)
    def on_accept(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _accept(deps, ack, body, respond, client)

    @app.action(rid.RESPOND)
    def on_respond(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        _open_respond_modal(deps, body, respond, client)

    @app.view(rid.RESPOND_VIEW)
    def on_respond_submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _respond_submit(deps, ack, body, client)


# --- asking -----------------------------------------------------------------------------------


def _review_command(request: CommandRequest) -> None:
    if len(request.args) < 2 or mentioned_user(request.args[-1]) is None:
        request.reply(f"Name the service and mention the reviewer: `{USAGE}`")
        return
    reviewer_id = mentioned_user(request.args[-1])
    assert reviewer_id is not None
    request.args = request.args[:-1]
    with request.deps.sessions() as session:
        service = service_to_manage(request, session, USAGE, "ask for a peer review")
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


def _ask_submit(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
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
        ack(response_action="errors", errors={rid.REVIEWER_FIELD: _plain(outcome)[:150]})
        return
    ack()

    def after() -> None:
        text = start_thread(deps, client, outcome)
        client.chat_postEphemeral(channel=channel, user=user_id, text=text)

    later(deps, "starting a peer review", after)


# --- the reviewer -----------------------------------------------------------------------------


class _Refused(Exception):
    pass


@dataclass
class Saved:
    """What a saved review click changed, for the messages posted after the ack."""

    invitation_id: int
    point: int
    posts: list[int | None] = field(default_factory=list)
    next_card: bool = False
    refresh_assessment: bool = False


def _reviewer_context(
    session: Any, deps: Deps, body: dict[str, Any], invitation_id: int
) -> ReviewContext:
    invitation = invitation_for_update(invitation_id, session=session)
    if invitation is None:
        raise _Refused("That review no longer exists.")
    user_id, user_team = reviewer_identity(body)
    refusal = grant_refusal(invitation, user_id, user_team, deps.clock())
    if refusal is not None:
        raise _Refused(refusal)
    return review_context(invitation, session=session)


def _verdict_click(
    deps: Deps,
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    verdict: Verdict,
) -> None:
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        ack()
        return
    saved = _save_then_ack(
        ack,
        lambda text: _tell(client, respond, body, text),
        lambda: _save_verdict(deps, body, parsed, verdict, None, ""),
    )
    if saved is not None:
        later(deps, "updating the review", lambda: _after(deps, client, saved))


def _save_verdict(
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
        context = _reviewer_context(session, deps, body, invitation_id)
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
            saved.posts.append(_reserve_challenge(context, outcome.verdict.id, now, session))
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


def _reserve_challenge(
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


def _open_reviewer_modal(
    deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        return
    with tell_user_on_failure(lambda text: _tell(client, respond, body, text), "opening a modal"):
        try:
            with deps.sessions() as session:
                context = _reviewer_context(session, deps, body, parsed[0])
        except _Refused as refused:
            _tell(client, respond, body, str(refused))
            return
        titles = {p.number: p.title for p in context.assessment.points}
        if parsed[1] not in titles:
            return
        clicked = _clicked(body)
        metadata = modal_metadata(parsed[0], parsed[1], *(clicked or ("", None)))
        title = f"Point {parsed[1]} · {titles[parsed[1]]}"
        client.views_open(
            trigger_id=body["trigger_id"], view=build_challenge_modal(title, metadata)
        )


def _challenge_submit(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    meta = _metadata(view)
    if meta is None:
        ack()
        return
    chosen = view_state.selected_value(view, rid.RATING_FIELD)
    comment = view_state.text_value(view, rid.COMMENT_FIELD).strip()
    if chosen not in {rating.value for rating in Rating}:
        ack(response_action="errors", errors={rid.RATING_FIELD: "Choose your rating."})
        return
    if not comment:
        ack(response_action="errors", errors={rid.COMMENT_FIELD: "Say why you challenge it."})
        return
    saved = _save_then_ack_view(
        ack,
        rid.COMMENT_FIELD,
        lambda: _save_verdict(deps, body, meta, Verdict.CHALLENGE, Rating(chosen), comment),
    )
    if saved is not None:
        later(deps, "updating the review", lambda: _after(deps, client, saved))


def _answer_click(
    deps: Deps,
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    verdict: Verdict,
) -> None:
    """The reviewer answers the team's response: Agree, or Keep challenge."""
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        ack()
        return

    def save() -> Saved:
        now = deps.clock()
        with deps.sessions.begin() as session:
            context = _reviewer_context(session, deps, body, parsed[0])
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
                saved.posts.append(_reserve_challenge(context, row.id, now, session))
            return saved

    saved = _save_then_ack(ack, lambda text: _tell(client, respond, body, text), save)
    if saved is not None:
        later(deps, "updating the review", lambda: _after(deps, client, saved))


def _resume(
    deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    invitation_id = rid.parse_id(body["actions"][0].get("value", ""))
    if invitation_id is None:
        ack()
        return

    def check() -> Saved:
        with deps.sessions() as session:
            _reviewer_context(session, deps, body, invitation_id)
        return Saved(invitation_id, 0)

    saved = _save_then_ack(ack, lambda text: _tell(client, respond, body, text), check)
    if saved is None:
        return

    def after() -> None:
        card = reserve_next_card(deps, invitation_id, again=True)
        if card is None:
            _tell(client, respond, body, "You've answered every point of this review.")
        post_reserved(deps, client, card)

    later(deps, "resuming a review", after)


# --- the owners -------------------------------------------------------------------------------


def _owner_refusal(
    deps: Deps, client: WebClient, body: dict[str, Any], invitation_id: int
) -> str | None:
    """Why the clicker may not act for the service (Slack asked before any transaction)."""
    user_id, user_team = reviewer_identity(body)
    with deps.sessions() as session:
        invitation = session.get(ReviewInvitation, invitation_id)
        service = session.get(Service, invitation.service_id) if invitation else None
    if invitation is None or service is None or user_team != invitation.team_id:
        return "Sorry, only the service's owners can do that."
    if not may_manage(SlackDirectory(client), user_id, service, deps.settings.admins):
        return refusal_text(service, OWNERS_ONLY)
    return None


def _owner_context(session: Any, invitation_id: int) -> ReviewContext:
    invitation = invitation_for_update(invitation_id, session=session)
    if invitation is None:
        raise _Refused("That review no longer exists.")
    return review_context(invitation, session=session)


def _accept(
    deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        ack()
        return

    def save() -> Saved:
        refusal = _owner_refusal(deps, client, body, parsed[0])
        if refusal is not None:
            raise _Refused(refusal)
        with deps.sessions.begin() as session:
            context = _owner_context(session, parsed[0])
            accept_challenge(
                context.invitation,
                context.assessment,
                parsed[1],
                user_id=body["user"]["id"],
                now=deps.clock(),
                session=session,
            )
        return Saved(parsed[0], parsed[1], refresh_assessment=True)

    saved = _save_then_ack(ack, lambda text: _tell(client, respond, body, text), save)
    if saved is not None:
        later(deps, "updating the review", lambda: _after(deps, client, saved))


def _open_respond_modal(
    deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        return
    with tell_user_on_failure(lambda text: _tell(client, respond, body, text), "opening a modal"):
        with deps.sessions() as session:
            invitation = session.get(ReviewInvitation, parsed[0])
            context = review_context(invitation, session=session) if invitation else None
        refusal = _owner_refusal(deps, client, body, parsed[0])
        if refusal is not None or context is None:
            _tell(client, respond, body, refusal or "That review no longer exists.")
            return
        titles = {p.number: p.title for p in context.assessment.points}
        clicked = _clicked(body)
        metadata = modal_metadata(parsed[0], parsed[1], *(clicked or ("", None)))
        title = f"Point {parsed[1]} · {titles.get(parsed[1], '')}"
        client.views_open(trigger_id=body["trigger_id"], view=build_respond_modal(title, metadata))


def _respond_submit(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    meta = _metadata(view)
    if meta is None:
        ack()
        return
    note = view_state.text_value(view, rid.NOTE_FIELD).strip()
    links, problem = parse_links(view_state.text_value(view, rid.LINKS_FIELD))
    if not note:
        ack(response_action="errors", errors={rid.NOTE_FIELD: "Write your response."})
        return
    if problem:
        ack(response_action="errors", errors={rid.LINKS_FIELD: problem})
        return

    def save() -> Saved:
        refusal = _owner_refusal(deps, client, body, meta[0])
        if refusal is not None:
            raise _Refused(refusal)
        now = deps.clock()
        with deps.sessions.begin() as session:
            context = _owner_context(session, meta[0])
            response = respond_to_challenge(
                context.invitation,
                meta[1],
                note=note,
                links=links,
                user_id=body["user"]["id"],
                now=now,
                session=session,
            )
            post = reserve_post(
                invitation_id=meta[0],
                kind=ASK_AGAIN_POST,
                ref=response.id,
                attempt=0,
                channel_id=context.invitation.channel_id,
                now=now,
                session=session,
            )
        return Saved(meta[0], meta[1], posts=[post])

    saved = _save_then_ack_view(ack, rid.NOTE_FIELD, save)
    if saved is not None:
        later(deps, "updating the review", lambda: _after(deps, client, saved))


def _withdraw(
    deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    invitation_id = rid.parse_id(body["actions"][0].get("value", ""))
    if invitation_id is None:
        ack()
        return

    def save() -> Saved:
        refusal = _owner_refusal(deps, client, body, invitation_id)
        if refusal is not None:
            raise _Refused(refusal)
        with deps.sessions.begin() as session:
            context = _owner_context(session, invitation_id)
            withdraw(context.invitation, user_id=body["user"]["id"], now=deps.clock())
        return Saved(invitation_id, 0)

    saved = _save_then_ack(ack, lambda text: _tell(client, respond, body, text), save)
    if saved is not None:
        later(deps, "withdrawing a review", lambda: refresh_parent(deps, client, invitation_id))


# --- shared -----------------------------------------------------------------------------------


def _after(deps: Deps, client: WebClient, saved: Saved) -> None:
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


def _save_then_ack(
    ack: Ack, tell: Callable[[str], None], save: Callable[[], Saved]
) -> Saved | None:
    """Save, then acknowledge; a refusal or failure is acknowledged and explained instead."""
    try:
        saved = save()
    except DATABASE_ERRORS:
        ack()
        logger.warning("database unavailable while saving a review", exc_info=True)
        tell(COULD_NOT_SAVE)
        return None
    except (_Refused, ReviewError) as refused:
        ack()
        tell(str(refused))
        return None
    ack()
    return saved


def _save_then_ack_view(ack: Ack, block_id: str, save: Callable[[], Saved]) -> Saved | None:
    try:
        saved = save()
    except DATABASE_ERRORS:
        logger.warning("database unavailable while saving a review", exc_info=True)
        ack(response_action="errors", errors={block_id: COULD_NOT_SAVE})
        return None
    except (_Refused, ReviewError) as refused:
        ack(response_action="errors", errors={block_id: _plain(str(refused))[:150]})
        return None
    ack()
    return saved


def _metadata(view: dict[str, Any]) -> tuple[int, int] | None:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        return int(meta["i"]), int(meta["p"])
    except (ValueError, KeyError, TypeError):
        return None


def _clicked(body: dict[str, Any]) -> tuple[str, str] | None:
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (str(channel), str(ts)) if channel and ts else None


def _plain(text: str) -> str:
    """Inline modal errors are plain text: drop mrkdwn's escapes and markers."""
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("*", "")


def _tell(client: WebClient, respond: Respond, body: dict[str, Any], text: str) -> None:
    """An ephemeral note to the clicker (a click's ack body is shown to nobody)."""
    with tell_user_on_failure(lambda _text: None, "telling a user"):
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        channel = (body.get("channel") or {}).get("id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
