"""What one rating click costs: SQL statements in the ack path and in the after-ack work, and
Slack Web API calls by method.

In-process: the real Bolt app over HTTP (tests.harness) against the fake Slack, on a fresh
database per case. The service has a completed LGDSS assessment behind it (history: the card
shows the last rating), and its reassessment is half done. Measured: a click on the middle
point (8 of 15), and the click on the last point, which completes the assessment and posts
the completion message. Counts, not times: they do not depend on the machine's load.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.common import backends, temporary_database
from bench.report import INFO, BenchResult, Row, markdown_table
from storage.db import make_engine
from storage.migrate import upgrade
from tests.click_costs import ClickCost, click_cost, prepare
from tests.fakeslack import FakeSlack
from tests.harness import populate, running_app

MIDDLE = 7  # points answered before the click: the click rates point 8 of LGDSS's 15
LAST = 14


@dataclass(frozen=True)
class Case:
    backend: str
    click: str
    cost: ClickCost


def measure(backend: str, answered: int) -> ClickCost:
    with temporary_database(backend, f"click{answered}") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        with FakeSlack() as fake:
            populate(fake)
            with running_app(url, fake) as app:
                prepare(app, history=True, answered=answered)
                return click_cost(app)


def _calls(cost: ClickCost) -> str:
    return ", ".join(f"{method} {n}" for method, n in sorted(cost.slack.items()))


def run(quick: bool = False, *, include_postgres: bool = True) -> BenchResult:
    started = time.perf_counter()
    names, skipped = backends(include_postgres and not quick)
    result = BenchResult("click", "6. One click")
    cases = [
        Case(backend, click, measure(backend, answered))
        for backend in names
        for click, answered in (("middle point", MIDDLE), ("last point", LAST))
    ]
    for case in cases:
        ack, after = case.cost.statements
        label = f"{case.backend} · {case.click}"
        result.rows += [
            Row("click", label, "SQL statements: ack path + after ack", f"{ack} + {after}"),
            Row("click", label, "Slack calls", str(sum(case.cost.slack.values())), "", INFO),
        ]
        result.raw[label] = {"ack": ack, "after_ack": after, "slack": dict(case.cost.slack)}
    result.details += markdown_table(
        ("case", "ack path", "after ack", "Slack calls by method"),
        [(f"{c.backend} · {c.click}", *c.cost.statements, _calls(c.cost) or "none") for c in cases],
    )
    result.notes.append(
        "Statements include BEGIN where the driver sends one (SQLite's BEGIN / BEGIN IMMEDIATE);"
        " users.info is answered from the process's directory after the first click."
    )
    if skipped:
        result.notes.append(f"PostgreSQL skipped: {skipped}.")
    result.seconds = time.perf_counter() - started
    return result


if __name__ == "__main__":
    from bench.report import text_table

    outcome = run(quick=False)
    print(
        text_table(("case", "metric", "value"), [(r.case, r.metric, r.value) for r in outcome.rows])
    )
    print("\n".join(outcome.details))
