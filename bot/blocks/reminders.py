"""Reminder messages: the nudge DM (or digest), the team-channel post and the `/assess due` list.

Every nudge says what is due and why, and offers Start (or Resume) and Snooze. A digest is
capped so that a message stays inside Slack's 50 blocks however many services one person owns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.blocks import reminder_ids
from bot.blocks.actions import action_nudge_blocks
from bot.blocks.kit import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    actions,
    button,
    context,
    header,
    pack_lines,
    section,
)
from bot.blocks.outcome_ids import RECORD_READINGS
from bot.blocks.words import mention, when
from bot.core.action_nudges import ActionNudge
from bot.core.due import DueReason
from bot.core.reminder_text import format_day
from bot.core.reminders import FLAG_OVERDUE_DAYS, Audience, PlannedNudge, Stage, days_overdue
from bot.core.text import escape, safe, truncate
from storage.values import NudgeKey, ServiceDue

BLOCKS_PER_NUDGE = 3  # section, optional context, actions
MAX_DIGEST_ITEMS = (MESSAGE_BLOCK_LIMIT - 2) // BLOCKS_PER_NUDGE  # 16 with a header
NAME_LIMIT = 80

STAGE_ICONS = {
    Stage.UPCOMING: ":calendar:",
    Stage.DUE: ":bell:",
    Stage.OVERDUE: ":warning:",
    Stage.STALLED: ":hourglass_flowing_sand:",
    Stage.CHALLENGE: ":triangular_flag_on_post:",
    Stage.READINGS: ":bar_chart:",
}


def nudge_block_id(key: NudgeKey) -> str:
    """Names the nudge in the message (unique within it, and handy for tests and support)."""
    return f"{reminder_ids.NUDGE_BLOCK_PREFIX}:{key.service_id}:{key.stage}:{key.occurrence}"


def build_nudge_message(
    nudges: Sequence[PlannedNudge], audience: Audience
) -> tuple[str, list[Block]]:
    """The fallback text and blocks of one nudge or a digest of several for one recipient."""
    if not nudges:
        raise ValueError("a reminder message needs at least one nudge")
    if len(nudges) > MAX_DIGEST_ITEMS:
        raise ValueError(f"a digest holds at most {MAX_DIGEST_ITEMS} nudges")
    if len(nudges) == 1:
        title = "Reassessment reminder"
    else:
        title = f"Reassessment reminders for {len(nudges)} services"
    if any(isinstance(nudge, ActionNudge) for nudge in nudges):  # improvement actions (#14)
        title = "Reminder" if len(nudges) == 1 else f"Reminders ({len(nudges)})"
    elif any(n.stage is Stage.READINGS for n in nudges):  # outcome readings (#13)
        title = "Reminder" if len(nudges) == 1 else f"Reminders for {len(nudges)} services"
    blocks: list[Block] = [header(title)]
    for nudge in nudges:
        if isinstance(nudge, ActionNudge):  # improvement actions (#14): their own blocks
            blocks.extend(action_nudge_blocks(nudge, nudge_block_id(nudge.key)))
            continue
        blocks.extend(_nudge_blocks(nudge, audience))
    return _fallback(nudges), blocks


def _nudge_blocks(nudge: PlannedNudge, audience: Audience) -> list[Block]:
    service = nudge.service
    name = safe(service.name, NAME_LIMIT)
    icon = STAGE_ICONS.get(nudge.stage, ":bell:")
    text = f"{icon} *{name}* ({escape(service.phase)})\n{escape(nudge.what)}\n{escape(nudge.why)}"
    item = section(text)
    item["block_id"] = nudge_block_id(nudge.key)
    blocks = [item]
    if nudge.no_active_owner:
        blocks.append(
            context(
                ":busts_in_silhouette: This service has no active owner: everyone listed as "
                f"its owner has left Slack. An admin can add one with `/assess edit {name}`."
            )
        )
    elif audience is Audience.CHANNEL and service.owner_ids:
        owners = ", ".join(mention(owner) for owner in service.owner_ids)
        blocks.append(context(f"Owners: {owners}"))
    if nudge.stage is Stage.CHALLENGE:  # peer review (#15): answered in the assessment thread
        return blocks
    if nudge.stage is Stage.READINGS:  # outcome readings (#13)
        blocks.append(
            actions(button("Record readings", RECORD_READINGS, str(service.id), style="primary"))
        )
        return blocks
    start = "Resume assessment" if service.in_progress is not None else "Start reassessment"
    blocks.append(
        actions(
            button(start, reminder_ids.START, str(service.id), style="primary"),
            button("Snooze 1 week", reminder_ids.SNOOZE, str(service.id)),
        )
    )
    return blocks


def _fallback(nudges: Sequence[PlannedNudge]) -> str:
    if len(nudges) == 1:
        nudge = nudges[0]
        return truncate(f"{safe(nudge.service.name, NAME_LIMIT)}: {escape(nudge.what)}", 500)
    names = ", ".join(safe(n.service.name, NAME_LIMIT) for n in nudges)
    return truncate(f"{len(nudges)} services need a reassessment: {names}", 500)


# --- /assess due ---------------------------------------------------------------------------


def build_due_list(
    services: Sequence[ServiceDue], *, today: date, now: datetime, within_days: int
) -> tuple[str, list[Block]]:
    """Overdue and soon-due services, most overdue first, within one message's 50 blocks."""
    if not services:
        text = f"Nothing is overdue or due in the next {within_days} days. :tada:"
        return text, [section(text)]
    overdue = sum(1 for s in services if s.next_due_on < today)
    title = f"Reassessments due: {overdue} overdue, {len(services) - overdue} due soon"
    lines = [due_line(service, today, now) for service in services]
    room = MESSAGE_BLOCK_LIMIT - 2  # the header and a "more" note
    sections = pack_lines(lines)
    blocks: list[Block] = [header(title), *sections[:room]]
    if len(sections) > room:
        shown = sum(block["text"]["text"].count("\n") + 1 for block in sections[:room])
        blocks.append(context(f"…and {len(lines) - shown} more, all due later than these."))
    return title, blocks


