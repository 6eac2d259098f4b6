"""`assessbot summary`: the leadership summary in a terminal, or just its picture.

Database only, no Slack: an operator can check what leaders will see, or keep a copy of the
heatmap, without a bot token. The figures compare with the last weekly summary sent to the
workspace's first leadership channel, as that channel's next summary will.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.summary import summary_text
from bot.clock import system_clock
from bot.config import ConfigError, load_storage_settings
from bot.core.action_summary import figures_for
from bot.core.outcome_summary import attach_outcomes
from bot.core.summary import Figures, build_summary
from standards import load_catalogue
from storage.db import make_engine, session_factory
from storage.export_queries import workspace_ids
from storage.summary_queries import get_settings, load_portfolio, previous_figures

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class SummaryError(Exception):
    """A problem the operator can fix; the message is the one line shown."""


def add_summary_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="show the leadership summary (text) or write its heatmap (PNG)",
        description=(
            "Print the leadership summary of every service of one Slack workspace, as the "
            "weekly post would show it, or write its heatmap picture. Reads the database only."
        ),
    )
    parser.add_argument(
        "--team",
        metavar="TEAM_ID",
        help="Slack workspace id (needed when the database holds more than one)",
    )
    parser.add_argument(
        "--print",
        dest="print_text",
        action="store_true",
        help="print the summary as plain text (the default)",
    )
    parser.add_argument(
        "--png",
        metavar="FILE",
        help="write the heatmap to FILE (more pages become FILE-2.png, FILE-3.png, …)",
    )
    parser.set_defaults(handler=run_summary)


def run_summary(args: argparse.Namespace) -> int:
    try:
        return _summary(args)
    except ConfigError as error:
        print(f"assessbot summary: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SummaryError as error:
        print(f"assessbot summary: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as error:
        print(f"assessbot summary: database error: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"assessbot summary: {error}", file=sys.stderr)
        return EXIT_FAILED


def _summary(args: argparse.Namespace) -> int:
    storage = load_storage_settings(os.environ)
    catalogue = load_catalogue(storage.standards_dir)
    engine = make_engine(storage.database_url)
    try:
        with session_factory(engine)() as session:
            team_id = _team(args.team, workspace_ids(session=session))
            settings = get_settings(session=session, team_id=team_id)
            portfolio = load_portfolio(session=session, team_id=team_id, phases=settings.phases)
            now = system_clock()
            actions = figures_for(  # improvement actions (#14)
                portfolio, session=session, team_id=team_id, now=now, tz=storage.timezone
            )
            previous = None
            if settings.channels:
                previous = Figures.from_json(
                    previous_figures(
                        session=session, team_id=team_id, channel_id=settings.channels[0]
                    )
                )
            labels = {standard.id: standard.short_title for standard in catalogue}
            summary = build_summary(
                portfolio,
                team_id=team_id,
                now=now,
                tz=storage.timezone,
                previous=previous,
                phases=settings.phases,
                standard_labels=labels,
            )
            summary = attach_outcomes(  # outcomes (#13)
                summary,
                portfolio,
                session=session,
                phases=settings.phases,
                subdivision=storage.bank_holidays,
                tz=storage.timezone,
                channel_id=settings.channels[0] if settings.channels else None,
            )
    finally:
        engine.dispose()
    summary = replace(summary, actions=actions)
    if args.png:
        from bot.core.heatmap import render_summary  # matplotlib only when a picture is asked for

        images = render_summary(summary, short_titles=labels)
        if not images:
            raise SummaryError("no service has been assessed yet, so there is no heatmap")
        for path, image in zip(png_paths(Path(args.png), len(images)), images, strict=True):
            path.write_bytes(image.png)
            print(f"assessbot summary: wrote {path} ({image.title})", file=sys.stderr)
    if args.print_text or not args.png:
        sys.stdout.write(summary_text(summary))
    return EXIT_OK


def png_paths(first: Path, count: int) -> list[Path]:
    """FILE, FILE-2, FILE-3… (the suffix kept), so one page keeps exactly the name asked for."""
    suffix = first.suffix or ".png"
    stem = first.with_suffix("") if first.suffix else first
    return [
        first if index == 1 else Path(f"{stem}-{index}{suffix}") for index in range(1, count + 1)
    ]


def _team(asked: str | None, known: list[str]) -> str:
    if asked:
        return asked
    if len(known) == 1:
        return known[0]
    if not known:
        raise SummaryError("the database has no services yet")
    raise SummaryError(
        f"the database holds several workspaces; choose one with --team ({', '.join(known)})"
    )
