"""`/assess due` and the Snooze button on reminders.

The permission check may call users.info, so it runs between two short database sessions
rather than inside a write transaction: on SQLite a transaction holds the write lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks import reminder_ids
from bot.blocks.kit import Block
from bot.blocks.reminders import build_due_list, snoozed_text
from bot.core.reminders import DUE_LIST_DAYS, snooze_until
from bot.deps import Deps
from bot.slack.errors import tell_user_on_failure
from bot.slack.lookup import manages, refusal_text
from bot.slack.router import CommandRequest, CommandRouter
from storage.reminder_queries import due_services, find_service, snooze_service

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "due",
        _due,
        usage="/assess due",
        summary=f"Services overdue or due within {DUE_LIST_DAYS} days, most overdue first",
        example="/assess due",
    )

    @app.action(reminder_ids.SNOOZE)
    def on_snooze(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()

        def tell(text: str) -> None:
            respond(text=text, response_type="ephemeral", replace_original=False)

        with tell_user_on_failure(tell, "snoozing reminders"):
            _snooze(deps, body, client, tell)


def _due(request: CommandRequest) -> None:
    request.reply(*due_list(request.deps, request.team_id))


def due_list(deps: Deps, team_id: str) -> tuple[str, list[Block]]:
    """`/assess due`: the fallback text and blocks."""
    now = deps.clock()
    today = now.astimezone(deps.settings.timezone).date()
    with deps.sessions() as session:
        services = due_services(
            session=session, team_id=team_id, today=today, within_days=DUE_LIST_DAYS
        )
    return build_due_list(services, today=today, now=now, within_days=DUE_LIST_DAYS)


def _snooze(
    deps: Deps, body: dict[str, Any], client: WebClient, tell: Callable[[str], None]
) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    value = str(body["actions"][0].get("value", ""))
    if not value.isdigit():
        return
    with deps.sessions() as session:
        service = find_service(session=session, service_id=int(value), team_id=team_id)
    if service is None or service.archived_at is not None:
        tell("That service has been archived or removed, so it has no reminders to snooze.")
        return
    if not manages(deps, client, user_id, service):
        tell(refusal_text(service, "snooze its reminders"))
        return
    with deps.sessions.begin() as session:
        current = find_service(session=session, service_id=service.id, team_id=team_id)
        if current is None:
            return
        now = deps.clock()
        until = snooze_service(
            session=session,
            service=current,
            user_id=user_id,
            now=now,
            until=snooze_until(current.snoozed_until, now),
        )
    logger.info("reminders for service %s snoozed until %s by %s", service.id, until, user_id)
    tell(snoozed_text(service.name, until))