def due_line(service: ServiceDue, today: date, now: datetime) -> str:
    days = days_overdue(service.next_due_on, today)
    due = format_day(service.next_due_on)
    if days > 0:
        timing = f":warning: *{safe(service.name, NAME_LIMIT)}*: *{_days(days)} overdue* ({due})"
    elif days == 0:
        timing = f":bell: *{safe(service.name, NAME_LIMIT)}*: due *today*"
    else:
        timing = f":calendar: *{safe(service.name, NAME_LIMIT)}*: due in {_days(-days)} ({due})"
    notes = [_reason(service)]
    if service.in_progress is not None:
        work = service.in_progress
        notes.append(f"in progress, {work.answered_points}/{work.point_count} answered")
    if service.snoozed_until is not None and service.snoozed_until > now:
        notes.append(f"reminders snoozed until {when(service.snoozed_until)}")
    if days >= FLAG_OVERDUE_DAYS:
        notes.append("flagged for the leadership summary")
    return f"{timing} · {' · '.join(notes)}"


def _reason(service: ServiceDue) -> str:
    if service.due_reason == DueReason.PHASE_CHANGE:
        return f"moved to {escape(service.phase)}"
    if service.due_reason == DueReason.NEVER_ASSESSED or service.last_assessed_on is None:
        return "never assessed"
    return f"every {service.interval_months} months"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


# --- snoozes -------------------------------------------------------------------------------


def snoozed_text(service_name: str, until: datetime) -> str:
    return (
        f":zzz: Reminders for *{safe(service_name, NAME_LIMIT)}* are snoozed until "
        f"{when(until)}. Snoozing again adds a week, up to 4 weeks from now."
    )


def snooze_status_text(until: datetime, snoozed_by: str) -> str:
    """The line `/assess status` shows while a snooze runs."""
    return f":zzz: Reminders snoozed until {when(until)} by {mention(snoozed_by)}."
