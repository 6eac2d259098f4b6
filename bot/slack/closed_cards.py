"""Redrawing a card whose assessment is closed: its answer stays, its buttons go.

Called after the ack of a refused click; a card that cannot be updated is only logged (the
person was already told, and the next click on it is refused the same way).
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.blocks.assessment import build_closed_card
from bot.core.closed import Closed
from bot.deps import Deps
from bot.slack.errors import SLACK_CALL_ERRORS, slack_error_code
from bot.slack.thread import Posted, card_view, loaded_state, point_cards
from storage.models import Assessment, Service

logger = logging.getLogger(__name__)


def close_card(deps: Deps, client: WebClient, closed: Closed, point: int, where: Posted) -> None:
    with deps.sessions() as session:
        assessment = session.get(Assessment, closed.assessment_id)
        if assessment is None:
            return
        service = session.get(Service, assessment.service_id)
        if service is None:
            return
        came_back = len(point_cards(assessment.id, point, session=session)) > 1
    state = loaded_state(deps, assessment, service, points=[point])
    text, blocks = build_closed_card(card_view(deps, state, point, came_back=came_back), closed)
    try:
        client.chat_update(channel=where.channel, ts=where.ts, text=text, blocks=blocks)
    except SLACK_CALL_ERRORS as error:
        logger.warning("could not mark card %s closed: %s", where.ts, slack_error_code(error))
