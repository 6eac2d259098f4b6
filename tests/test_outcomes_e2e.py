"""Outcomes end to end, on SQLite and PostgreSQL, through signed HTTP and the fake Slack:

register a relational service; add two template measures and one of our own; record three
periods; get the reading-due nudge exactly once while two processes tick together; see the
Outcomes section and the "met on paper, off target in practice" flag in the summary (Slack and
`assessbot summary --print`); export the readings and parse them back row for row.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from bot.core.outcome_export import OUTCOME_COLUMNS
from storage.models import Measure, Reading, Service
from storage.summary_queries import save_settings
from storage.values import SummarySettings
from tests.harness import ADMIN, CHANNEL, OTHER_CHANNEL, OWNER, TEAMMATE, RunningApp
from tests.outcome_seed import tick_at
from tests.reminder_seed import delivered
from tests.test_assessment_e2e import newest_card
from tests.test_outcomes_slack import (
    CONTROL,
    SAFE,
    VISIT,
    add_three_measures,
    last_reply,
    record,
    register_relational,
)

pytestmark = pytest.mark.slow

# March's (and the first quarter's) readings fall due 5 working days after 31 March: Good
# Friday and Easter Monday are bank holidays, so on Thursday 9 April.
DUE_DAY = datetime(2026, 4, 9, 10, 0, tzinfo=UTC)


def two_processes_tick(app: RunningApp, database_url: str, moment: datetime) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    queue: Queue[dict[str, Any]] = context.Queue()
    processes = [
        context.Process(
            target=tick_at,
            args=(app.fake.api_url, database_url, name, moment.isoformat(), barrier, queue),
        )
        for name in ("replica-a", "replica-b")
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=90) for _ in processes]
    for process in processes:
        process.join(timeout=20)
        assert process.exitcode == 0
    return results


def reading_nudges(app: RunningApp) -> Counter[tuple[str, int, str, str]]:
    found = delivered(app.fake, [OWNER, TEAMMATE])
    return Counter({key: n for key, n in found.items() if key[2] == "readings"})


def test_outcomes_end_to_end(
    slack_app_each_db: RunningApp,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = slack_app_each_db
    service_id = register_relational(app)
    register_relational(app, "Adoption support")  # relational, and no measure yet
    add_three_measures(app)
    for month, values in (
        ("2025-06-01", {CONTROL: "82", SAFE: "70", VISIT: "8"}),
        ("2025-09-01", {CONTROL: "78", SAFE: "71", VISIT: "14"}),
        ("2025-12-01", {CONTROL: "76", SAFE: "74", VISIT: "15 days"}),
    ):
        assert record(app, month, values) == {}
    assert record(app, "2025-12-01", {SAFE: "75"}, correct=True) == {}  # a correction

    # The latest assessment rates point 1 met: its linked measures missed twice running.
    app.driver.command("start Home care", user=OWNER, channel=CHANNEL)
    card = newest_card(app)
    assert "Point 1" in card["text"]
    shown = str(card["blocks"])
    assert "Days from referral to first visit" in shown  # its readings against target
    assert "15 days for December 2025 · ✗ off target (at most 10 days)" in shown
    # A relational service meets the questions written for care and casework first.
    assert shown.index("For people in care") < shown.index("How do people who use the service")
    app.driver.click("Met", user=OWNER, in_message=(CHANNEL, card["ts"]))

    # Not before the due day; then exactly one nudge per owner with two processes ticking.
    two_processes_tick(app, database_url, DUE_DAY - timedelta(days=1))
    assert reading_nudges(app) == Counter()
    app.clock.now = DUE_DAY
    results = two_processes_tick(app, database_url, DUE_DAY)
    assert sum(r["sent"] for r in results) >= 2
    nudges = reading_nudges(app)
    assert nudges == Counter(
        {(OWNER, service_id, "readings", "0"): 1, (TEAMMATE, service_id, "readings", "0"): 1}
    ), nudges
    dm = next(
        p
        for p in app.fake.all_posts()
        if p["kind"] == "message" and "Readings due" in str(p.get("blocks"))
    )
    assert "Days from referral to first visit for March 2026" in str(dm["blocks"])
    assert "Record readings" in str(dm["blocks"])
    two_processes_tick(app, database_url, DUE_DAY + timedelta(hours=1))  # nothing new
    assert reading_nudges(app) == nudges

    # The summary's Outcomes section, posted to the leadership channel with charts.
    with app.deps.sessions.begin() as session:
        save_settings(
            SummarySettings(app.driver.team_id, (OTHER_CHANNEL,)),
            session=session,
            updated_by=ADMIN,
            now=DUE_DAY - timedelta(days=1),
        )
    app.driver.command("summary", user=ADMIN, channel=CHANNEL)
    preview = last_reply(app)
    assert "Outcomes" in preview
    app.driver.click("Post to #leadership", user=ADMIN)
    posted = " ".join(str(m.get("blocks")) for m in app.fake.messages(OTHER_CHANNEL))
    posted += " ".join(
        str(m.get("blocks"))
        for parent in app.fake.messages(OTHER_CHANNEL)
        for m in app.fake.thread(OTHER_CHANNEL, parent["ts"])
    )
    assert "Met on paper, off target in practice" in posted
    assert "point 1" in posted and "Days from referral to first visit" in posted
    assert "Readings overdue (3)" in posted
    assert "Relational services with no outcome measure (1)" in posted
    assert "Adoption support" in posted
    charts = [f for f in app.fake.uploaded_files() if f.filename.startswith("outcome-")]
    assert charts and all(f.content.startswith(b"\x89PNG") for f in charts)

    # The command line prints the same section.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ASSESSBOT_TIMEZONE", "Europe/London")
    assert cli_main(["summary", "--print", "--team", app.driver.team_id]) == 0
    printed = capsys.readouterr().out
    assert "OUTCOMES" in printed and "Met on paper, off target in practice" in printed

    # The export, parsed back row for row against the database.
    app.driver.command("export outcomes", user=OWNER, channel=CHANNEL)
    assert "outcomes CSV (10 rows)" in last_reply(app)
    upload = [f for f in app.fake.uploaded_files() if f.filename.startswith("assessbot-outcomes")]
    text = upload[-1].content.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == OUTCOME_COLUMNS
    body = [dict(zip(OUTCOME_COLUMNS, row, strict=True)) for row in rows[1:]]
    with app.deps.sessions() as session:
        readings = session.execute(
            select(Reading, Measure, Service)
            .join(Measure, Measure.id == Reading.measure_id)
            .join(Service, Service.id == Measure.service_id)
            .order_by(Measure.id, Reading.period_start, Reading.id)
        ).all()
    assert len(body) == len(readings) == 10
    for row, (reading, measure, service) in zip(body, readings, strict=True):
        assert row["service"] == service.name and row["service_id"] == str(service.id)
        assert row["service_type"] == "relational" and row["team_id"] == service.team_id
        assert row["measure"] == measure.name and row["unit"] == measure.unit
        assert row["better_when"] == measure.better_when
        assert row["target"] == (measure.target or "")
        assert row["period_start"] == reading.period_start.isoformat()
        assert row["period_end"] == reading.period_end.isoformat()
        assert row["value"] == reading.value and row["recorded_by_id"] == OWNER
        assert row["recorded_by_name"] == "olive"  # the name Slack gives
        assert row["source"] == measure.source
        assert row["recorded_at"] == reading.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    latest = {(r["measure"], r["period_start"]): r for r in body if r["is_latest"] == "true"}
    assert latest[(SAFE, "2025-10-01")]["value"] == "75"
    superseded = [r for r in body if r["is_latest"] == "false"]
    assert [(r["measure"], r["value"]) for r in superseded] == [(SAFE, "74")]
