"""Starting an assessment (or resuming the one in progress) in a Slack thread.

The thread's parent message is posted before anything is saved: if the bot is not in the
channel, the person is told how to invite it and nothing is half-created. If two people start
at once, the database lets one assessment through; the other parent message is deleted and
that person is pointed at the thread that won.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.blocks.assessment import build_parent
from bot.core.flow import reserve_next_card, start_assessment, supersede_open_cards, tally
from bot.core.text import safe
from bot.deps import Deps
from bot.slack.errors import (
    CHANNEL_ERRORS,
    SLACK_CALL_ERRORS,
    not_in_channel_text,
    slack_error_code,
)
from bot.slack.lookup import manages, refusal_text
from bot.slack.thread import post_card, refresh_parent, settle_completions
from storage.assessment_queries import (
    in_progress_assessment,
    previous_completed,
    unposted_cards,
)
from storage.models import Assessment, Service
from storage.service_queries import service_by_id
from storage.values import AssessmentStatus
from storage.views import AssessmentView

logger = logging.getLogger(__name__)


def start_or_resume(
    deps: Deps, client: WebClient, *, team_id: str, user_id: str, service_id: int, channel_id: str
) -> str:
    """Do it, and return the sentence to tell the person."""
    with deps.sessions() as session:
        service = service_by_id(service_id, team_id=team_id, session=session)
    if service is None or service.archived_at is not None:
        return "That service doesn't exist any more (or is archived)."
    if not manages(deps, client, user_id, service):  # Slack first, with no session open
        return refusal_text(service, "start an assessment")
    with deps.sessions() as session:
        running = in_progress_assessment(service.id, session=session)
        previous = previous_completed(service.id, session=session)
    name = safe(service.name, 80)
    if running is not None:
        return _resume(deps, client, running, service, name)
    standard = deps.catalogue.get(service.standard_id)
    if standard is None:
        return f"{name} uses the standard '{safe(service.standard_id, 40)}', which isn't loaded."
    now = deps.clock()
    if previous is not None:  # its completion message may still be owed (a lost answer)
        settle_completions(deps, client, previous.id)
    draft = AssessmentView(  # the parent is posted before the assessment is saved
        id=0,
        service_id=service.id,
        standard_id=standard.id,
        standard_version=standard.version,
        standard_title=standard.title,
        phase=service.phase,
        status=AssessmentStatus.IN_PROGRESS,
        started_by=user_id,
        started_at=now,
        channel_id=channel_id,
        point_count=standard.point_count,
    )
    empty = tally([p.number for p in standard.points], {})
    text, blocks = build_parent(draft, service.name, empty, reassessment=previous is not None)
    try:
        parent = client.chat_postMessage(channel=channel_id, text=text, blocks=blocks)
    except SlackApiError as error:
        if slack_error_code(error) in CHANNEL_ERRORS:
            return not_in_channel_text(channel_id)
        raise
    thread_ts = str(parent["ts"])
    try:
        with deps.sessions.begin() as session:
            fresh = session.get(Service, service.id)
            assert fresh is not None
            assessment = start_assessment(
                fresh,
                standard,
                user_id=user_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                now=now,
                session=session,
            )
            card = reserve_next_card(assessment, now=now, session=session)
    except IntegrityError:
        # Someone else started it a moment ago: keep theirs, remove our parent message.
        _delete_quietly(client, channel_id, thread_ts)
        with deps.sessions() as session:
            running = in_progress_assessment(service.id, session=session)
        if running is None:
            raise
        return _resume(deps, client, running, service, name)
    if card is not None:
        post_card(deps, client, card.id)
    kind = "Reassessment" if previous is not None else "Assessment"
    return f"{kind} of {name} started in the thread in <#{channel_id}>. Point 1 is waiting."


def _resume(deps: Deps, client: WebClient, running: Assessment, service: Service, name: str) -> str:
    """Post the current card again at the bottom of the thread (or the one a crash lost)."""
    now = deps.clock()
    with deps.sessions.begin() as session:
        assessment = session.get(Assessment, running.id)
        assert assessment is not None
        pending = [card.id for card in unposted_cards(assessment.id, session=session)]
        if not pending:
            supersede_open_cards(assessment.id, now=now, session=session)
            card = reserve_next_card(assessment, now=now, session=session)
            pending = [card.id] if card is not None else []
    for card_id in pending:  # reserved earlier: maybe posted by a process that then stopped
        post_card(deps, client, card_id, look_first=True)
    refresh_parent(deps, client, assessment, service)
    return (
        f"Resuming the assessment of {name} in its thread in <#{assessment.channel_id}>: "
        "the next unanswered point is waiting at the bottom."
    )


def _delete_quietly(client: WebClient, channel: str, ts: str) -> None:
    try:
        client.chat_delete(channel=channel, ts=ts)
    except SLACK_CALL_ERRORS as error:
        logger.warning("could not delete duplicate parent message: %s", slack_error_code(error))
