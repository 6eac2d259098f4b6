"""What one click on an assessment card costs: SQL statements before the ack and after it,
and Slack Web API calls by method. Shared by tests/test_query_counts.py and bench/bench_click.py.

A statement counts as after-ack when `bot.slack.after_ack.later`'s runner is on the stack of
the thread sending it; everything else the click sends (the listener, up to its ack) is the ack
path. The clock moves a minute before each click, so a click is never a double click.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, select

from storage.models import Assessment, Service
from storage.values import AssessmentStatus
from tests.harness import CHANNEL, OWNER, RunningApp
from tests.test_assessment_e2e import card_point, newest_card, register

AFTER_ACK_FILE = "bot/slack/after_ack.py"
IN_PROGRESS = AssessmentStatus.IN_PROGRESS


@dataclass
class ClickCost:
    ack: list[str] = field(default_factory=list)
    after_ack: list[str] = field(default_factory=list)
    slack: Counter[str] = field(default_factory=Counter)

    @property
    def statements(self) -> tuple[int, int]:
        return len(self.ack), len(self.after_ack)


def _in_after_ack_work() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "run" and code.co_filename.endswith(AFTER_ACK_FILE):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


@contextmanager
def counting(app: RunningApp) -> Iterator[ClickCost]:
    cost = ClickCost()

    def seen(*args: Any) -> None:
        statement = str(args[2]).split("\n", 1)[0][:120]
        (cost.after_ack if _in_after_ack_work() else cost.ack).append(statement)

    app.fake.clear_calls()
    event.listen(app.deps.engine, "before_cursor_execute", seen)
    try:
        yield cost
    finally:
        event.remove(app.deps.engine, "before_cursor_execute", seen)
        cost.slack.update(call.method for call in app.fake.calls)


def click_met(app: RunningApp) -> int:
    """Rate the newest card Met; the point it was for."""
    card = newest_card(app)
    app.clock.advance(minutes=1)
    response = app.driver.click("Met", user=OWNER, in_message=(CHANNEL, str(card["ts"])))
    assert response.status == 200
    return card_point(card)


def in_progress(app: RunningApp, name: str) -> bool:
    with app.deps.sessions() as session:
        running = session.scalar(
            select(func.count())
            .select_from(Assessment)
            .join(Service, Service.id == Assessment.service_id)
            .where(Service.name == name, Assessment.status == IN_PROGRESS)
        )
    return (running or 0) > 0


def prepare(app: RunningApp, *, history: bool, answered: int, name: str = "Bins") -> None:
    """A service (a completed assessment behind it when `history`) whose assessment in
    progress has `answered` points rated, its next card waiting."""
    register(app, name)
    if history:
        app.driver.command(f"start {name}", user=OWNER, channel=CHANNEL)
        while in_progress(app, name):
            click_met(app)
    app.driver.command(f"start {name}", user=OWNER, channel=CHANNEL)
    for _ in range(answered):
        click_met(app)


def click_cost(app: RunningApp) -> ClickCost:
    with counting(app) as cost:
        click_met(app)
    return cost
