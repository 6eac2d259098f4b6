"""The leadership summary's Outcomes section, as Block Kit groups and as plain text lines."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.kit import Block, context, divider, pack_lines, section
from bot.core.outcome_summary import LISTED, OutcomesSection
from bot.core.outcome_values import show
from bot.core.outcomes import measure_line, target_words
from bot.core.text import escape, safe, truncate
from storage.values import MeasureView

NAME = 80


def _lines(
    outcomes: OutcomesSection, name: Callable[[str], str], text: Callable[[str], str]
) -> list[tuple[str, list[str]]]:
    """(title, lines) pairs; `name` and `text` mark up for Slack or a terminal."""
    parts: list[tuple[str, list[str]]] = []
    off = [
        f"• {name(s.service)} · {name(s.measure.name)}: {text(measure_line(s.measure))}"
        for s in outcomes.off_target_shown[:LISTED]
    ]
    if outcomes.off_target > len(off):
        off.append(f"…and {outcomes.off_target - len(off)} more")
    parts.append((f"✗ Off target ({outcomes.off_target})", off or ["None."]))
    if outcomes.paper_flags:
        flags = [
            f"• {name(f.service)}: point {f.point_number} {name(f.point_title)} is rated "
            f"met, but {name(f.measure.name)} missed its target in the last two "
            f"readings ({text(_last_two(f.measure))}; {text(target_words(f.measure))})"
            for f in outcomes.paper_flags[:LISTED]
        ]
        if len(outcomes.paper_flags) > LISTED:
            flags.append(f"…and {len(outcomes.paper_flags) - LISTED} more")
        parts.append(("⚑ Met on paper, off target in practice", flags))
    if outcomes.movers:
        parts.append(
            (
                "↕ Biggest movers since the last summary",
                [
                    f"• {name(m.service)} · {name(m.measure.name)}: "
                    f"{text(m.trend.words(m.measure.unit))}"
                    for m in outcomes.movers
                ],
            )
        )
    if outcomes.overdue:
        lines = [
            f"• {name(o.service)} · {name(o.measure.name)}: {text(o.period.label())}"
            for o in outcomes.overdue[:LISTED]
        ]
        if len(outcomes.overdue) > LISTED:
            lines.append(f"…and {len(outcomes.overdue) - LISTED} more")
        parts.append((f"⏰ Readings overdue ({len(outcomes.overdue)})", lines))
    if outcomes.relational_without:
        shown = ", ".join(name(n) for n in outcomes.relational_without[:20])
        more = len(outcomes.relational_without) - 20
        parts.append(
            (
                f"Relational services with no outcome measure ({len(outcomes.relational_without)})",
                [shown + (f" and {more} more" if more > 0 else "")],
            )
        )
    return parts


def _last_two(measure: MeasureView) -> str:
    return ", ".join(
        f"{r.period.label()} {show(r.value, measure.unit)}" for r in measure.readings[-2:]
    )


def headline(outcomes: OutcomesSection) -> str:
    return (
        f"{outcomes.measures} measures: {outcomes.on_target} on target, "
        f"{outcomes.off_target} off target, {outcomes.no_target} without a target, "
        f"{outcomes.no_reading} without a reading"
    )


def _shown(outcomes: OutcomesSection | None) -> bool:
    """A workspace that tracks no outcomes and has no relational service sees no section."""
    return outcomes is not None and bool(outcomes.measures or outcomes.relational_without)


def outcome_groups(outcomes: OutcomesSection | None) -> list[list[Block]]:
    if outcomes is None or not _shown(outcomes):
        return []
    groups: list[list[Block]] = [
        [divider(), section("*:dart: Outcomes*"), context(escape(headline(outcomes)))]
    ]
    for title, lines in _lines(outcomes, lambda s: safe(s, NAME), escape):
        groups.append(pack_lines([f"*{title}*", *lines]))
    if outcomes.charts:
        groups.append([context(":chart_with_upwards_trend: Trend charts are in the thread.")])
    return groups


def outcome_text(outcomes: OutcomesSection | None) -> list[str]:
    if outcomes is None or not _shown(outcomes):
        return []
    lines = ["", "OUTCOMES", headline(outcomes)]
    for title, items in _lines(outcomes, lambda s: truncate(s, NAME), lambda s: s):
        lines += [title, *items]
    return lines
