"""`assessbot export`: the CSV export from the command line, for operators and scheduled copies.

It needs only the database. Answerers are shown by their Slack ids unless SLACK_BOT_TOKEN is
set, when their names are looked up in Slack. The file is written beside its destination and
moved into place at the end, so a failed export never leaves half a file where a spreadsheet
expects a whole one; it is created readable by its owner only, as it holds the council's
evidence. Messages go to stderr so `--out -` can be piped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, load_storage_settings
from bot.core.action_export import export_actions_csv
from bot.core.export import AnswererNames, export_csv, find_service
from bot.core.outcome_export import export_outcomes_csv
from bot.core.people import Directory
from bot.core.review_export import review_rows, write_reviews_csv
from storage.db import make_engine, read_only_sessions
from storage.export_queries import exportable_services, workspace_ids

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class ExportError(Exception):
    """A problem the operator can fix; the message is the one line shown."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_export_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write assessment answers to a CSV file",
        description=(
            "Write a CSV of every service's latest assessment (or, with --history, every "
            "answer ever given) for one Slack workspace. UTF-8 with BOM, opens in Excel."
        ),
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write, - for stdout")
    parser.add_argument("--service", metavar="NAME", help="only this service (default: all)")
    parser.add_argument(
        "--history", action="store_true", help="every answer ever given, superseded ones too"
    )
    parser.add_argument(
        "--actions",
        action="store_true",
        help="improvement actions instead of answers (with --history: one row per change)",
    )
    parser.add_argument(
        "--reviews",
        action="store_true",
        help="peer-review verdicts instead of answers (one row per verdict)",
    )
    parser.add_argument(
        "--outcomes",
        action="store_true",
        help="outcome measure readings instead of answers (one row per reading)",
    )
    parser.add_argument(
        "--team",
        metavar="TEAM_ID",
        help="Slack workspace id (needed when the database holds more than one)",
    )
    parser.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    def work() -> str:
        rows, team_id = _export(args, os.environ)
        where = "standard output" if args.out == "-" else args.out
        return f"{rows} rows of workspace {team_id} to {where}"

    return guarded("export", work)


def guarded(command: str, work: Callable[[], str]) -> int:
    """Run a CLI command's work; every expected failure is one line and an exit code."""
    try:
        message = work()
    except ConfigError as error:
        print(f"assessbot {command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ExportError as error:
        print(f"assessbot {command}: {error}", file=sys.stderr)
        return error.exit_code
    except SQLAlchemyError as error:
        reason = str(error).splitlines()[0]
        print(f"assessbot {command}: database error: {reason}", file=sys.stderr)
        return EXIT_FAILED
    print(f"assessbot {command}: {message}", file=sys.stderr)
    return EXIT_OK


def _export(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[int, str]:
    settings = load_storage_settings(env)
    engine = make_engine(settings.database_url)
    try:
        sessions = read_only_sessions(engine)
        with sessions.begin() as session:
            team_id = _team(args.team, workspace_ids(session=session))
            services = exportable_services(session=session, team_id=team_id)
        if args.service is not None:
            service = find_service(services, args.service)
            if service is None:
                raise ExportError(f"no service called {args.service!r} in workspace {team_id}")
            services = [service]
        if args.reviews:  # peer reviews (#15): no Slack names needed
            ids = [service.id for service in services]

            def write_reviews(out: IO[bytes]) -> int:
                with sessions() as session:
                    rows = review_rows(team_id, ids, session=session)
                return write_reviews_csv(out, rows)

            return _write_to(args.out, write_reviews), team_id
        names = AnswererNames(_directory(env))

        def write(out: IO[bytes]) -> int:
            if args.outcomes:  # outcomes (#13)
                return export_outcomes_csv(
                    out,
                    sessions=sessions,
                    team_id=team_id,
                    service_ids=[service.id for service in services],
                    names=names,
                )
            if args.actions:  # improvement actions (#14)
                return export_actions_csv(
                    out,
                    sessions=sessions,
                    team_id=team_id,
                    service_ids=[service.id for service in services],
                    history=args.history,
                    names=names,
                )
            return export_csv(
                out,
                sessions=sessions,
                team_id=team_id,
                service_ids=[service.id for service in services],
                history=args.history,
                names=names,
            )

        return _write_to(args.out, write), team_id
    finally:
        engine.dispose()


def _team(requested: str | None, known: list[str]) -> str:
    if requested is not None:
        return requested
    if len(known) == 1:
        return known[0]
    if not known:
        raise ExportError("the database has no services yet; nothing to export")
    raise ExportError(
        f"the database holds several Slack workspaces; pass --team with one of {', '.join(known)}"
    )


def _write_to(destination: str, write: Callable[[IO[bytes]], int]) -> int:
    if destination == "-":
        stdout = sys.stdout.buffer
        rows = write(stdout)
        stdout.flush()
        return rows
    path = Path(destination)
    if path.is_dir():
        raise ExportError(f"--out {destination} is a folder; give a file name")
    try:
        descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".assessbot-export-")
    except OSError as error:
        raise ExportError(f"cannot write to {destination}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            rows = write(handle)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return rows


def _directory(env: Mapping[str, str]) -> Directory | None:
    """Slack names when a bot token is at hand; ids otherwise."""
    token = env.get("SLACK_BOT_TOKEN", "").strip()
    if not token:
        return None
    from bot.slack.directory import directory_for_token  # only when Slack is wanted

    return directory_for_token(token, env.get("SLACK_API_URL", "").strip() or None)
