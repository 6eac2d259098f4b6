"""Posting and refreshing the messages of a peer review.

Each message is reserved in the database (`review_posts`) before it is posted and rebuilt from
the database when it is, so two clicks never post a card twice and a failed post is mended by
the next resume. Slack failures are logged and swallowed: one message that could not be
updated must never stop the next one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.blocks.kit import Block
from bot.blocks.reviews import (
    ReviewHeader,
    build_ask_again,
    build_challenge_post,
    build_result,
    build_review_card,
    build_review_parent,
)
from bot.blocks.words import tally_line
from bot.core.flow import point_numbers, tally
from bot.core.review_actions import ASK_AGAIN_POST, CARD, CHALLENGE_POST, FINISH_POST, review_state
from bot.core.reviews import first_unreviewed, review_tally
from bot.deps import Deps
from bot.slack.errors import SLACK_CALL_ERRORS, slack_error_code
from storage.action_queries import open_point_actions
from storage.assessment_queries import current_answers
from storage.models import ChallengeResponse, ReviewInvitation, ReviewPost
from storage.review_queries import (
    ReviewContext,
    invitation_for_update,
    mark_posted,
    posts_of,
    reserve_post,
    responses_of,
    review_context,
    verdicts_of,
)
from storage.view_rows import answer_view, challenge_response_view, invitation_view

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Where:
    channel: str
    ts: str


def assessment_link(client: WebClient, context: ReviewContext) -> str | None:
    """A permalink to the team's assessment thread (None if Slack won't give one)."""
    assessment = context.assessment
    if assessment.thread_ts is None:
        return None
    try:
        response = client.chat_getPermalink(
            channel=assessment.channel_id, message_ts=assessment.thread_ts
        )
    except SLACK_CALL_ERRORS as error:
        logger.warning("no permalink for assessment %d: %s", assessment.id, slack_error_code(error))
        return None
    link = response.get("permalink")
    return str(link) if link else None


def parent_message(deps: Deps, context: ReviewContext, link: str | None) -> tuple[str, list[Block]]:
    with deps.sessions() as session:
        answers = current_answers(context.assessment.id, session=session)
        states = review_state(context.invitation, session=session)
    numbers = point_numbers(context.assessment)
    header = ReviewHeader(
        invitation=invitation_view(context.invitation),
        service_name=context.service.name,
        standard_title=context.assessment.standard_title,
        phase=context.assessment.phase,
        team_result=tally_line(tally(numbers, answers)),
        assessment_link=link,
    )
    return build_review_parent(header, review_tally(numbers, states))


def post_parent(deps: Deps, client: WebClient, context: ReviewContext) -> str:
    """Post the review thread's parent; raises the Slack error (the caller tells the asker)."""
    link = assessment_link(client, context)
    text, blocks = parent_message(deps, context, link)
    response = client.chat_postMessage(
        channel=context.invitation.channel_id, text=text, blocks=blocks, unfurl_links=False
    )
    ts = str(response["ts"])
    with deps.sessions.begin() as session:
        invitation = invitation_for_update(context.invitation.id, session=session)
        if invitation is not None:
            invitation.thread_ts = ts
            invitation.assessment_link = link[:500] if link else None
    return ts


def refresh_parent(deps: Deps, client: WebClient, invitation_id: int) -> None:
    with deps.sessions() as session:
        invitation = session.get(ReviewInvitation, invitation_id)
        if invitation is None or invitation.thread_ts is None:
            return
        context = review_context(invitation, session=session)
    text, blocks = parent_message(deps, context, invitation.assessment_link)
    _update(client, Where(invitation.channel_id, invitation.thread_ts), text, blocks)


def reserve_next_card(deps: Deps, invitation_id: int, *, again: bool) -> int | None:
    """Reserve the card of the first unreviewed point; with `again` (resume) a fresh copy."""
    with deps.sessions.begin() as session:
        invitation = invitation_for_update(invitation_id, session=session)
        if invitation is None or invitation.thread_ts is None:
            return None
        context = review_context(invitation, session=session)
        number = first_unreviewed(
            point_numbers(context.assessment), review_state(invitation, session=session)
        )
        if number is None:
            return None
        cards = [
            post for post in posts_of(invitation.id, CARD, session=session) if post.ref == number
        ]
        if cards and not again:
            return cards[-1].id if cards[-1].message_ts is None else None
        return reserve_post(
            invitation_id=invitation.id,
            kind=CARD,
            ref=number,
            attempt=len(cards),
            channel_id=invitation.channel_id,
            now=deps.clock(),
            session=session,
        )


