"""Lists, the Home tab, the due list and the export read a fixed number of statements however
many services a workspace has: no N+1, and no extra statement per 500 either (SQLAlchemy's
selectin loading batches its IN lists by 500)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session

from bot.blocks.portfolio import LIST_LINES
from bot.core.action_summary import figures_for
from bot.core.overview import service_lines
from standards import load_catalogue
from storage.action_queries import action_counts
from storage.db import session_factory
from storage.export_queries import exportable_services
from storage.models import Answer, Assessment, ImprovementAction, Service, ServiceOwner
from storage.overview_queries import service_views
from storage.reminder_queries import due_services
from storage.summary_queries import load_portfolio
from tests.click_costs import click_cost, prepare
from tests.click_costs import counting as counting_click
from tests.harness import CHANNEL, OWNER, RunningApp

TODAY = date(2026, 3, 3)
NOW = datetime(2026, 3, 3, 10, tzinfo=UTC)
CATALOGUE = load_catalogue()


def add_services(engine: Engine, first: int, count: int) -> None:
    """`count` services with two owners, an assessment and one answer each (Core inserts)."""
    with engine.begin() as connection:
        connection.execute(
            insert(Service),
            [
                {
                    "team_id": "T1",
                    "name": f"S{n}",
                    "name_key": f"s{n}",
                    "description": "",
                    "standard_id": "lgdss",
                    "phase": "beta",
                    "team_channel_id": "C1",
                    "interval_months": 6,
                    "next_due_on": TODAY,
                    "due_reason": "interval",
                    "created_by": "U1",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(first, first + count)
            ],
        )
        ids = connection.scalars(
            select(Service.id).where(
                Service.name_key.in_([f"s{n}" for n in range(first, first + count)])
            )
        ).all()
        connection.execute(
            insert(ServiceOwner),
            [
                {"service_id": service_id, "user_id": user}
                for service_id in ids
                for user in ("U1", "U2")
            ],
        )
        connection.execute(
            insert(Assessment),
            [
                {
                    "team_id": "T1",
                    "service_id": service_id,
                    "standard_id": "lgdss",
                    "standard_version": "2016",
                    "standard_title": "LGDSS",
                    "phase": "beta",
                    "status": "in_progress",
                    "started_by": "U1",
                    "started_at": NOW,
                    "channel_id": "C1",
                    "point_count": 15,
                }
                for service_id in ids
            ],
        )
        assessments = connection.scalars(
            select(Assessment.id).where(Assessment.service_id.in_(ids))
        ).all()
        connection.execute(
            insert(Answer),
            [
                {
                    "team_id": "T1",
                    "assessment_id": assessment_id,
                    "point_number": 1,
                    "rating": "met",
                    "evidence": "",
                    "evidence_links": [],
                    "answered_by": "U1",
                    "answered_at": NOW,
                }
                for assessment_id in assessments
            ],
        )


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(engine: Engine, work: Callable[[Session], object]) -> int:
    with counting(engine) as statements, session_factory(engine)() as session:
        work(session)
    return len([s for s in statements if not s.lstrip().upper().startswith("BEGIN")])


def portfolio_view(session: Session) -> None:
    """What `/assess list` and the Home tab read: the services, then the shown ones' progress."""
    services = service_views(team_id="T1", session=session)
    lines = service_lines(services[:LIST_LINES], catalogue=CATALOGUE, session=session)
    assert all(len(line.service.owner_ids) == 2 and line.tally for line in lines)
    assert all(line.tally.answered == 1 and line.tally.met == 1 for line in lines if line.tally)


def due_list(session: Session) -> None:
    assert due_services(session=session, team_id="T1", today=TODAY, within_days=30)


def export_list(session: Session) -> None:
    assert all(service.owner_ids for service in exportable_services(session=session, team_id="T1"))


def counts(engine: Engine) -> dict[str, int]:
    return {
        name: statements_for(engine, work)
        for name, work in (("list", portfolio_view), ("due", due_list), ("export", export_list))
    }


def test_statement_counts_do_not_grow_with_the_portfolio(engine: Engine) -> None:
    add_services(engine, 0, 3)
    small = counts(engine)
    add_services(engine, 3, 1200)
    assert counts(engine) == small


