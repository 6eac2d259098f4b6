"""Improvement actions below Slack: the rules on real databases, the summary figures by hand,
the CSV (Excel-safe, parses back, the CLI), and the builders inside Block Kit's limits."""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.action_summary import action_summary_blocks, action_summary_text
from bot.blocks.actions import (
    ALL_DONE_TEXT,
    build_action_list,
    build_add_modal,
    build_done_modal,
    card_action_blocks,
    completion_action_blocks,
)
from bot.blocks.reminders import build_nudge_message
from bot.cli import build_parser
from bot.core import actions as core
from bot.core.action_export import COLUMNS, HISTORY_COLUMNS, export_actions_csv
from bot.core.action_nudges import ActionDue, plan_action_nudges
from bot.core.action_summary import build_action_figures
from bot.core.actions import ActionError
from bot.core.export import AnswererNames
from bot.core.people import Person, StaticDirectory
from bot.core.reminders import Audience
from bot.core.working_hours import WorkingHours
from storage.action_queries import (
    OpenStats,
    SummaryLoad,
    action_view,
    actions_for_person,
    point_actions,
)
from storage.models import ActionEvent, Assessment, ImprovementAction, Service
from storage.reminder_queries import service_due
from storage.values import ActionView, CurrentAnswer, LatestAssessment, ServiceRecord
from storage.view_rows import service_view
from storage.views import ActionItem
from tests.fakeslack.blockkit import validate_blocks, validate_view
from tests.reminder_seed import add_assessment, add_service

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
LONDON = ZoneInfo("Europe/London")
DOER = Person("UDOER", "Dee Doer")


def seeded(session: Session) -> tuple[Service, Assessment]:
    service = add_service(session, "Bins", next_due_on=date(2026, 9, 1), owners=("UOWNER",))
    assessment = add_assessment(session, service, started_at=NOW, status="completed")
    return service, assessment


def add(session: Session, service: Service, assessment: Assessment, text: str) -> ImprovementAction:
    new = core.check_new(text, DOER.id, DOER, None, today=TODAY)
    return core.add_action(assessment, service, 3, new, user_id="UOWNER", now=NOW, session=session)


# --- the rules on real databases ----------------------------------------------------------------


