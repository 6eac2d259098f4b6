"""`/assess export actions [service|all] [history]`: the actions CSV, built like the answers one.

The export listener plans (same rule: owners their services, admins any or all), handles
failures and sends; this module only builds the file.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.action_export import export_actions_csv, export_filename
from bot.core.export import AnswererNames, ExportPlan
from bot.slack.directory import ForgivingDirectory, SlackDirectory
from bot.slack.router import CommandRequest
from storage.db import read_only_sessions

NOTHING_YET = "No improvement actions yet on {what}."


def build_actions_file(request: CommandRequest, plan: ExportPlan, folder: Path) -> tuple[Path, int]:
    """Write the actions CSV for `plan` into `folder`; the path and the number of rows."""
    deps = request.deps
    today = deps.clock().astimezone(deps.settings.timezone).date()
    path = folder / export_filename(today)
    names = AnswererNames(
        ForgivingDirectory(SlackDirectory(request.client, cache=request.deps.people))
    )
    with path.open("wb") as out:
        rows = export_actions_csv(
            out,
            sessions=read_only_sessions(deps.engine),
            team_id=request.team_id,
            service_ids=[service.id for service in plan.services],
            history=plan.history,
            names=names,
        )
    return path, rows
