"""The leadership summary as Slack messages (and as plain text for the terminal).

A portfolio of any size must fit Slack: the summary becomes as many messages as it needs
(the first is the parent, the rest go in its thread), each within 50 blocks and every text
within 3,000 characters. Changes are arrows with numbers, never colour alone, and every
service name is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.blocks.action_summary import action_summary_blocks, action_summary_text
from bot.blocks.kit import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    mrkdwn,
    pack_lines,
    plain,
    progress_bar,
    section,
)
from bot.blocks.outcome_summary import outcome_groups, outcome_text
from bot.blocks.reviews import peer_review_lines
from bot.blocks.summary_ids import (
    CHANNELS_ACTION,
    CHANNELS_BLOCK,
    PHASES_ACTION,
    PHASES_BLOCK,
    POST_BLOCK,
    SETTINGS_CALLBACK,
    TIME_ACTION,
    TIME_BLOCK,
    WEEKDAY_ACTION,
    WEEKDAY_BLOCK,
    post_action,
)
from bot.core.summary import (
    IN_PROGRESS,
    NEVER_ASSESSED,
    WEEKDAYS,
    AttentionItem,
    AttentionKind,
    ServiceLine,
    Summary,
    WeakPoint,
    change_text,
)
from bot.core.text import escape, safe, truncate
from storage.values import SummarySettings

TITLE = "Leadership summary"
NAME_LIMIT = 80
POINT_TITLE_LIMIT = 120
MAX_CHANNELS = 10
PHASES = ("discovery", "alpha", "beta", "live")

ATTENTION_HEADINGS = {
    AttentionKind.FLAGGED: ":triangular_flag_on_post: Flagged: 30 or more days overdue",
    AttentionKind.OVERDUE: ":alarm_clock: Overdue",
    AttentionKind.STALLED: ":hourglass: Stalled: no answer for 14 days or more",
    AttentionKind.NEVER_ASSESSED: ":new: Never assessed",
    AttentionKind.NOT_MET: ":x: Points not met in the latest assessment",
}


@dataclass(frozen=True)
class SummaryMessage:
    text: str  # the notification and screen-reader fallback
    blocks: list[Block]


@dataclass(frozen=True)
class _Markup:
    """How the same words are marked up for Slack (mrkdwn, escaped) or a terminal (plain)."""

    bold: Callable[[str], str]
    code: Callable[[str], str]
    name: Callable[[str], str]
    text: Callable[[str], str]


SLACK = _Markup(
    bold=lambda s: f"*{s}*",
    code=lambda s: f"`{s}`",
    name=lambda s: safe(s, NAME_LIMIT),
    text=escape,
)
PLAIN = _Markup(
    bold=lambda s: s,
    code=lambda s: s,
    name=lambda s: truncate(s, NAME_LIMIT),
    text=lambda s: s,
)


def short_date(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


# --- the parts, as lines ---------------------------------------------------------------


def headline_fields(summary: Summary, m: _Markup) -> list[str]:
    figures, change = summary.figures, summary.trend
    share = figures.share_percent
    share_text = "no assessed points yet" if share is None else f"{share}%"

    def delta(value: int | None, unit: str = "") -> str:
        return "" if change is None else f"\n{change_text(value, unit)}"

    return [
        f"{m.bold('Services')}\n{figures.services}"
        + delta(None if change is None else change.services),
        f"{m.bold('Fully assessed in their interval')}\n{figures.fully_assessed}"
        f" of {figures.services}" + delta(None if change is None else change.fully_assessed),
        f"{m.bold('Overdue')}\n{figures.overdue}"
        + delta(None if change is None else change.overdue),
        f"{m.bold('Applicable points met')}\n{share_text}"
        f" ({figures.met} of {figures.applicable})"
        + delta(None if change is None else change.share_points, "pts"),
    ]


def scope_line(summary: Summary) -> str:
    phases = ", ".join(summary.phases) if summary.phases else "all phases"
    compared = (
        "changes since the last weekly summary"
        if summary.previous is not None
        else "no earlier weekly summary to compare with yet"
    )
    return (
        f"{short_date(summary.today)} · {phases} · from each service's latest assessment"
        f" · {compared}"
    )


def attention_line(item: AttentionItem, m: _Markup, now: datetime) -> str:
    name = m.name(item.name)
    if item.kind in (AttentionKind.FLAGGED, AttentionKind.OVERDUE):
        line = f"• {name}: {_plural(item.days_overdue, 'day')} overdue"
        if item.snoozed_until is not None and item.snoozed_until > now:
            line += f" (reminders snoozed until {short_date(item.snoozed_until.date())})"
        return line
    if item.kind is AttentionKind.STALLED:
        since = short_date(item.idle_since.date()) if item.idle_since else "its start"
        return f"• {name}: no answer since {since} ({_plural(item.idle_days, 'day')})"
    if item.kind is AttentionKind.NEVER_ASSESSED:
        return f"• {name}"
    return f"• {name}: {_plural(item.not_met, 'point')} not met"


def attention_sections(summary: Summary, m: _Markup) -> list[tuple[str, list[str]]]:
    grouped: dict[AttentionKind, list[str]] = {}
    for item in summary.attention:
        grouped.setdefault(item.kind, []).append(attention_line(item, m, summary.generated_at))
    return [
        (f"{ATTENTION_HEADINGS[kind]} ({len(lines)})", lines)
        for kind in AttentionKind
        if (lines := grouped.get(kind))
    ]


def weak_point_line(point: WeakPoint, m: _Markup) -> str:
    parts = []
    if point.not_met:
        parts.append(f"not met by {point.not_met}")
    if point.partly_met:
        parts.append(f"partly met by {point.partly_met}")
    title = m.text(truncate(point.title, POINT_TITLE_LIMIT))
    return (
        f"• Point {point.number} · {title} — {' and '.join(parts)}"
        f" of {_plural(point.assessed, 'service')}"
    )


def weakest_sections(summary: Summary, m: _Markup) -> list[tuple[str, list[str]]]:
    result = []
    for standard in summary.weakest:
        title = m.text(truncate(standard.title, 150))
        heading = f"{title} ({_plural(standard.assessed, 'service')} assessed)"
        lines = [weak_point_line(point, m) for point in standard.points] or [
            "• Every point met or not applicable."
        ]
        result.append((heading, lines))
    return result


def gap_lines(summary: Summary, m: _Markup) -> list[str]:
    return [
        f"• {m.name(gap.name)}: {'point' if len(gap.points) == 1 else 'points'} "
        + ", ".join(str(number) for number in gap.points)
        for gap in summary.gaps
    ]


def service_line(line: ServiceLine, m: _Markup) -> str:
    title = f"{m.bold(m.name(line.name))} · {line.phase} · {m.text(line.standard)}"
    due = f"due {short_date(line.next_due_on)}"
    if line.days_overdue:
        due += f" ({_plural(line.days_overdue, 'day')} overdue)"
    if line.status == NEVER_ASSESSED:
        return f"{title}\n{m.code(progress_bar(0, 0))} never assessed · {due}"
    share = line.share_percent
    counts = f"{line.met} met · {line.partly_met} partly · {line.not_met} not met"
    if line.unanswered:
        counts += f" · {line.unanswered} unanswered"
    state = " (in progress)" if line.status == IN_PROGRESS else ""
    percent = "n/a" if share is None else f"{share}%"
    bar = progress_bar(line.met, line.applicable)
    return f"{title}\n{m.code(bar)} {percent}{state} · {counts} · {due}"


# --- Slack messages ----------------------------------------------------------------------


def _fallback(summary: Summary) -> str:
    figures = summary.figures
    share = figures.share_percent
    met = "no assessed points yet" if share is None else f"{share}% of applicable points met"
    return (
        f"{TITLE} for {short_date(summary.today)}: {_plural(figures.services, 'service')}, "
        f"{figures.overdue} overdue, {met}."
    )


def _group(title: str, lines: Sequence[str]) -> list[Block]:
    """A titled list: the title and as many sections as the lines need."""
    return pack_lines([f"*{title}*", *lines])


def summary_groups(summary: Summary) -> list[list[Block]]:
    """The summary as groups of blocks that should stay together when split into messages."""
    fields = [mrkdwn(truncate(text, 2000)) for text in headline_fields(summary, SLACK)]
    groups: list[list[Block]] = [
        [
            header(f"{TITLE} · {short_date(summary.today)}"),
            context(escape(scope_line(summary))),
            {"type": "section", "fields": fields},
        ]
    ]
    attention = attention_sections(summary, SLACK)
    groups.append([divider(), section("*:rotating_light: Needs attention*")])
    if not attention:
        groups[-1].append(section("Nothing needs attention this week. :tada:"))
    groups.extend(_group(title, lines) for title, lines in attention)
    if summary.weakest:
        groups.append([divider(), section("*:chart_with_downwards_trend: Weakest points*")])
        groups.extend(_group(title, lines) for title, lines in weakest_sections(summary, SLACK))
    gaps = gap_lines(summary, SLACK)
    groups.append([divider()])
    if gaps:
        count = summary.gap_count
        title = (
            f":mag: Evidence gaps: {_plural(count, 'point')} rated Met with no evidence "
            f"in {_plural(len(summary.gaps), 'service')}"
        )
        groups.append(_group(title, gaps))
    else:
        groups[-1].append(section("*:mag: Evidence gaps*: every Met point has evidence."))
    if summary.actions is not None:  # improvement actions (#14)
        groups.append(action_summary_blocks(summary.actions))
    if summary.reviews is not None and summary.reviews.services:
        groups.append([divider(), *pack_lines(peer_review_lines(summary.reviews))])  # #15
    groups.extend(outcome_groups(summary.outcomes))  # outcomes (#13)
    if summary.lines:
        groups.append([divider()])
        groups.append(
            _group(
                ":bar_chart: Services, weakest first",
                [service_line(line, SLACK) for line in summary.lines],
            )
        )
    if summary.grids:
        groups.append(
            [
                context(
                    ":frame_with_picture: The heatmap (one per standard) is in the thread: "
                    "M met · P partly met · N not met · – not applicable · ? not answered."
                )
            ]
        )
    return groups


def build_summary_messages(
    summary: Summary, *, max_blocks: int = MESSAGE_BLOCK_LIMIT
) -> list[SummaryMessage]:
    """The summary in as many messages as it needs; the first is the parent."""
    pages = _paginate(summary_groups(summary), max_blocks)
    total = len(pages)
    messages = [SummaryMessage(_fallback(summary), pages[0])]
    for number, blocks in enumerate(pages[1:], start=2):
        note = context(f"{TITLE} for {short_date(summary.today)}, continued ({number} of {total})")
        messages.append(
            SummaryMessage(
                f"{TITLE} for {short_date(summary.today)}, continued ({number} of {total})",
                [note, *blocks],
            )
        )
    return messages


def _paginate(groups: list[list[Block]], max_blocks: int) -> list[list[Block]]:
    """Fill messages group by group; a group that does not fit starts the next message
    (continuation messages keep one block free for their "continued" note)."""
    pages: list[list[Block]] = [[]]

    def room() -> int:
        return max_blocks - len(pages[-1]) - (1 if len(pages) > 1 else 0)

    for group in groups:
        if pages[-1] and len(group) > room() and len(group) <= max_blocks - 1:
            pages.append([])
        for block in group:
            if room() <= 0:
                pages.append([])
            pages[-1].append(block)
    return [page for page in pages if page] or [[section(" ")]]


def build_preview(
    summary: Summary,
    *,
    post_targets: Sequence[tuple[str, str]] = (),
    configured: bool = True,
) -> tuple[str, list[Block]]:
    """The ephemeral `/assess summary` answer: the first part, a note, and Post buttons.

    `post_targets` are (channel id, channel name) pairs, given to admins only.
    """
    reserved = 2 + (1 if post_targets else 0)
    messages = build_summary_messages(summary, max_blocks=MESSAGE_BLOCK_LIMIT - reserved)
    blocks = list(messages[0].blocks)
    notes = [":eyes: This is a preview, only you can see it."]
    if len(messages) > 1:
        notes.append(
            f"The full summary is {len(messages)} messages; the rest go in the thread when posted."
        )
    if not configured:
        notes.append(
            "No leadership channel is set up yet, so no weekly summary is posted. An admin can "
            "choose channels and a time with `/assess settings`."
        )
    blocks += [divider(), context(*notes)]
    if post_targets:
        blocks.append(
            actions(
                *(
                    button(
                        f"Post to #{truncate(name, 60)}",
                        post_action(index),
                        channel_id,
                        style="primary" if index == 0 else None,
                    )
                    for index, (channel_id, name) in enumerate(post_targets[:MAX_CHANNELS])
                ),
                block_id=POST_BLOCK,
            )
        )
    return messages[0].text, blocks


# --- settings modal ----------------------------------------------------------------------


def _weekday_option(weekday: int) -> dict[str, Any]:
    return {"text": plain(WEEKDAYS[weekday]), "value": str(weekday)}


def _phase_option(phase: str) -> dict[str, Any]:
    return {"text": plain(phase.title()), "value": phase}


def build_settings_modal(
    settings: SummarySettings, *, timezone_name: str, private_metadata: str = ""
) -> dict[str, Any]:
    """Where and when the weekly summary goes, with the current values filled in."""
    channels: dict[str, Any] = {
        "type": "multi_conversations_select",
        "action_id": CHANNELS_ACTION,
        "placeholder": plain("Choose channels", 150),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        "max_selected_items": MAX_CHANNELS,
    }
    if settings.channels:
        channels["initial_conversations"] = list(settings.channels[:MAX_CHANNELS])
    ticked = [phase for phase in PHASES if not settings.phases or phase in settings.phases]
    phases: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": PHASES_ACTION,
        "options": [_phase_option(phase) for phase in PHASES],
    }
    if ticked:
        phases["initial_options"] = [_phase_option(phase) for phase in ticked]
    return {
        "type": "modal",
        "callback_id": SETTINGS_CALLBACK,
        "private_metadata": private_metadata[:3000],
        "title": plain("Summary settings", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(
                "Every week assessbot posts a summary of all services to the leadership "
                "channels below: what needs attention, the weakest points, evidence gaps "
                "and a heatmap."
            ),
            {
                "type": "input",
                "block_id": CHANNELS_BLOCK,
                "optional": True,
                "label": plain("Leadership channels", 2000),
                "hint": plain(
                    "Invite @assessbot to each channel. Leave empty to stop the weekly summary.",
                    2000,
                ),
                "element": channels,
            },
            {
                "type": "input",
                "block_id": WEEKDAY_BLOCK,
                "label": plain("Day", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": WEEKDAY_ACTION,
                    "options": [_weekday_option(day) for day in range(7)],
                    "initial_option": _weekday_option(settings.weekday % 7),
                },
            },
            {
                "type": "input",
                "block_id": TIME_BLOCK,
                "label": plain("Time", 2000),
                "hint": plain(f"In {timezone_name}.", 2000),
                "element": {
                    "type": "timepicker",
                    "action_id": TIME_ACTION,
                    "initial_time": settings.time,
                },
            },
            {
                "type": "input",
                "block_id": PHASES_BLOCK,
                "optional": True,
                "label": plain("Services to count", 2000),
                "hint": plain("Only services in the ticked phases count.", 2000),
                "element": phases,
            },
        ],
    }


# --- plain text (terminal, dry runs) -----------------------------------------------------


def summary_text(summary: Summary) -> str:
    """The whole summary as plain text, for `assessbot summary --print` and dry runs."""
    lines = [f"{TITLE} · {short_date(summary.today)}", scope_line(summary), ""]
    for field in headline_fields(summary, PLAIN):
        lines.append(field.replace("\n", ": ", 1).replace("\n", " — "))
    lines += ["", "NEEDS ATTENTION"]
    attention = attention_sections(summary, PLAIN)
    if not attention:
        lines.append("Nothing needs attention.")
    for title, items in attention:
        lines += [_strip_emoji(title), *items]
    if summary.weakest:
        lines += ["", "WEAKEST POINTS"]
        for title, items in weakest_sections(summary, PLAIN):
            lines += [title, *items]
    lines += ["", f"EVIDENCE GAPS ({summary.gap_count} points rated Met with no evidence)"]
    lines += gap_lines(summary, PLAIN) or ["None."]
    if summary.actions is not None:  # improvement actions (#14)
        lines += action_summary_text(summary.actions)
    lines += outcome_text(summary.outcomes)  # outcomes (#13)
    lines += ["", "SERVICES, WEAKEST FIRST"]
    for line in summary.lines:
        lines += [*service_line(line, PLAIN).splitlines()]
    return "\n".join(lines) + "\n"


def _strip_emoji(text: str) -> str:
    """Drop a leading Slack emoji code (":alarm_clock: Overdue" → "Overdue")."""
    if text.startswith(":") and ": " in text[1:]:
        return text.split(": ", 1)[1]
    return text
