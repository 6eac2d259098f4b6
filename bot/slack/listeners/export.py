"""`/assess export [service|all] [history]`: a CSV of assessment answers, sent as a DM.

The file goes to the person's DM with the bot rather than the channel the command was typed
in: it holds every answer and its evidence, which the channel may not be meant to see. It is
built in a temporary file, so a large export costs disk, not memory, and no Slack call is made
while the database transaction that streams it is open.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from slack_bolt import App
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.core.action_export import is_actions_export
from bot.core.export import (
    AnswererNames,
    ExportPlan,
    Refusal,
    describe,
    export_csv,
    export_filename,
    find_service,
    parse_export_args,
    plan_export,
)
from bot.core.outcome_export import OUTCOMES_WORD
from bot.core.review_export import REVIEWS_WORD
from bot.core.text import safe
from bot.deps import Deps
from bot.slack.action_export import NOTHING_YET as ACTIONS_NOTHING_YET
from bot.slack.action_export import build_actions_file
from bot.slack.directory import ForgivingDirectory, SlackDirectory
from bot.slack.outcome_export import handle_outcomes_export
from bot.slack.review_export import handle_review_export
from bot.slack.router import CommandRequest, CommandRouter
from storage.db import read_only_sessions
from storage.export_queries import ExportChangedError, exportable_services

logger = logging.getLogger(__name__)

USAGE = "/assess export [service|all] [history]"
PREPARING = ":hourglass_flowing_sand: Preparing your export…"
DATABASE_FAILED = ":warning: Couldn't read the assessments just now, please try again in a moment."
FILE_FAILED = ":warning: Couldn't build the export file, please try again in a moment."
NOTHING_YET = "Nothing to export yet: {what} never been assessed."
SENT = ":inbox_tray: I've sent you the CSV ({rows}) in our direct messages."
MISSING_SCOPE = (
    ":warning: I'm not allowed to send files. An admin needs to reinstall the app with the "
    "`files:write` and `im:write` scopes."
)
SEND_FAILED = ":warning: Couldn't send you the file (Slack said `{code}`). Please try again."
SLACK_FAILED = ":warning: Slack didn't answer as expected (`{code}`). Please try again in a moment."
CHANGED = ":warning: The assessments changed while I was exporting them. Please try again."


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "export",
        handle_export,
        usage=USAGE,
        summary="Get a CSV of assessment answers (or `actions`) in a DM (owners: theirs; "
        "admins: all)",
        example="/assess export Bins history",
    )


def handle_export(request: CommandRequest) -> None:
    """Check what the person may export, build the CSV, DM it; every failure gets a sentence."""
    if request.args and request.args[0].casefold() == REVIEWS_WORD:  # peer reviews (#15)
        handle_review_export(request)
        return
    if request.args[:1] and request.args[0].casefold() == OUTCOMES_WORD:  # outcomes (#13)
        handle_outcomes_export(request)
        return
    stage = "checking"
    actions = is_actions_export(request.args)  # improvement actions (#14): their own CSV
    if actions:
        request = replace(request, args=request.args[1:])
    try:
        plan = _plan(request)
        if isinstance(plan, Refusal):
            request.reply(plan.text)
            return
        request.reply(PREPARING)
        with tempfile.TemporaryDirectory(prefix="assessbot-export-") as folder:
            stage = "building"
            path, rows = (build_actions_file if actions else build_file)(
                request, plan, Path(folder)
            )
            if rows == 0 and actions:
                request.reply(ACTIONS_NOTHING_YET.format(what=safe(plan.scope, 80)))
                return
            if rows == 0:
                request.reply(NOTHING_YET.format(what=_never_assessed(plan)))
                return
            stage = "sending"
            send_file(request, plan, path, rows)
        request.reply(SENT.format(rows=f"{rows} row" + ("" if rows == 1 else "s")))
    except (OperationalError, DBAPIError):
        logger.warning("database unavailable during /assess export", exc_info=True)
        request.reply(DATABASE_FAILED)
    except ExportChangedError:
        logger.warning("assessments changed under an export", exc_info=True)
        request.reply(CHANGED)
    except SlackApiError as error:
        code = str(error.response.get("error", "unknown_error"))
        logger.warning("Slack refused a call while %s an export: %s", stage, code)
        if code == "missing_scope":
            request.reply(MISSING_SCOPE)
        else:
            request.reply((SEND_FAILED if stage == "sending" else SLACK_FAILED).format(code=code))
    except (SlackClientError, OSError) as error:  # the upload POST, or the temporary file
        logger.warning("export failed while %s: %s", stage, error)
        if stage == "sending":
            request.reply(SEND_FAILED.format(code="upload_failed"))
        else:
            request.reply(FILE_FAILED)


def _plan(request: CommandRequest) -> ExportPlan | Refusal:
    args = parse_export_args(request.args)  # the router has undone Slack's &amp; escaping
    with request.deps.sessions.begin() as session:
        services = exportable_services(session=session, team_id=request.team_id)
    named = find_service(services, args.service_name) if args.service_name else None
    # Asking Slack whether someone is an admin costs a call; an owner of the named service
    # does not need it.
    owner = named is not None and request.user_id in named.owner_ids
    admin = False if owner else request.is_admin()
    return plan_export(args, request.user_id, admin, services)


def build_file(request: CommandRequest, plan: ExportPlan, folder: Path) -> tuple[Path, int]:
    """Write the CSV for `plan` into `folder`; the path and the number of rows."""
    deps = request.deps
    path = folder / export_filename(_today(request))
    directory = SlackDirectory(request.client, team_id=request.team_id, cache=deps.people)
    names = AnswererNames(ForgivingDirectory(directory))
    with path.open("wb") as out:
        rows = export_csv(
            out,
            sessions=read_only_sessions(deps.engine),
            team_id=request.team_id,
            service_ids=[service.id for service in plan.services],
            history=plan.history,
            names=names,
        )
    return path, rows


def send_file(request: CommandRequest, plan: ExportPlan, path: Path, rows: int) -> None:
    """Upload the file to the person's DM with the bot, with one line saying what it holds."""
    dm = request.client.conversations_open(users=request.user_id)
    request.client.files_upload_v2(
        channel=dm["channel"]["id"],
        file=str(path),
        filename=path.name,
        title=f"Assessment export {_today(request).isoformat()}",
        initial_comment=describe(plan, rows),
    )


def _today(request: CommandRequest) -> date:
    deps = request.deps
    return deps.clock().astimezone(deps.settings.timezone).date()


def _never_assessed(plan: ExportPlan) -> str:
    if len(plan.services) == 1:
        return f"“{safe(plan.services[0].name, 80)}” has"
    return f"{plan.scope} have"
