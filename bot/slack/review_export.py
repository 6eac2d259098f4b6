"""`/assess export reviews [service]`: a CSV of peer-review verdicts, sent as a DM.

Who may export what is the answers export's rule (owners their services, admins all), and
the file goes to the person's DM for the same reason: it holds reviewers' comments. A
reviewer from another workspace has no services here, so there is nothing for them.
"""

from __future__ import annotations

import io
import logging

from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.core.export import ExportArgs, Refusal, find_service, plan_export
from bot.core.review_export import review_rows, reviews_filename, write_reviews_csv
from bot.core.text import escape
from bot.slack.router import CommandRequest
from storage.export_queries import exportable_services

logger = logging.getLogger(__name__)

NOTHING = "No peer reviews to export yet."
FAILED = ":warning: Couldn't export the reviews just now, please try again in a moment."


def handle_review_export(request: CommandRequest) -> None:
    deps = request.deps
    name = " ".join(request.args[1:]).strip() or None
    try:
        with deps.sessions() as session:
            services = exportable_services(session=session, team_id=request.team_id)
        named = find_service(services, name) if name else None
        owner = named is not None and request.user_id in named.owner_ids
        admin = False if owner else request.is_admin()
        plan = plan_export(ExportArgs(service_name=name), request.user_id, admin, services)
        if isinstance(plan, Refusal):
            request.reply(plan.text)
            return
        with deps.sessions() as session:
            rows = review_rows(request.team_id, [s.id for s in plan.services], session=session)
        if not rows:
            request.reply(NOTHING)
            return
        buffer = io.BytesIO()
        count = write_reviews_csv(buffer, rows)
        today = deps.clock().astimezone(deps.settings.timezone).date()
        dm = request.client.conversations_open(users=request.user_id)
        request.client.files_upload_v2(
            channel=dm["channel"]["id"],
            content=buffer.getvalue(),
            filename=reviews_filename(today),
            title=f"Peer review export {today.isoformat()}",
            initial_comment=f"Peer reviews of {escape(plan.scope)}: {count} verdicts.",
        )
    except (OperationalError, DBAPIError, SlackClientError, OSError):
        logger.warning("reviews export failed", exc_info=True)
        request.reply(FAILED)
        return
    request.reply(f":inbox_tray: I've sent you the reviews CSV ({count} rows) in our DMs.")