# --- improvement actions (#14) -------------------------------------------------------------------


def add_actions(engine: Engine, first: int, count: int) -> None:
    """Five actions on each of these services' assessment: open, overdue, done, dropped."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(Service.id, Assessment.id)
            .join(Assessment, Assessment.service_id == Service.id)
            .where(Service.name_key.in_([f"s{n}" for n in range(first, first + count)]))
        ).all()
        connection.execute(
            insert(ImprovementAction),
            [
                {
                    "team_id": "T1",
                    "service_id": service_id,
                    "assessment_id": assessment_id,
                    "point_number": 1 + k,
                    "text": f"Action {k}",
                    "owner_id": "U3",
                    "due_on": date(2026, 2, 1) if k % 2 else date(2026, 6, 1),
                    "status": ("open", "open", "open", "done", "dropped")[k],
                    "created_by": "U1",
                    "created_at": NOW,
                    "updated_at": NOW,
                    "closed_at": NOW if k >= 3 else None,
                    "closed_by": "U1" if k >= 3 else None,
                    "note": "",
                    "evidence_links": [],
                }
                for service_id, assessment_id in rows
                for k in range(5)
            ],
        )


def action_views(session: Session) -> None:
    """What the Home tab and the summary read about actions."""
    counts = action_counts(session=session, team_id="T1", today=TODAY)
    assert all(c.open == 3 and c.overdue == 1 for c in counts.values())
    portfolio = load_portfolio(session=session, team_id="T1")
    figures = figures_for(
        portfolio, session=session, team_id="T1", now=NOW, tz=ZoneInfo("Europe/London")
    )
    assert figures.open == 3 * len(portfolio) and figures.done_recently == len(portfolio)


def test_action_statement_counts_do_not_grow_with_the_portfolio(engine: Engine) -> None:
    add_services(engine, 0, 3)
    add_actions(engine, 0, 3)
    small = statements_for(engine, action_views)
    add_services(engine, 3, 1200)
    add_actions(engine, 3, 1200)
    assert statements_for(engine, action_views) == small


def test_a_click_sends_the_same_statements_however_much_is_answered(
    slack_app_each_db: RunningApp,
) -> None:
    """One rating click, end to end: the ack path and the after-ack work each send a fixed
    number of statements, with 1 or 12 points answered, with or without a past assessment."""
    app = slack_app_each_db
    costs = {}
    for history in (False, True):
        for answered in (1, 12):
            prepare(app, history=history, answered=answered, name=f"S{history}{answered}")
            costs[history, answered] = click_cost(app).statements
    assert len(set(costs.values())) == 1, costs
    # Pinned (issue #17): SQLite sends BEGIN / BEGIN IMMEDIATE as statements of their own, and
    # PostgreSQL a SET LOCAL statement_timeout in each writing transaction. Ack path: the
    # permission read, the locked assessment with its points and newest id, the current answers,
    # the answer, the cards closed, the cards read, the next card. After the ack: the previous
    # assessment's answers, each shown point's actions, the measures (3), the card's ts.
    backend = app.deps.engine.dialect.name
    assert set(costs.values()) == {CLICK_STATEMENTS[backend]}, costs


CLICK_STATEMENTS = {"sqlite": (9, 9), "postgresql": (8, 8)}
# Without a completed assessment there are no peer reviews to read: one statement fewer.
STATUS_STATEMENTS = {"sqlite": {False: 9, True: 10}, "postgresql": {False: 8, True: 9}}


def test_status_sends_the_same_statements_however_much_is_answered(
    slack_app_each_db: RunningApp,
) -> None:
    """`/assess status`, with 1 or 12 points answered: a fixed number of statements (pinned,
    issue #17), one more with a completed assessment behind (its reviews are read)."""
    app = slack_app_each_db
    sent = {}
    for history in (False, True):
        for answered in (1, 12):
            name = f"S{history}{answered}"
            prepare(app, history=history, answered=answered, name=name)
            with counting_click(app) as cost:
                app.driver.command(f"status {name}", user=OWNER, channel=CHANNEL)
            sent[history, answered] = len(cost.ack) + len(cost.after_ack)
    expected = STATUS_STATEMENTS[app.deps.engine.dialect.name]
    assert sent == {(h, a): expected[h] for h, a in sent}, sent