def test_an_action_keeps_every_change_as_history(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service, assessment = seeded(session)
        action = add(session, service, assessment, "  Run research  ")
        assert (action.text, action.due_on) == ("Run research", date(2026, 6, 3))
        core.redate(
            action,
            service,
            date(2026, 7, 1),
            "Waiting on procurement",
            user_id="UDOER",
            now=NOW,
            today=TODAY,
            session=session,
        )
        core.snooze(action, user_id="UDOER", now=NOW, session=session)
        core.mark_done(
            action,
            service,
            "Ran 5 sessions",
            ["https://x.example/r"],
            user_id="UDOER",
            now=NOW + timedelta(days=1),
            session=session,
        )
        with pytest.raises(ActionError, match="already done"):
            core.drop(action, service, "never mind", user_id="UOWNER", now=NOW, session=session)
        action_id = action.id
    with sessions() as session:
        changes = session.scalars(
            select(ActionEvent).where(ActionEvent.action_id == action_id).order_by(ActionEvent.id)
        ).all()
        assert [(c.change, c.status, c.due_on) for c in changes] == [
            ("created", "open", date(2026, 6, 3)),
            ("redated", "open", date(2026, 7, 1)),
            ("snoozed", "open", date(2026, 7, 1)),
            ("done", "done", date(2026, 7, 1)),
        ]
        assert changes[1].reason == "Waiting on procurement"
        assert changes[3].evidence_links == ["https://x.example/r"]
        view = action_view(action_id, team_id="T1", session=session)
        assert view is not None and view.point_title == "Point 3"
        assert action_view(action_id, team_id="T2", session=session) is None


@pytest.mark.parametrize(
    ("text", "owner", "due_on", "field"),
    [
        ("", DOER, None, "text"),
        ("x" * 501, DOER, None, "text"),
        ("Fix", None, None, "owner"),
        ("Fix", Person("ULEFT", "Lee", deleted=True), None, "owner"),
        ("Fix", Person("UBOT", "Bot", is_bot=True), None, "owner"),
        ("Fix", DOER, TODAY - timedelta(days=1), "due"),
    ],
)
def test_bad_new_actions_name_their_field(
    text: str, owner: Person | None, due_on: date | None, field: str
) -> None:
    with pytest.raises(ActionError) as raised:
        core.check_new(text, "UX", owner, due_on, today=TODAY)
    assert raised.value.field == field


def test_no_action_on_archived_services_or_missing_points(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service, assessment = seeded(session)
        new = core.check_new("Fix", DOER.id, DOER, None, today=TODAY)
        with pytest.raises(ActionError, match="not part of this assessment"):
            core.add_action(assessment, service, 99, new, user_id="U", now=NOW, session=session)
        service.archived_at = NOW
        with pytest.raises(ActionError, match="archived"):
            core.add_action(assessment, service, 3, new, user_id="U", now=NOW, session=session)
        assert session.scalars(select(ImprovementAction)).all() == []


def test_your_actions_first_then_your_services_soonest_due_first(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        service, assessment = seeded(session)
        other = add_service(session, "Parking", next_due_on=date(2026, 9, 1), owners=("UELSE",))
        elsewhere = add_assessment(session, other, started_at=NOW, status="completed")
        late = add(session, service, assessment, "late")
        late.owner_id = "UOWNER"
        late.due_on = date(2026, 8, 1)
        add(session, service, assessment, "someone else's, soon").due_on = date(2026, 4, 1)
        add(session, other, elsewhere, "not mine at all")
        mine_elsewhere = add(session, other, elsewhere, "mine elsewhere")
        mine_elsewhere.owner_id = "UOWNER"
        mine_elsewhere.due_on = date(2026, 5, 1)
    with sessions() as session:
        listed = actions_for_person(session=session, team_id="T1", user_id="UOWNER")
    assert [view.action.text for view in listed] == [
        "mine elsewhere",
        "late",
        "someone else's, soon",
    ]


# --- the summary figures, by hand ---------------------------------------------------------------


def record(service_id: int, ratings: dict[int, str]) -> ServiceRecord:
    latest = LatestAssessment(
        id=service_id * 10,
        standard_id="lgdss",
        standard_title="LGDSS",
        status="completed",
        started_at=NOW,
        last_answered_at=NOW,
        points=tuple((n, f"P{n}") for n in range(1, 6)),
        answers={n: CurrentAnswer(r, False) for n, r in ratings.items()},
    )
    return ServiceRecord(service_id, f"S{service_id}", "beta", "lgdss", TODAY, latest)


def test_summary_figures_match_a_hand_count() -> None:
    records = [
        record(1, {1: "not_met", 2: "partly_met", 3: "met", 4: "met", 5: "met"}),
        record(2, {1: "not_met", 2: "not_met", 3: "not_met", 4: "met", 5: "met"}),
        record(3, {n: "met" for n in range(1, 6)}),
    ]
    day = timedelta(days=1)
    load = SummaryLoad(
        open={
            1: OpenStats(2, 1, TODAY - 20 * day),  # one overdue, the oldest
            2: OpenStats(1, 1, TODAY - 2 * day),
            9: OpenStats(4, 4, TODAY - 99 * day),  # a service the summary does not count
        },
        done=[
            (2, TODAY - 30 * day, NOW - 31 * day),  # on time
            (2, TODAY - 60 * day, NOW - 40 * day),  # late
            (9, TODAY, NOW),
        ],
        covered={(10, 1), (10, 2), (20, 1), (20, 2)},  # point 3 of S2 has none in assessment 20
    )
    figures = build_action_figures(records, load, now=NOW, tz=LONDON)
    assert (figures.open, figures.overdue) == (3, 2)
    assert figures.oldest_overdue is not None
    assert (figures.oldest_overdue.service_name, figures.oldest_overdue.days) == ("S1", 20)
    assert (figures.done_recently, figures.done_on_time) == (2, 1)
    assert (figures.weak_points, figures.covered, figures.covered_percent) == (5, 4, 80)
    assert [(s.name, s.overdue, s.uncovered) for s in figures.services] == [
        ("S2", 1, 1),  # as overdue as S1, and a weak point without an action
        ("S1", 1, 0),
    ]
    assert validate_blocks(action_summary_blocks(figures)) == []
    assert "Oldest overdue: S1, 20 days overdue" in "\n".join(action_summary_text(figures))


# --- the CSV --------------------------------------------------------------------------------


def write(sessions: sessionmaker[Session], *, history: bool) -> bytes:
    out = io.BytesIO()
    with sessions() as session:
        service_ids = list(session.scalars(select(Service.id)))
    export_actions_csv(
        out,
        sessions=sessions,
        team_id="T1",
        service_ids=service_ids,
        history=history,
        names=AnswererNames(StaticDirectory([DOER])),
    )
    return out.getvalue()


def parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_csv_is_excel_safe_and_parses_back(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service, assessment = seeded(session)
        tricky = add(session, service, assessment, '=HYPERLINK("x"), then\n"more"')
        done = add(session, service, assessment, "Gwasanaethau ŵyr 🗑️")
        core.mark_done(
            done,
            service,
            "-done",
            ["https://a.example", "https://b.example"],
            user_id="UOWNER",
            now=NOW,
            session=session,
        )
        ids = (tricky.id, done.id, assessment.id)
    rows = parse(write(sessions, history=False))
    assert list(rows[0]) == list(COLUMNS)
    by_id = {int(row["action_id"]): row for row in rows}
    assert by_id[ids[0]]["action"] == '\'=HYPERLINK("x"), then\n"more"'
    assert by_id[ids[0]]["owner_name"] == "Dee Doer" and by_id[ids[0]]["status"] == "open"
    assert (
        by_id[ids[1]]["note"] == "'-done" and by_id[ids[1]]["closed_at"] == "2026-03-03T10:00:00Z"
    )
    assert by_id[ids[1]]["evidence_links"].split(" ") == ["https://a.example", "https://b.example"]
    assert {row["arose_in_assessment_id"] for row in rows} == {str(ids[2])}
    history = parse(write(sessions, history=True))
    assert list(history[0]) == list(HISTORY_COLUMNS)
    assert [(int(r["action_id"]), r["change"]) for r in history] == [
        (ids[0], "created"),
        (ids[1], "created"),
        (ids[1], "done"),
    ]


def test_the_cli_writes_the_actions_csv(
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with sessions.begin() as session:
        service, assessment = seeded(session)
        add(session, service, assessment, "From the command line")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    out = tmp_path / "actions.csv"
    args = build_parser().parse_args(["export", "--actions", "--out", str(out)])
    handler: Callable[[argparse.Namespace], int] = args.handler
    assert handler(args) == 0
    rows = parse(out.read_bytes())
    assert [(r["action"], r["owner_name"]) for r in rows] == [("From the command line", "UDOER")]


# --- builders inside Block Kit's limits, whatever people typed -----------------------------------

nasty = st.one_of(
    st.text(min_size=1, max_size=500),
    st.sampled_from(["<!channel>", "<@U1>", "a & b <c>", "x" * 500, "🗑️" * 200]),
)


def fake_action(text: str, status: str = "open", action_id: int = 1) -> ActionItem:
    return ActionItem(
        id=action_id,
        team_id="T1",
        service_id=5,
        assessment_id=9,
        point_number=3,
        text=text,
        owner_id="UDOER",
        due_on=TODAY,
        status=status,
        created_by="UOWNER",
        created_at=NOW,
        closed_at=NOW if status != "open" else None,
        closed_by="UOWNER" if status != "open" else None,
        note=text if status != "open" else "",
    )


def fake_service(name: str) -> Service:
    return Service(
        id=5,
        team_id="T1",
        name=name[:80],
        name_key=name[:80].casefold(),
        description="",
        standard_id="lgdss",
        phase="beta",
        team_channel_id="CTEAM",
        interval_months=6,
        next_due_on=date(2026, 9, 1),
        due_reason="interval",
        created_by="UOWNER",
        created_at=NOW,
        updated_at=NOW,
        owners=[],
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=nasty, name=nasty)
def test_builders_stay_valid_and_escape_what_people_typed(text: str, name: str) -> None:
    service = fake_service(name)
    views = [
        ActionView(fake_action(text, status, n), service_view(service), text[:150])
        for n, status in enumerate(["open", "done", "dropped"] * 10, start=1)
    ]
    _, blocks = build_action_list(
        "Your open actions", views, today=TODAY, may_change=lambda v: True, empty="none"
    )
    assert validate_blocks(blocks) == [] and len(blocks) <= 50
    card = card_action_blocks([v.action for v in views], TODAY)
    assert validate_blocks(card) == []
    assert "<!channel>" not in str(card) and "<@U1>" not in str(card)
    assert validate_blocks(completion_action_blocks(9, [(n, text[:150]) for n in range(30)])) == []
    assert validate_view(build_add_modal(text, "{}", owner_id="U1", due_on=TODAY)) == []
    assert validate_view(build_done_modal(views[0], "{}")) == []
    due = ActionDue(1, service_due(service), 3, text[:150], text, DOER.id, TODAY)
    planned = plan_action_nudges([due], NOW, {DOER.id: DOER}, WorkingHours("ENG", LONDON))
    _, message = build_nudge_message(planned, Audience.OWNER)
    assert validate_blocks(message) == []


def test_the_card_asks_about_the_rating_once_every_action_is_done() -> None:
    done = [fake_action("a", "done", 1), fake_action("b", "dropped", 2)]
    assert ALL_DONE_TEXT in str(card_action_blocks(done, TODAY))
    still_open = [*done, fake_action("c", "open", 3)]
    assert ALL_DONE_TEXT not in str(card_action_blocks(still_open, TODAY))
    assert card_action_blocks([], TODAY) == []


def test_a_card_shows_actions_since_the_last_assessment_and_any_still_open(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        service, first = seeded(session)
        old_open = add(session, service, first, "still open from long ago")
        old_done = add(session, service, first, "done long ago")
        core.mark_done(old_done, service, "ok", [], user_id="U", now=NOW, session=session)
        second = add_assessment(session, service, started_at=NOW, status="completed")
        recent = add(session, service, second, "from the last assessment")
        ids = (old_open.id, recent.id, second.id, service.id)
    with sessions() as session:
        shown = point_actions(
            session=session, service_id=ids[3], point_number=3, since_assessment_id=ids[2]
        )
    assert [action.id for action in shown] == [ids[0], ids[1]]


def test_the_terminal_summary_has_the_action_figures(
    sessions: sessionmaker[Session],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with sessions.begin() as session:
        service, assessment = seeded(session)
        add(session, service, assessment, "Printed in the terminal")
    monkeypatch.setenv("DATABASE_URL", database_url)
    args = build_parser().parse_args(["summary", "--print"])
    handler: Callable[[argparse.Namespace], int] = args.handler
    assert handler(args) == 0
    printed = capsys.readouterr().out
    assert "IMPROVEMENT ACTIONS" in printed and "Open: 1" in printed
