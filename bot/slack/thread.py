"""Posting and refreshing the messages of an assessment thread.

Every message here is rebuilt from the database, so posting it twice shows the same thing and
a failed update is mended by the next one. Slack failures are logged and swallowed: a card
that could not be updated must never stop the next point from being posted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy import select

from bot.blocks.assessment import CardView, build_card, build_completion, build_parent
from bot.blocks.reviews import ask_button
from bot.blocks.words import day
from bot.core.actions import is_weak
from bot.core.flow import Tally, point_numbers, tally
from bot.deps import Deps
from bot.slack.claimed_post import post_claimed
from bot.slack.errors import SLACK_CALL_ERRORS, slack_error_code
from storage.action_queries import actioned_points, point_actions
from storage.assessment_queries import current_answers, previous_completed
from storage.models import Assessment, Card, Service
from storage.outcome_queries import measures_for_service

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


def card_view(deps: Deps, card_point: int, assessment: Assessment, service: Service) -> CardView:
    with deps.sessions() as session:
        answers = current_answers(assessment.id, session=session)
        previous = previous_completed(service.id, before_id=assessment.id, session=session)
        previous_answer = (
            current_answers(previous.id, session=session).get(card_point) if previous else None
        )
        cards = session.scalars(
            select(Card).where(Card.assessment_id == assessment.id, Card.point_number == card_point)
        ).all()
        actions = point_actions(  # improvement actions (#14) since the last assessment
            session=session,
            service_id=service.id,
            point_number=card_point,
            since_assessment_id=previous.id if previous else assessment.id,
        )
        measures = measures_for_service(session=session, service_id=service.id)
    linked = tuple(m for m in measures if (assessment.standard_id, card_point) in m.points)
    standard = deps.catalogue.get(assessment.standard_id)
    point = None
    if standard is not None and any(p.number == card_point for p in standard.points):
        point = standard.point(card_point)
    titles = {p.number: p.title for p in assessment.points}
    return CardView(
        assessment=assessment,
        service_name=service.name,
        point_number=card_point,
        title=titles.get(card_point, f"Point {card_point}"),
        point=point,
        answer=answers.get(card_point),
        previous=previous_answer,
        came_back=len(cards) > 1,
        actions=tuple(actions),
        today=deps.clock().astimezone(deps.settings.timezone).date(),
        measures=linked,
        service_type=service.service_type,
    )


def post_card(
    deps: Deps, client: WebClient, card_id: int, *, look_first: bool = False
) -> Posted | None:
    """Post a reserved card in its thread and record where it went.

    The card's claim key travels in the message metadata; `look_first` (a card reserved
    earlier, perhaps posted by a process that stopped before recording it) checks the thread
    before posting, and a lost answer is settled from the thread too."""
    with deps.sessions() as session:
        card = session.get(Card, card_id)
        if card is None or card.message_ts is not None:
            return None
        assessment = session.get(Assessment, card.assessment_id)
        assert assessment is not None
        service = session.get(Service, assessment.service_id)
        assert service is not None
        point_number = card.point_number
    text, blocks = build_card(card_view(deps, point_number, assessment, service))
    try:
        sent = post_claimed(
            client,
            keys=[f"card:{card_id}"],
            channel=assessment.channel_id,
            thread_ts=assessment.thread_ts,
            look_first=look_first,
            text=text,
            blocks=blocks,
            unfurl_links=False,
        )
    except SLACK_CALL_ERRORS as error:
        logger.warning(
            "card for point %d of assessment %d not posted (%s); it will be posted on resume",
            point_number,
            assessment.id,
            slack_error_code(error),
        )
        return None
    ts = sent.ts
    with deps.sessions.begin() as session:
        stored = session.get(Card, card_id)
        if stored is not None:
            stored.message_ts = ts
            stored.posted_at = deps.clock()
    return Posted(assessment.channel_id, ts)


def refresh_card(
    deps: Deps,
    client: WebClient,
    assessment: Assessment,
    service: Service,
    point: int,
    *,
    also: Posted | None = None,
) -> None:
    """Show the latest answer on the point's newest card (and on the clicked one, if other)."""
    with deps.sessions() as session:
        newest = session.scalars(
            select(Card)
            .where(
                Card.assessment_id == assessment.id,
                Card.point_number == point,
                Card.message_ts.is_not(None),
            )
            .order_by(Card.id.desc())
            .limit(1)
        ).first()
    targets = []
    if newest is not None and newest.message_ts is not None:
        targets.append(Posted(newest.channel_id, newest.message_ts))
    if also is not None and also not in targets:
        targets.append(also)
    if not targets:
        return
    text, blocks = build_card(card_view(deps, point, assessment, service))
    for target in targets:
        _update(client, target, text, blocks)


