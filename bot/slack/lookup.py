"""Finding the service a command names, and refusing politely when someone may not act on it.

Both read in a short session of their own and reply only after it has closed: nothing here
talks to Slack while a transaction is open.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.blocks.words import mention
from bot.core.commands import join_name
from bot.core.permissions import can_manage, is_admin
from bot.core.services import NotFound, find_service
from bot.core.text import safe
from bot.deps import Deps
from bot.slack.directory import SlackDirectory, request_directory
from bot.slack.errors import SLACK_CALL_ERRORS
from bot.slack.router import CommandRequest
from storage.models import Service
from storage.views import ServiceView

logger = logging.getLogger(__name__)


def not_found_text(result: NotFound) -> str:
    asked = safe(result.asked, 80)
    if result.suggestions:
        names = " or ".join(f"'{safe(name, 80)}'" for name in result.suggestions)
        return f"No service called '{asked}'. Did you mean {names}?"
    if result.all_names:
        listed = ", ".join(safe(name, 80) for name in result.all_names[:30])
        more = f" and {len(result.all_names) - 30} more" if len(result.all_names) > 30 else ""
        return f"No service called '{asked}'. The services are: {listed}{more}."
    return f"No service called '{asked}'. There are no services yet: `/assess new` registers one."


def named_service(request: CommandRequest, usage: str) -> Service | None:
    """The service named in the arguments, or None after telling the person why not."""
    with request.deps.sessions() as session:
        found = named_in(request, usage, session)
    if isinstance(found, str):
        request.reply(found)
        return None
    return found


def named_in(request: CommandRequest, usage: str, session: Session) -> Service | str:
    """The service named in the arguments, read in the caller's session, or what to tell the
    person instead (the caller replies once its session has closed). A command that goes on
    reading about the service (`/assess status`) then needs only the one session."""
    name = join_name(request.args)
    if not name:
        return f"Which service? Usage: `{usage}`"
    found = find_service(name, team_id=request.team_id, session=session)
    return not_found_text(found) if isinstance(found, NotFound) else found


def refusal_text(service: Service | ServiceView, action: str) -> str:
    owners = ", ".join(mention(owner) for owner in service.owner_ids) or "its owners"
    return (
        f"Sorry, only the owners of {safe(service.name, 80)} ({owners}) or an admin can "
        f"{action}. Ask one of them, or ask an admin to add you as an owner."
    )


def may_manage(
    directory: SlackDirectory, user_id: str, service: Service | ServiceView, admins: frozenset[str]
) -> bool:
    """Owners and listed admins without asking Slack; Slack workspace admins with one lookup.

    If Slack cannot answer, the person is treated as not an admin: refusing politely beats
    letting someone through on a guess.
    """
    if user_id in service.owner_ids or user_id in admins:
        return True
    try:
        person = directory.lookup(user_id)
    except SLACK_CALL_ERRORS:
        logger.warning("users.info failed while checking permissions; treating as not admin")
        person = None
    return can_manage(user_id, service.owner_ids, person, admins, team_id=service.team_id)


def service_to_manage(request: CommandRequest, usage: str, action: str) -> Service | None:
    """The named service if the person may manage it; otherwise None, after saying why."""
    service = named_service(request, usage)
    if service is None:
        return None
    directory = request_directory(request.deps.people, request.client, request.team_id)
    if not may_manage(directory, request.user_id, service, request.deps.settings.admins):
        request.reply(refusal_text(service, action))
        return None
    return service


def manages(deps: Deps, client: WebClient, user_id: str, service: Service | ServiceView) -> bool:
    """`may_manage` through the process's directory. Call it before opening a transaction."""
    directory = request_directory(deps.people, client, service.team_id)
    return may_manage(directory, user_id, service, deps.settings.admins)


def admin_here(
    deps: Deps, client: WebClient, team_id: str, user_id: str, *, strict: bool = False
) -> bool:
    """An admin of this workspace (listed, or Slack's own); "no" when Slack cannot say.

    `strict` lets Slack's failure through instead, for a command whose reply can say what
    went wrong: an admin told "only admins" because Slack timed out would be misled."""
    if user_id in deps.settings.admins:
        return True
    try:
        person = request_directory(deps.people, client, team_id).lookup(user_id)
    except SLACK_CALL_ERRORS:
        if strict:
            raise
        logger.warning("users.info failed while checking for an admin; treating as not admin")
        return False
    return is_admin(user_id, person, deps.settings.admins, team_id=team_id)
