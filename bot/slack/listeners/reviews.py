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
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks import review_ids as rid
from bot.blocks.review_forms import (
    build_ask_modal,
    build_challenge_modal,
    build_respond_modal,
    modal_metadata,
)
from bot.core.flow import parse_links
from bot.core.review_actions import (
    ASK_AGAIN_POST,
    accept_challenge,
    respond_to_challenge,
    withdraw,
)
from bot.deps import Deps
from bot.slack import review_asking as asking
from bot.slack import review_saving as saving
from bot.slack import view_state
from bot.slack.after_ack import later
from bot.slack.errors import tell_user_on_failure
from bot.slack.review_thread import (
    post_reserved,
    refresh_parent,
    reserve_next_card,
)
from bot.slack.router import CommandRouter
from storage.assessment_queries import assessment_by_id
from storage.models import ReviewInvitation, Verdict
from storage.review_queries import (
    reserve_post,
    review_context,
)
from storage.values import Rating

logger = logging.getLogger(__name__)

OWNERS_ONLY = "answer the reviewer's challenges"


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "review",
        asking.review_command,
        usage=asking.USAGE,
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
        asking.ask_submit(deps, ack, body, client)

    @app.action(rid.AGREE)
    def on_agree(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _reviewer_click(
            deps,
            ack,
            body,
            respond,
            client,
            lambda parsed: saving.save_verdict(deps, body, parsed, Verdict.AGREE, None, ""),
        )

    @app.action(rid.CHALLENGE)
    def on_challenge(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        _open_reviewer_modal(deps, body, respond, client)

    @app.view(rid.CHALLENGE_VIEW)
    def on_challenge_submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _challenge_submit(deps, ack, body, client)

    @app.action(rid.AGREE_AFTER)
    def on_agree_after(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _reviewer_click(
            deps,
            ack,
            body,
            respond,
            client,
            lambda parsed: saving.save_answer(deps, body, parsed, Verdict.AGREE),
        )

    @app.action(rid.KEEP)
    def on_keep(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _reviewer_click(
            deps,
            ack,
            body,
            respond,
            client,
            lambda parsed: saving.save_answer(deps, body, parsed, Verdict.CHALLENGE),
        )

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


# --- the reviewer -----------------------------------------------------------------------------


def _reviewer_click(
    deps: Deps,
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    save: Callable[[tuple[int, int]], Any],
) -> None:
    """A reviewer's button (a verdict, or the answer to the team's response): save, ack, then
    update the review; `save` gets the clicked (invitation, point)."""
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        ack()
        return
    saved = saving.save_then_ack(
        ack, lambda text: saving.tell(client, respond, body, text), lambda: save(parsed)
    )
    if saved is not None:
        later(deps, "updating the review", lambda: saving.after(deps, client, saved))


def _open_reviewer_modal(
    deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        return
    with tell_user_on_failure(
        lambda text: saving.tell(client, respond, body, text), "opening a modal"
    ):
        try:
            with deps.sessions() as session:
                context = saving.reviewer_context(session, deps, body, parsed[0])
        except saving.Refused as refused:
            saving.tell(client, respond, body, str(refused))
            return
        titles = {p.number: p.title for p in context.assessment.points}
        if parsed[1] not in titles:
            return
        clicked = saving.clicked(body)
        metadata = modal_metadata(parsed[0], parsed[1], *(clicked or ("", None)))
        title = f"Point {parsed[1]} · {titles[parsed[1]]}"
        client.views_open(
            trigger_id=body["trigger_id"], view=build_challenge_modal(title, metadata)
        )


def _challenge_submit(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    meta = saving.metadata(view)
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
    saved = saving.save_then_ack_view(
        ack,
        rid.COMMENT_FIELD,
        lambda: saving.save_verdict(deps, body, meta, Verdict.CHALLENGE, Rating(chosen), comment),
    )
    if saved is not None:
        later(deps, "updating the review", lambda: saving.after(deps, client, saved))


def _resume(
    deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    invitation_id = rid.parse_id(body["actions"][0].get("value", ""))
    if invitation_id is None:
        ack()
        return

    def check() -> saving.Saved:
        with deps.sessions() as session:
            saving.reviewer_context(session, deps, body, invitation_id)
        return saving.Saved(invitation_id, 0)

    saved = saving.save_then_ack(ack, lambda text: saving.tell(client, respond, body, text), check)
    if saved is None:
        return

    def follow_up() -> None:
        card = reserve_next_card(deps, invitation_id, again=True)
        if card is None:
            saving.tell(client, respond, body, "You've answered every point of this review.")
        post_reserved(deps, client, card)

    later(deps, "resuming a review", follow_up)


# --- the owners -------------------------------------------------------------------------------


def _accept(
    deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        ack()
        return

    def save() -> saving.Saved:
        refusal = saving.owner_refusal(deps, client, body, parsed[0])
        if refusal is not None:
            raise saving.Refused(refusal)
        with deps.sessions.begin() as session:
            context = saving.owner_context(session, parsed[0])
            accept_challenge(
                context.invitation,
                context.assessment,
                parsed[1],
                user_id=body["user"]["id"],
                now=deps.clock(),
                session=session,
            )
        return saving.Saved(parsed[0], parsed[1], refresh_assessment=True)

    saved = saving.save_then_ack(ack, lambda text: saving.tell(client, respond, body, text), save)
    if saved is not None:
        later(deps, "updating the review", lambda: saving.after(deps, client, saved))


def _open_respond_modal(
    deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    parsed = rid.parse_point_value(body["actions"][0].get("value", ""))
    if parsed is None:
        return
    with tell_user_on_failure(
        lambda text: saving.tell(client, respond, body, text), "opening a modal"
    ):
        with deps.sessions() as session:
            invitation = session.get(ReviewInvitation, parsed[0])
            context = review_context(invitation, session=session) if invitation else None
        refusal = saving.owner_refusal(deps, client, body, parsed[0])
        if refusal is not None or context is None:
            saving.tell(client, respond, body, refusal or "That review no longer exists.")
            return
        titles = {p.number: p.title for p in context.assessment.points}
        clicked = saving.clicked(body)
        metadata = modal_metadata(parsed[0], parsed[1], *(clicked or ("", None)))
        title = f"Point {parsed[1]} · {titles.get(parsed[1], '')}"
        client.views_open(trigger_id=body["trigger_id"], view=build_respond_modal(title, metadata))


def _respond_submit(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    meta = saving.metadata(view)
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

    def save() -> saving.Saved:
        refusal = saving.owner_refusal(deps, client, body, meta[0])
        if refusal is not None:
            raise saving.Refused(refusal)
        now = deps.clock()
        with deps.sessions.begin() as session:
            context = saving.owner_context(session, meta[0])
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
        return saving.Saved(meta[0], meta[1], posts=[post])

    saved = saving.save_then_ack_view(ack, rid.NOTE_FIELD, save)
    if saved is not None:
        later(deps, "updating the review", lambda: saving.after(deps, client, saved))


def _withdraw(
    deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    invitation_id = rid.parse_id(body["actions"][0].get("value", ""))
    if invitation_id is None:
        ack()
        return

    def save() -> saving.Saved:
        refusal = saving.owner_refusal(deps, client, body, invitation_id)
        if refusal is not None:
            raise saving.Refused(refusal)
        with deps.sessions.begin() as session:
            context = saving.owner_context(session, invitation_id)
            withdraw(context.invitation, user_id=body["user"]["id"], now=deps.clock())
        return saving.Saved(invitation_id, 0)

    saved = saving.save_then_ack(ack, lambda text: saving.tell(client, respond, body, text), save)
    if saved is not None:
        later(deps, "withdrawing a review", lambda: refresh_parent(deps, client, invitation_id))