def refresh_parent(deps: Deps, client: WebClient, assessment: Assessment, service: Service) -> None:
    if assessment.thread_ts is None:
        return
    with deps.sessions() as session:
        result = tally(point_numbers(assessment), current_answers(assessment.id, session=session))
        reassessment = previous_completed(service.id, before_id=assessment.id, session=session)
    text, blocks = build_parent(
        assessment, service.name, result, reassessment=reassessment is not None
    )
    _update(client, Posted(assessment.channel_id, assessment.thread_ts), text, blocks)


def announce_completion(
    deps: Deps, client: WebClient, assessment: Assessment, service: Service, result: Tally
) -> None:
    text, blocks = completion_message(deps, assessment, service, result)
    blocks = [*blocks, ask_button(assessment.id)]  # peer review (#15) starts here
    # In the team's own channel the reply is also sent to the channel (Slack's "also send to
    # channel"), so people not following the thread see the result once; elsewhere the team's
    # channel gets its own message.
    in_team_channel = service.team_channel_id == assessment.channel_id
    destinations = [(assessment.channel_id, assessment.thread_ts)]
    if not in_team_channel:
        destinations.append((service.team_channel_id, None))
    for channel, thread_ts in destinations:
        broadcast = in_team_channel and thread_ts is not None
        try:
            post_claimed(
                client,
                keys=[f"completion:{assessment.id}:{channel}"],
                channel=channel,
                thread_ts=thread_ts,
                reply_broadcast=broadcast or None,
                text=text,
                blocks=blocks,
            )
        except SLACK_CALL_ERRORS as error:
            logger.warning("completion not posted in %s: %s", channel, slack_error_code(error))


def refresh_completion(
    deps: Deps, client: WebClient, assessment: Assessment, service: Service, target: Posted
) -> None:
    """After an action was added from a completion message: list only points still without."""
    with deps.sessions() as session:
        result = tally(point_numbers(assessment), current_answers(assessment.id, session=session))
    text, blocks = completion_message(deps, assessment, service, result)
    _update(client, target, text, blocks)


def completion_message(
    deps: Deps, assessment: Assessment, service: Service, result: Tally
) -> tuple[str, list[dict[str, object]]]:
    titles = {p.number: p.title for p in assessment.points}
    with deps.sessions() as session:  # improvement actions (#14): weak points still without one
        answers = current_answers(assessment.id, session=session)
        actioned = actioned_points(session=session, assessment_id=assessment.id)
    needing = [
        (number, titles[number])
        for number in sorted(titles)
        if number not in actioned and is_weak(getattr(answers.get(number), "rating", None))
    ]
    text, blocks = build_completion(
        service.name,
        result,
        titles,
        day(service.next_due_on),
        needing_action=(assessment.id, needing),
        service_id=service.id,
    )
    return text, blocks


def _update(client: WebClient, target: Posted, text: str, blocks: list[dict[str, object]]) -> None:
    try:
        client.chat_update(channel=target.channel, ts=target.ts, text=text, blocks=blocks)
    except SLACK_CALL_ERRORS as error:
        logger.warning("could not update message %s: %s", target.ts, slack_error_code(error))
