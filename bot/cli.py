"""The `assessbot` command line: a thin shell over the library.

Configuration mistakes print one line and exit 2; nothing here starts the scheduler except
`run`, so one-shot commands never send anything on their own.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli_export import add_export_parser
from bot.cli_report import add_report_parsers
from bot.cli_summary import add_summary_parser
from bot.config import ConfigError, load_settings, load_storage_settings
from standards import (
    Catalogue,
    MeasureTemplateError,
    StandardFileError,
    check_measure_file,
    check_standard_file,
    load_catalogue,
    load_measure_templates,
    load_standard_file,
)
from standards.stats import (
    built_thing_words,
    needs_phases,
    standard_stats,
    stats_table,
    unmarked_repeats,
)
from storage.db import make_engine
from storage.migrate import upgrade

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        # the pid tells HTTP mode's worker processes apart
        format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_CONFIG
    try:
        return int(args.handler(args))
    except ConfigError as error:
        print(f"assessbot: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except StandardFileError as error:
        print(f"assessbot: a standard file is broken:\n{error}", file=sys.stderr)
        return EXIT_CONFIG


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assessbot", description="Assess digital services against a service standard."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="serve Slack (HTTP or Socket Mode) and the scheduler")
    run.set_defaults(handler=_run)

    db = commands.add_parser("db", help="database commands").add_subparsers(metavar="COMMAND")
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(handler=_db_upgrade)

    standards = commands.add_parser("standards", help="the loaded standards")
    standards_commands = standards.add_subparsers(metavar="COMMAND")
    standards_commands.add_parser("list", help="list loaded standards").set_defaults(
        handler=_standards_list
    )
    standards_commands.add_parser(
        "stats", help="questions per phase, outcomes and relational questions, per standard"
    ).set_defaults(handler=_standards_stats)
    check = standards_commands.add_parser(
        "check", help="validate a standard file, or a measure template file in outcomes/"
    )
    check.add_argument("path", type=Path)
    check.set_defaults(handler=_standards_check)

    jobs = commands.add_parser("jobs", help="run a scheduled job once, now")
    jobs_run = jobs.add_subparsers(metavar="COMMAND").add_parser("run", help="run one job")
    jobs_run.add_argument("job", choices=["reminders", "summary"])
    jobs_run.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send nothing"
    )
    jobs_run.set_defaults(handler=_jobs_run)

    add_export_parser(commands)
    add_summary_parser(commands)
    add_report_parsers(commands)
    return parser


def _run(_args: argparse.Namespace) -> int:
    settings = load_settings()
    from bot.slack.runner import run

    return run(settings)


def _db_upgrade(_args: argparse.Namespace) -> int:
    settings = load_storage_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    print("database is up to date")
    return 0


def _standards_list(_args: argparse.Namespace) -> int:
    settings = load_storage_settings()
    catalogue = load_catalogue(settings.standards_dir)
    for standard in catalogue:
        print(
            f"{standard.id:<12} {standard.point_count:>2} points  {standard.title} "
            f"({standard.publisher}, {standard.version}; {standard.licence})"
        )
        print(f"{'':<12} {standard.attribution_line}")
    library = load_measure_templates(catalogue, settings.standards_dir)
    print("\nmeasure templates:")
    for template_set in library:
        print(
            f"{template_set.id:<28} {len(template_set.measures):>2} measures  "
            f"{template_set.title} ({template_set.publisher}; {template_set.licence})"
        )
    return 0


def _standards_stats(_args: argparse.Namespace) -> int:
    settings = load_storage_settings()
    catalogue = load_catalogue(settings.standards_dir)
    print(stats_table([standard_stats(standard) for standard in catalogue]))
    problems = [
        f"{s.id} point {p.number}: asked in every phase but mentions "
        f"{', '.join(built_thing_words(q.text))}: {q.text}"
        for s in catalogue
        for p in s.points
        for q in p.questions
        if needs_phases(q)
    ] + unmarked_repeats(catalogue)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def _standards_check(args: argparse.Namespace) -> int:
    if args.path.parent.name == "outcomes":
        # Template files live in an outcomes/ folder and link to standard points, so they
        # are checked against the standards this bot would load.
        settings = load_storage_settings()
        problems = check_measure_file(args.path, load_catalogue(settings.standards_dir))
    else:
        problems = check_standard_file(args.path) or _outcome_link_problems(args.path)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{args.path}: ok")
    return 0


def _outcome_link_problems(path: Path) -> list[str]:
    """Check a valid standard's outcome links against the templates the bot would load.

    A ``measure`` naming a template that does not exist, or one that does not list the
    point, only shows up once standards and templates meet, so check that here too rather
    than let the bot refuse to start.
    """
    settings = load_storage_settings()
    standard = load_standard_file(path)
    others = tuple(s for s in load_catalogue(settings.standards_dir) if s.id != standard.id)
    try:
        load_measure_templates(Catalogue((*others, standard)), settings.standards_dir)
    except MeasureTemplateError as error:
        return list(error.problems)
    return []


def _jobs_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    from bot.slack.client import build_web_client
    from bot.slack.runner import build_deps

    deps = build_deps(settings)
    upgrade(deps.engine)
    client = build_web_client(settings)
    if args.job == "reminders":
        from bot.slack.reminder_job import run_reminders_tick

        run_reminders_tick(deps, client, dry_run=args.dry_run, out=sys.stdout)
    else:
        from bot.slack.summary_job import run_summary_tick

        run_summary_tick(deps, client, dry_run=args.dry_run, out=sys.stdout)
    return 0
