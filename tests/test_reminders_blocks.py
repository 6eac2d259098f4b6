"""Reminder messages as pure Block Kit: escaped, inside Slack's limits however many services."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.blocks.reminders import (
    MAX_DIGEST_ITEMS,
    build_due_list,
    build_nudge_message,
    snooze_status_text,
)
from bot.core.due import DueReason
from bot.core.reminders import Audience, PlannedNudge
from storage.values import InProgress, NudgeKey, ServiceDue
from tests.fakeslack import validate_blocks

NOW = datetime(2027, 1, 19, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
NASTY = "<!channel> & <@U999> " + "x" * 80


def service(n: int = 1, **changes: object) -> ServiceDue:
    base = ServiceDue(
        id=n,
        team_id="T1",
        name=f"{NASTY} {n}",
        phase="beta",
        team_channel_id="CTEAM",
        interval_months=6,
        last_assessed_on=date(2026, 7, 19),
        next_due_on=TODAY - timedelta(days=n),
        due_reason=DueReason.INTERVAL,
        created_at=NOW - timedelta(days=400),
        owner_ids=("U1", "U2"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def nudge(n: int = 1, *, audience: Audience = Audience.OWNER, **changes: object) -> PlannedNudge:
    return PlannedNudge(
        key=NudgeKey(n, "overdue", TODAY - timedelta(days=n), "1", "U1"),
        service=service(n, **changes),
        audience=audience,
        today=TODAY,
        what="Reassessment overdue by 8 days (due Mon 11 Jan 2027).",
        why="It was last assessed on Mon 19 Jul 2026 and is reassessed every 6 months.",
    )


def test_a_full_digest_fits_a_message_and_escapes_names() -> None:
    nudges = [nudge(n, audience=Audience.CHANNEL) for n in range(1, MAX_DIGEST_ITEMS + 1)]
    text, blocks = build_nudge_message(nudges, Audience.CHANNEL)
    assert validate_blocks(blocks, surface="message") == []
    assert len(blocks) <= 50
    assert "<!channel>" not in str(blocks) and "<!channel>" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in str(blocks)
    assert "Owners: <@U1>, <@U2>" in str(blocks)
    with pytest.raises(ValueError, match="at most"):
        build_nudge_message([*nudges, nudge(99)], Audience.CHANNEL)


def test_resume_when_in_progress_and_no_owner_note() -> None:
    work = InProgress(4, NOW - timedelta(days=20), None, 0, 15)
    item = replace(nudge(1, in_progress=work), no_active_owner=True)
    _, blocks = build_nudge_message([item], Audience.CHANNEL)
    assert validate_blocks(blocks, surface="message") == []
    assert "Resume assessment" in str(blocks)
    assert "no active owner" in str(blocks)
    assert blocks[1]["block_id"] == "nudge:1:overdue:1"


@pytest.mark.parametrize("count", [0, 1, 40, 2000])
def test_due_list_stays_inside_slack_limits(count: int) -> None:
    services = [service(n, next_due_on=TODAY + timedelta(days=30 - n)) for n in range(count)]
    services.sort(key=lambda s: s.next_due_on)
    text, blocks = build_due_list(services, today=TODAY, now=NOW, within_days=30)
    assert validate_blocks(blocks, surface="message") == []
    assert len(blocks) <= 50
    rendered = str(blocks)
    assert "<!channel>" not in rendered
    if count == 0:
        assert "Nothing is overdue" in text
    if count == 2000:
        assert "more, all due later than these" in rendered
        assert "1969 days overdue" in rendered  # the most overdue come first


def test_due_list_lines_say_when_and_why() -> None:
    snoozed = service(
        2,
        next_due_on=TODAY - timedelta(days=31),
        snoozed_until=NOW + timedelta(days=3),
        in_progress=InProgress(4, NOW - timedelta(days=2), NOW, 5, 15),
    )
    today = service(3, next_due_on=TODAY, due_reason=DueReason.PHASE_CHANGE, phase="live")
    soon = service(4, next_due_on=TODAY + timedelta(days=1), due_reason=DueReason.NEVER_ASSESSED)
    _, blocks = build_due_list([snoozed, today, soon], today=TODAY, now=NOW, within_days=30)
    text = blocks[1]["text"]["text"]
    first, second, third = text.split("\n")
    assert "*31 days overdue*" in first and "in progress, 5/15 answered" in first
    assert "reminders snoozed until <!date^" in first and "leadership summary" in first
    assert "due *today*" in second and "moved to live" in second
    assert "due in 1 day" in third and "never assessed" in third


def test_snooze_status_line() -> None:
    line = snooze_status_text(NOW + timedelta(weeks=1), "U1")
    assert line.startswith(":zzz: Reminders snoozed until <!date^") and line.endswith("by <@U1>.")
