"""Seeding big databases fast: the real models, bulk inserts in batches, explicit ids.

A portfolio is N live services of the LGDSS (15 points), each with three assessments of history
(two completed, the latest completed or, for some, in progress), two owners from a shared pool,
answers that were sometimes changed (two rows for a point) and evidence on most of them. Dates
are spread so that some services are overdue, some due soon and most settled, as in a council.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert

from bench.common import analyze, reset_sequences
from bot.core.due import DueReason
from standards import load_catalogue
from storage.models import (
    Answer,
    Assessment,
    AssessmentPoint,
    ImprovementAction,
    Service,
    ServiceOwner,
)

STANDARD = "lgdss"
PHASES = ("discovery", "alpha", "beta", "live")
# Ten slots: 60% met, 20% partly met, 15% not met, 5% not applicable.
RATINGS = ("met",) * 12 + ("partly_met",) * 4 + ("not_met",) * 3 + ("not_applicable",)
EVIDENCE = (
    "User research with 12 residents; report linked.",
    "",
    "Tested with screen readers: two issues open, fixes due in May.",
    "Gwasanaeth dwyieithog — tested with Welsh speakers.",
)
BATCH = 20_000
HISTORY = 3


def service_name(number: int) -> str:
    return f"Service {number:05d}"


def seed_portfolio(
    engine: Engine,
    services: int,
    *,
    today: date,
    team_id: str,
    owner_pool: Sequence[str],
    channels: Sequence[str],
    also_owned_by: str | None = None,
    in_progress_every: int = 4,
) -> dict[str, int]:
    """`services` services with HISTORY assessments each; row counts by table."""
    standard = load_catalogue().get(STANDARD)
    assert standard is not None, f"the {STANDARD} standard is not shipped any more"
    titles = [(point.number, point.title) for point in standard.points]
    counts = {"services": services, "assessments": services * HISTORY}
    with engine.begin() as connection:
        _insert(
            connection,
            Service,
            _services(services, today, team_id, channels, in_progress_every),
        )
        owners = list(_owners(services, owner_pool, also_owned_by))
        _insert(connection, ServiceOwner, iter(owners))
        _insert(
            connection,
            Assessment,
            _assessments(services, today, team_id, channels, len(titles), in_progress_every),
        )
        counts["points"] = _insert(connection, AssessmentPoint, _points(services, titles))
        counts["answers"] = _insert(
            connection,
            Answer,
            _answers(services, today, team_id, owner_pool, len(titles), in_progress_every),
        )
        counts["owners"] = len(owners)
    reset_sequences(engine, ["services", "assessments", "answers"])
    analyze(engine)
    return counts


def seed_due_today(
    engine: Engine,
    services: int,
    *,
    today: date,
    team_id: str,
    owner_pool: Sequence[str],
    channels: Sequence[str],
) -> None:
    """Services never assessed, all due today, one owner each: every one nudges its owner and
    its team channel at once."""
    created = datetime.combine(today - timedelta(days=30), time(10), tzinfo=UTC)
    rows = []
    for n in range(1, services + 1):
        name = service_name(n)
        rows.append(
            _service_row(n, name, team_id, channels[(n - 1) % len(channels)], created)
            | {
                "phase": "beta",
                "last_assessed_on": None,
                "next_due_on": today,
                "due_reason": DueReason.NEVER_ASSESSED.value,
            }
        )
    owners = [
        {"service_id": n, "user_id": owner_pool[(n - 1) % len(owner_pool)]}
        for n in range(1, services + 1)
    ]
    with engine.begin() as connection:
        _insert(connection, Service, iter(rows))
        _insert(connection, ServiceOwner, iter(owners))
    reset_sequences(engine, ["services"])
    analyze(engine)


def _insert(connection: Connection, model: Any, rows: Iterator[dict[str, Any]]) -> int:
    batch: list[dict[str, Any]] = []
    total = 0
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.execute(insert(model), batch)
            total += len(batch)
            batch = []
    if batch:
        connection.execute(insert(model), batch)
        total += len(batch)
    return total


def _service_row(
    n: int, name: str, team_id: str, channel: str, created: datetime
) -> dict[str, Any]:
    return {
        "id": n,
        "team_id": team_id,
        "name": name,
        "name_key": name.casefold(),
        "description": f"Benchmark service {n}",
        "standard_id": STANDARD,
        "team_channel_id": channel,
        "interval_months": 6,
        "created_by": "UBENCHADMIN",
        "created_at": created,
        "updated_at": created,
        "archived_at": None,
        "archived_by": None,
        "snoozed_until": None,
    }


def _started(n: int, k: int, today: date) -> datetime:
    """Assessment k (0 oldest) of service n: roughly every six months, spread over the year."""
    days = (HISTORY - k) * 182 + (n * 37) % 150
    return datetime.combine(today - timedelta(days=days), time(9, n % 60), tzinfo=UTC)


def _in_progress(n: int, k: int, every: int) -> bool:
    return k == HISTORY - 1 and every > 0 and n % every == 0


def _services(
    count: int, today: date, team_id: str, channels: Sequence[str], every: int
) -> Iterator[dict[str, Any]]:
    created = _started(1, 0, today) - timedelta(days=400)
    for n in range(1, count + 1):
        last_done = HISTORY - 2 if _in_progress(n, HISTORY - 1, every) else HISTORY - 1
        completed = (_started(n, last_done, today) + timedelta(days=20)).date()
        # From 90 days overdue to 270 days ahead: some overdue, some due soon, most settled.
        next_due = today + timedelta(days=(n * 53) % 360 - 90)
        yield _service_row(n, service_name(n), team_id, channels[n % len(channels)], created) | {
            "phase": PHASES[n % len(PHASES)],
            "last_assessed_on": completed,
            "next_due_on": next_due,
            "due_reason": DueReason.INTERVAL.value,
        }


def _owners(count: int, pool: Sequence[str], also: str | None) -> Iterator[dict[str, Any]]:
    for n in range(1, count + 1):
        ids = {pool[(n - 1) % len(pool)], pool[(n * 7 + 3) % len(pool)]}
        if also is not None:
            ids.add(also)
        for user_id in sorted(ids):
            yield {"service_id": n, "user_id": user_id}


def _assessments(
    count: int, today: date, team_id: str, channels: Sequence[str], points: int, every: int
) -> Iterator[dict[str, Any]]:
    for n in range(1, count + 1):
        for k in range(HISTORY):
            started = _started(n, k, today)
            running = _in_progress(n, k, every)
            yield {
                "id": (n - 1) * HISTORY + k + 1,
                "team_id": team_id,
                "service_id": n,
                "standard_id": STANDARD,
                "standard_version": "2024.1",
                "standard_title": "Local Government Digital Service Standard",
                "phase": PHASES[n % len(PHASES)],
                "status": "in_progress" if running else "completed",
                "started_by": "UBENCHADMIN",
                "started_at": started,
                "completed_at": None if running else started + timedelta(days=20),
                "channel_id": channels[n % len(channels)],
                "thread_ts": None,
                "point_count": points,
            }


def _points(count: int, titles: Sequence[tuple[int, str]]) -> Iterator[dict[str, Any]]:
    for assessment_id in range(1, count * HISTORY + 1):
        for number, title in titles:
            yield {"assessment_id": assessment_id, "number": number, "title": title}


def _answers(
    count: int,
    today: date,
    team_id: str,
    pool: Sequence[str],
    points: int,
    every: int,
) -> Iterator[dict[str, Any]]:
    for n in range(1, count + 1):
        for k in range(HISTORY):
            assessment_id = (n - 1) * HISTORY + k + 1
            started = _started(n, k, today)
            answered = n % points if _in_progress(n, k, every) else points
            for number in range(1, answered + 1):
                seed = n * 31 + k * 7 + number * 13
                rows = 2 if (n + number) % 4 == 0 else 1  # changed their mind once
                for attempt in range(rows):
                    rating = RATINGS[(seed + attempt * 5) % len(RATINGS)]
                    evidence = EVIDENCE[(seed + attempt) % len(EVIDENCE)]
                    if rating == "not_applicable":
                        evidence = "Not applicable: no digital channel for this service."
                    yield {
                        "team_id": team_id,
                        "assessment_id": assessment_id,
                        "point_number": number,
                        "rating": rating,
                        "evidence": evidence,
                        "evidence_links": ["https://example.org/r"] if seed % 3 == 0 else [],
                        "answered_by": pool[seed % len(pool)],
                        "answered_at": started + timedelta(hours=number * 6 + attempt),
                    }


# --- improvement actions (#14) -------------------------------------------------------------------

ACTIONS_PER_SERVICE = 5
ACTION_STATES = ("open", "open", "open", "done", "dropped")


def seed_actions(
    engine: Engine,
    services: int,
    *,
    today: date,
    team_id: str,
    owner_pool: Sequence[str],
    per_service: int = ACTIONS_PER_SERVICE,
) -> int:
    """`per_service` actions on each service's latest assessment: open (every other one
    overdue), done (half of them late) and dropped; returns the number inserted."""
    with engine.begin() as connection:
        return _insert(
            connection,
            ImprovementAction,
            _actions(services, today, team_id, owner_pool, per_service),
        )


def _actions(
    count: int, today: date, team_id: str, pool: Sequence[str], per_service: int
) -> Iterator[dict[str, Any]]:
    created = datetime.combine(today - timedelta(days=60), time(10), tzinfo=UTC)
    for n in range(1, count + 1):
        for k in range(per_service):
            status = ACTION_STATES[k % len(ACTION_STATES)]
            due_on = today + timedelta(days=(-10 if (n + k) % 2 else 20))
            closed = status != "open"
            yield {
                "team_id": team_id,
                "service_id": n,
                "assessment_id": n * HISTORY,  # the latest of the service's assessments
                "point_number": 1 + k,
                "text": f"Improve point {1 + k} of service {n}",
                "owner_id": pool[(n + k) % len(pool)],
                "due_on": due_on,
                "status": status,
                "created_by": pool[n % len(pool)],
                "created_at": created,
                "updated_at": created,
                "closed_at": created + timedelta(days=40) if closed else None,
                "closed_by": pool[n % len(pool)] if closed else None,
                "note": "Done and checked." if closed else "",
                "evidence_links": [],
                "snoozed_until": None,
            }
