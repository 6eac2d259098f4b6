"""`assessbot report` and `assessbot publish`: the report and the static site, without Slack.

Both need only the database. People and the team channel are named as Slack names them when
SLACK_BOT_TOKEN is set (users.info, conversations.info), and by their Slack ids otherwise. The
organisation is `--organisation` when given, else the workspace name the bot last learnt from
Slack (kept whenever someone asks for a report in Slack), else the workspace id.

`report` writes the same bytes `/assess report` sends for the same data and clock; the file is
written beside its destination and moved into place, like the export.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bot.cli_export import ExportError, _directory, _team, guarded
from bot.clock import system_clock
from bot.config import load_storage_settings
from bot.core.export import AnswererNames
from bot.core.publish import gather_site, write_site
from bot.core.report_file import Namer, build_report_file
from bot.core.report_outcomes import credits_of
from standards import load_catalogue
from storage.db import make_engine, read_only_sessions
from storage.export_queries import workspace_ids
from storage.report_queries import workspace_name
from storage.service_queries import service_by_name


def add_report_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser(
        "report",
        help="write one service's assessment report as a self-contained HTML file",
        description="Write the latest assessment report of one service (the /assess report file).",
    )
    report.add_argument("--service", required=True, metavar="NAME", help="the service's name")
    report.add_argument("--out", required=True, metavar="FILE", help="the .html file to write")
    _common(report)
    report.set_defaults(handler=run_report)

    publish = subparsers.add_parser(
        "publish",
        help="write a static site: portfolio page, reports, assessments.json and .csv",
        description=(
            "Write index.html, one report per service, assessments.json and assessments.csv "
            "into a folder, for any web server. Only services marked publishable, and no "
            "evidence notes, unless asked."
        ),
    )
    publish.add_argument("--out", required=True, metavar="DIR", help="the folder to write")
    publish.add_argument(
        "--all", action="store_true", help="every service, publishable or not (internal copy)"
    )
    publish.add_argument(
        "--with-evidence",
        action="store_true",
        help="include evidence notes and links (they may hold personal data)",
    )
    _common(publish)
    publish.set_defaults(handler=run_publish)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--team", metavar="TEAM_ID", help="Slack workspace id (when the database holds several)"
    )
    parser.add_argument(
        "--organisation", metavar="NAME", help="the organisation's name shown on the pages"
    )


def run_report(args: argparse.Namespace) -> int:
    return guarded("report", lambda: _report(args, os.environ))


def run_publish(args: argparse.Namespace) -> int:
    return guarded("publish", lambda: _publish(args, os.environ))


def _namer(env: Mapping[str, str]) -> Namer:
    token = env.get("SLACK_BOT_TOKEN", "").strip()
    directory = _directory(env)
    if not token:
        return Namer(AnswererNames(directory))
    from bot.slack.names import channel_namer_for_token  # only when Slack is wanted

    channels = channel_namer_for_token(token, env.get("SLACK_API_URL", "").strip() or None)
    return Namer(AnswererNames(directory), channels)


def _organisation(requested: str | None, stored: str | None, team_id: str) -> str:
    return (requested or "").strip() or stored or team_id


def _report(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    settings = load_storage_settings(env)
    engine = make_engine(settings.database_url)
    try:
        sessions = read_only_sessions(engine)
        with sessions.begin() as session:
            team_id = _team(args.team, workspace_ids(session=session))
            stored = workspace_name(session=session, team_id=team_id)
            service = service_by_name(args.service, team_id=team_id, session=session)
            service_id = None if service is None or service.archived_at else service.id
        if service_id is None:
            raise ExportError(f"no service called {args.service!r} in workspace {team_id}")
        catalogue = load_catalogue(settings.standards_dir)
        built = build_report_file(
            sessions=sessions,
            team_id=team_id,
            service_id=service_id,
            organisation=_organisation(args.organisation, stored, team_id),
            namer=_namer(env),
            now=system_clock(),
            tz=settings.timezone,
            standard_titles={standard.id: standard.title for standard in catalogue},
            credits=credits_of(catalogue),
        )
        if built is None:
            raise ExportError(f"no service called {args.service!r} in workspace {team_id}")
        _write_bytes(Path(args.out), built.content)
        return f"report of {built.service_name} written to {args.out}"
    finally:
        engine.dispose()


def _publish(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    settings = load_storage_settings(env)
    engine = make_engine(settings.database_url)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {args.out} is a file; give a folder")
    try:
        sessions = read_only_sessions(engine)
        with sessions.begin() as session:
            team_id = _team(args.team, workspace_ids(session=session))
            stored = workspace_name(session=session, team_id=team_id)
        catalogue = load_catalogue(settings.standards_dir)
        namer = _namer(env)
        now = system_clock()
        site = gather_site(
            sessions=sessions,
            team_id=team_id,
            organisation=_organisation(args.organisation, stored, team_id),
            now=now,
            tz=settings.timezone,
            include_all=args.all,
            with_evidence=args.with_evidence,
            person=namer.person,
            channel=namer.channel,
            standard_titles={standard.id: standard.title for standard in catalogue},
            credits=credits_of(catalogue),
        )
        published = write_site(
            site,
            out,
            sessions=sessions,
            generated_at=now,
            tz=settings.timezone,
            with_evidence=args.with_evidence,
            names=namer.names,
        )
        return (
            f"{published.services} services, {published.assessments} assessments, "
            f"{len(published.files)} files written to {out}"
        )
    finally:
        engine.dispose()


def _write_bytes(path: Path, content: bytes) -> None:
    if path.is_dir():
        raise ExportError(f"--out {path} is a folder; give a file name")
    try:
        descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".assessbot-report-")
    except OSError as error:
        raise ExportError(f"cannot write to {path}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
