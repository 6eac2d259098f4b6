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
from bot.blocks.words import day
from bot.core.flow import Tally, point_numbers, tally
from bot.deps import Deps
from bot.slack.errors import SLACK_CALL_ERRORS, slack_error_code
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
        measures=linked,
        service_type=service.service_type,
    )


def post_card(deps: Deps, client: WebClient, card_id: int) -> Posted | None:
    """Post a reserved card in its thread and record where it went."""
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
        response = client.chat_postMessage(
            channel=assessment.channel_id,
            thread_ts=assessment.thread_ts,
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
    ts = str(response["ts"])
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
    titles = {p.number: p.title for p in assessment.points}
    text, blocks = build_completion(service.name, result, titles, day(service.next_due_on))
    destinations = [(assessment.channel_id, assessment.thread_ts)]
    if service.team_channel_id != assessment.channel_id:
        destinations.append((service.team_channel_id, None))
    for channel, thread_ts in destinations:
        try:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
        except SLACK_CALL_ERRORS as error:
            logger.warning("completion not posted in %s: %s", channel, slack_error_code(error))


def _update(client: WebClient, target: Posted, text: str, blocks: list[dict[str, object]]) -> None:
    try:
        client.chat_update(channel=target.channel, ts=target.ts, text=text, blocks=blocks)
    except SLACK_CALL_ERRORS as error:
        logger.warning("could not update message %s: %s", target.ts, slack_error_code(error))
