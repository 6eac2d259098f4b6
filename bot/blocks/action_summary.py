"""The leadership summary's "Actions" part, for Slack (mrkdwn, escaped) and for a terminal."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.kit import Block, divider, pack_lines
from bot.core.action_summary import SERVICES_SHOWN, ActionFigures, ServiceActions
from bot.core.text import safe, truncate

HEADING = ":hammer_and_wrench: Improvement actions"
NAME_LIMIT = 80


def action_lines(
    figures: ActionFigures, *, bold: Callable[[str], str], name: Callable[[str], str]
) -> list[str]:
    """The figures as lines: headline numbers first, then services worst first."""
    oldest = figures.oldest_overdue
    oldest_text = (
        "none"
        if oldest is None
        else f"{name(oldest.service_name)}, {oldest.days} days overdue "
        f"(due {oldest.due_on.day} {oldest.due_on:%b %Y})"
    )
    percent = figures.covered_percent
    covered = (
        "no not-met or partly-met points"
        if percent is None
        else f"{percent}% ({figures.covered} of {figures.weak_points})"
    )
    lines = [
        f"{bold('Open')} {figures.open} · {bold('Overdue')} {figures.overdue} · "
        f"{bold('Oldest overdue')} {oldest_text}",
        f"{bold('Done in the last 90 days')} {figures.done_recently}, "
        f"{figures.done_on_time} of them on time",
        f"{bold('Not-met and partly-met points with an action')} {covered}",
    ]
    for line in figures.services[:SERVICES_SHOWN]:
        lines.append(_service(line, name))
    hidden = len(figures.services) - SERVICES_SHOWN
    if hidden > 0:
        lines.append(f"…and {hidden} more services with open actions or points without one.")
    return lines


def _service(line: ServiceActions, name: Callable[[str], str]) -> str:
    parts = [f"{line.open} open"]
    if line.overdue:
        parts.append(f"{line.overdue} overdue")
    if line.uncovered:
        parts.append(f"{line.uncovered} weak points without an action")
    return f"• {name(line.name)}: " + " · ".join(parts)


def action_summary_blocks(figures: ActionFigures) -> list[Block]:
    lines = action_lines(figures, bold=lambda s: f"*{s}*", name=lambda s: safe(s, NAME_LIMIT))
    return [divider(), *pack_lines([f"*{HEADING}*", *lines])]


def action_summary_text(figures: ActionFigures) -> list[str]:
    lines = action_lines(figures, bold=lambda s: s + ":", name=lambda s: truncate(s, NAME_LIMIT))
    return ["", "IMPROVEMENT ACTIONS", *lines]
