"""`/assess restore <service>`: bring an archived service back, with its history.

Owners and admins only. Who may is asked of Slack first; then one short transaction restores
the service; the person is told after it has committed.
"""

from __future__ import annotations

from slack_bolt import App

from bot.blocks.words import day
from bot.core.commands import join_name
from bot.core.services import restore_service
from bot.core.text import safe
from bot.deps import Deps
from bot.slack.directory import request_directory
from bot.slack.lookup import may_manage, refusal_text
from bot.slack.router import CommandRequest, CommandRouter
from storage.service_queries import archived_service_names, service_by_id, service_by_name

USAGE = "/assess restore <service>"


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "restore",
        handle_restore,
        usage=USAGE,
        summary="Bring back an archived service, with its history (owners and admins)",
        example="/assess restore Garden waste",
    )


def handle_restore(request: CommandRequest) -> None:
    deps = request.deps
    name = join_name(request.args)
    if not name:
        request.reply(f"Which service? Usage: `{USAGE}`")
        return
    with deps.sessions() as session:
        service = service_by_name(name, team_id=request.team_id, session=session)
        archived = archived_service_names(team_id=request.team_id, session=session)
    if service is None:
        listed = ", ".join(f"'{safe(held, 80)}'" for held in archived[:20])
        more = f" The archived services are: {listed}." if archived else ""
        request.reply(f"No archived service called '{safe(name, 80)}'.{more}")
        return
    shown = safe(service.name, 80)
    if service.archived_at is None:
        request.reply(f"{shown} isn't archived: it is listed and reminded about as usual.")
        return
    directory = request_directory(deps.people, request.client, request.team_id)
    if not may_manage(directory, request.user_id, service, deps.settings.admins):
        request.reply(refusal_text(service, "restore it"))
        return
    with deps.sessions.begin() as session:
        fresh = service_by_id(service.id, team_id=request.team_id, session=session)
        restored = fresh is not None and fresh.archived_at is not None
        if fresh is not None and restored:
            restore_service(fresh, now=deps.clock())
        due = fresh.next_due_on if fresh is not None else None
    if not restored or due is None:
        request.reply(f"{shown} was restored a moment ago by someone else.")
        return
    request.reply(
        f":recycle: {shown} is back, with its history: it is listed and reminded about again. "
        f"Next assessment due {day(due)}: `/assess status {shown}` shows where it stands."
    )
