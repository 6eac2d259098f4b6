"""`/assess export outcomes [service|all]`: the readings CSV, DMed like the answers export.

Who may export what is the answers export's rule (`plan_export`): owners their services,
admins any or all. Names are looked up before the read opens; the file goes to the person's DM.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.core.export import AnswererNames, Refusal, find_service, parse_export_args, plan_export
from bot.core.outcome_export import export_outcomes_csv, outcomes_filename
from bot.core.periods import local_today
from bot.slack.directory import ForgivingDirectory, SlackDirectory
from bot.slack.router import CommandRequest
from storage.db import read_only_sessions
from storage.export_queries import exportable_services

logger = logging.getLogger(__name__)

NOTHING = "No readings to export yet: record some with `/assess record <service>`."
FAILED = ":warning: Couldn't build the outcomes export just now, please try again in a moment."


def handle_outcomes_export(request: CommandRequest) -> None:
    deps = request.deps
    args = parse_export_args(request.args[1:])
    try:
        with deps.sessions() as session:
            services = exportable_services(session=session, team_id=request.team_id)
        named = find_service(services, args.service_name) if args.service_name else None
        owner = named is not None and request.user_id in named.owner_ids
        plan = plan_export(args, request.user_id, False if owner else request.is_admin(), services)
        if isinstance(plan, Refusal):
            request.reply(plan.text)
            return
        today = local_today(deps.clock(), deps.settings.timezone)
        names = AnswererNames(
            ForgivingDirectory(SlackDirectory(request.client, cache=request.deps.people))
        )
        with tempfile.TemporaryDirectory(prefix="assessbot-outcomes-") as folder:
            path = Path(folder) / outcomes_filename(today)
            with path.open("wb") as out:
                rows = export_outcomes_csv(
                    out,
                    sessions=read_only_sessions(deps.engine),
                    team_id=request.team_id,
                    service_ids=[service.id for service in plan.services],
                    names=names,
                )
            if rows == 0:
                request.reply(NOTHING)
                return
            dm = request.client.conversations_open(users=request.user_id)
            request.client.files_upload_v2(
                channel=dm["channel"]["id"],
                file=str(path),
                filename=path.name,
                title=f"Outcomes export {today.isoformat()}",
                initial_comment=f"Outcome readings of {plan.scope}: {rows} rows, one per reading.",
            )
        request.reply(f":inbox_tray: I've sent you the outcomes CSV ({rows} rows) in our DMs.")
    except (OperationalError, DBAPIError, SlackClientError, OSError):
        logger.warning("outcomes export failed", exc_info=True)
        request.reply(FAILED)