def card_message(deps: Deps, invitation_id: int, number: int) -> tuple[str, list[Block]]:
    with deps.sessions() as session:
        row = session.get(ReviewInvitation, invitation_id)
        assert row is not None
        invitation = invitation_view(row)
        context = review_context(row, session=session)
        answer = current_answers(context.assessment.id, session=session).get(number)
        state = review_state(row, session=session).get(number)
        actions = [  # what the team has already promised to do about the point (#14)
            action.text
            for action in open_point_actions(
                session=session, service_id=context.assessment.service_id, point_number=number
            )
        ]
    titles = {point.number: point.title for point in context.assessment.points}
    return build_review_card(
        invitation,
        number,
        context.assessment.point_count,
        titles.get(number, f"Point {number}"),
        answer_view(answer) if answer is not None else None,
        state,
        open_actions=actions,
    )


def post_reserved(deps: Deps, client: WebClient, post_id: int | None) -> None:
    """Post a reserved card, challenge, question or result, and record where it went."""
    if post_id is None:
        return
    with deps.sessions() as session:
        post = session.get(ReviewPost, post_id)
        if post is None or post.message_ts is not None:
            return
        invitation = session.get(ReviewInvitation, post.invitation_id)
        assert invitation is not None
        context = review_context(invitation, session=session)
    built = _build_post(deps, context, post.kind, post.ref, post.channel_id)
    if built is None:
        return
    thread_ts, (text, blocks) = built
    try:
        response = client.chat_postMessage(
            channel=post.channel_id,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
        )
    except SLACK_CALL_ERRORS as error:
        logger.warning("review %s %d not posted: %s", post.kind, post.ref, slack_error_code(error))
        return
    with deps.sessions.begin() as session:
        mark_posted(post_id, str(response["ts"]), now=deps.clock(), session=session)


def _build_post(
    deps: Deps, context: ReviewContext, kind: str, ref: int, channel: str
) -> tuple[str | None, tuple[str, list[Block]]] | None:
    invitation, assessment = invitation_view(context.invitation), context.assessment
    titles = {point.number: point.title for point in assessment.points}
    if kind == CARD:
        return invitation.thread_ts, card_message(deps, invitation.id, ref)
    with deps.sessions() as session:
        states = review_state(context.invitation, session=session)
        row = session.get(ChallengeResponse, ref) if kind == ASK_AGAIN_POST else None
        response = challenge_response_view(row) if row is not None else None
    if kind == FINISH_POST:
        result = review_tally(point_numbers(assessment), states)
        thread = (
            invitation.thread_ts
            if channel == invitation.channel_id and ref == 0
            else (assessment.thread_ts)
        )
        return thread, build_result(invitation, result)
    if kind == CHALLENGE_POST:
        state = next((s for s in states.values() if s.verdict.id == ref), None)
        if state is None:
            return None
        return assessment.thread_ts, build_challenge_post(
            invitation, titles.get(state.point_number, ""), state
        )
    if kind == ASK_AGAIN_POST and response is not None:
        state = states[response.point_number]
        return invitation.thread_ts, build_ask_again(
            invitation, titles.get(response.point_number, ""), response, state
        )
    return None


def refresh_posts(deps: Deps, client: WebClient, invitation_id: int, point: int) -> None:
    """Bring every posted message about one point up to date (cards, challenges, questions)."""
    with deps.sessions() as session:
        invitation = session.get(ReviewInvitation, invitation_id)
        if invitation is None:
            return
        context = review_context(invitation, session=session)
        state = review_state(invitation, session=session).get(point)
        point_verdicts = {
            v.id for v in verdicts_of([invitation_id], session=session) if v.point_number == point
        }
        point_responses = {
            r.id for r in responses_of([invitation_id], session=session) if r.point_number == point
        }
        posts = [
            post
            for kind in (CARD, CHALLENGE_POST, ASK_AGAIN_POST)
            for post in posts_of(invitation.id, kind, session=session)
            if post.message_ts is not None
        ]
    titles = {p.number: p.title for p in context.assessment.points}
    for post in posts:
        built: tuple[str | None, tuple[str, list[Block]]] | None = None
        if post.kind == CARD and post.ref == point:
            built = _build_post(deps, context, post.kind, post.ref, post.channel_id)
        elif post.kind == CHALLENGE_POST and post.ref in point_verdicts and state is not None:
            current = post.ref == state.verdict.id
            built = (
                None,
                build_challenge_post(
                    invitation_view(invitation), titles.get(point, ""), state, current=current
                ),
            )
        elif post.kind == ASK_AGAIN_POST and post.ref in point_responses:
            built = _build_post(deps, context, post.kind, post.ref, post.channel_id)
        if built is not None and post.message_ts is not None:
            _update(client, Where(post.channel_id, post.message_ts), *built[1])


def _update(client: WebClient, target: Where, text: str, blocks: list[Block]) -> None:
    try:
        client.chat_update(channel=target.channel, ts=target.ts, text=text, blocks=blocks)
    except SLACK_CALL_ERRORS as error:
        logger.warning("could not update review message %s: %s", target.ts, slack_error_code(error))
