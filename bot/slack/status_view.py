"""The status of one service, as a message (`/assess status`) or as a modal (the Home tab).

A modal has no `response_url`, so after a change made inside it the modal is refreshed with
`views.update`, passing the hash Slack gave with the click: if the modal changed in between
(another click's refresh landed first), Slack refuses with `hash_conflict` and the view is built
again from the database, which by then holds both changes, and replaces the modal. Whichever
refresh lands last is therefore built after the last save, and never shows older answers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.blocks.due import due_sentence
from bot.blocks.kit import Block
from bot.blocks.outcomes import measure_lines
from bot.blocks.portfolio import build_status, status_modal
from bot.blocks.reviews import review_status_blocks
from bot.core.overview import service_lines
from bot.core.review_overview import assessment_reviews
from bot.core.services import due_of
from bot.deps import Deps
from bot.slack.errors import SLACK_CALL_ERRORS, slack_error_code
from storage.action_queries import action_counts
from storage.assessment_queries import current_answer_views, titles_with_reviewed
from storage.models import Service
from storage.outcome_queries import measures_for_service
from storage.reminder_queries import current_snooze
from storage.service_queries import service_by_id
from storage.view_rows import service_view
from storage.views import AnswerView

logger = logging.getLogger(__name__)


def status_blocks(
    deps: Deps, session: Session, service: Service, now: datetime, limit: int = 50
) -> list[Block]:
    """A read path: the answers, titles and the reviewed assessment's id are read as columns
    (no entities), the latter two, for the latest and the reviewed assessment, in one statement;
    a service not snoozed now cannot have a snooze running, so that read is skipped."""
    line = service_lines([service_view(service)], catalogue=deps.catalogue, session=session)[0]
    answers: dict[int, AnswerView] = {}
    titles: dict[int, str] = {}
    reviewed_id: int | None = None  # peer review (#15): the newest completed assessment
    reviewed_titles: dict[int, str] = {}
    if line.latest is not None:  # without any assessment there is none completed either
        answers = current_answer_views(line.latest.id, session=session)
        titles, reviewed_id, reviewed_titles = titles_with_reviewed(
            line.latest.id, service.id, session=session
        )
    today = now.astimezone(deps.settings.timezone).date()
    snoozed = service.snoozed_until is not None and service.snoozed_until > now
    snooze = current_snooze(session=session, service_id=service.id, now=now) if snoozed else None
    why = due_sentence(due_of(service, deps.settings.timezone), service.phase)
    counts = action_counts(  # improvement actions (#14)
        session=session, team_id=service.team_id, today=today, service_ids=[service.id]
    ).get(service.id)
    reviews = (
        review_status_blocks(assessment_reviews(reviewed_id, session=session), reviewed_titles)
        if reviewed_id is not None
        else []
    )
    blocks = build_status(
        line,
        answers,
        titles,
        today=today,
        now=now,
        snooze=snooze,
        limit=limit - len(reviews),
        due_why=why,
        actions=counts,
        outcomes=measure_lines(measures_for_service(session=session, service_id=service.id)),
    )
    return [*blocks, *reviews]


def status_view(deps: Deps, team_id: str, service_id: int) -> dict[str, Any] | None:
    """The status modal of a service, built from the database (None: no such service)."""
    with deps.sessions() as session:
        service = service_by_id(service_id, team_id=team_id, session=session)
        if service is None:
            return None
        return status_modal(status_blocks(deps, session, service, deps.clock(), limit=100))


def open_status(deps: Deps, client: WebClient, body: dict[str, Any], service_id: int) -> None:
    view = status_view(deps, body["team"]["id"], service_id)
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def refresh_status(
    deps: Deps, client: WebClient, team_id: str, service_id: int, view_id: str, view_hash: str
) -> None:
    """Bring an open status modal up to date (see the module docstring for the hash)."""
    view = status_view(deps, team_id, service_id)
    if view is None or not view_id:
        return
    try:
        client.views_update(view_id=view_id, hash=view_hash or None, view=view)
        return
    except SLACK_CALL_ERRORS as error:
        code = slack_error_code(error)
        if code != "hash_conflict":
            logger.info("status modal %s not refreshed: %s", view_id, code)
            return
    logger.info("status modal %s changed meanwhile; rebuilding it from the database", view_id)
    fresh = status_view(deps, team_id, service_id)
    if fresh is None:
        return
    try:
        client.views_update(view_id=view_id, view=fresh)
    except SLACK_CALL_ERRORS as error:
        logger.info("status modal %s not refreshed: %s", view_id, slack_error_code(error))


def view_of(body: dict[str, Any]) -> tuple[str, str] | None:
    """(view id, hash) when the interaction came from inside a modal, else None."""
    view = body.get("view") or {}
    if (body.get("container") or {}).get("type") != "view" or view.get("type") != "modal":
        return None
    return str(view.get("id") or ""), str(view.get("hash") or "")
