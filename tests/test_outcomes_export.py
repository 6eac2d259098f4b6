"""The outcomes CSV on both databases: exact columns, Excel-safe cells, `is_latest`, the CLI."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main as cli_main
from bot.core.export import AnswererNames
from bot.core.outcome_export import OUTCOME_COLUMNS, export_outcomes_csv
from storage.outcome_queries import MeasureFields, add_measure, add_reading
from storage.values import Period
from tests.test_storage_schema import make_service

NOW = datetime(2026, 4, 9, 10, tzinfo=UTC)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def seed(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        service = make_service(name='=Care, "support"')
        service.service_type = "relational"
        session.add(service)
        session.flush()
        fields = MeasureFields(
            name="+Waiting days",
            counts="",
            unit="days",
            better_when="lower",
            target=Decimal(10),
            frequency="monthly",
            source="@system\nline two",
            points=(),
        )
        measure = add_measure(
            session=session, service=service, fields=fields, user_id="U1", now=NOW
        )
        for value, note in (("12", "first"), ("11.5", "-corrected")):
            add_reading(
                session=session,
                measure=measure,
                period=MARCH,
                value=Decimal(value),
                note=note,
                user_id="U1",
                now=NOW,
            )
        return service.id


def parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == OUTCOME_COLUMNS
    return [dict(zip(OUTCOME_COLUMNS, row, strict=True)) for row in rows[1:]]


def test_one_row_per_reading_excel_safe(sessions: sessionmaker[Session]) -> None:
    service_id = seed(sessions)
    out = io.BytesIO()
    rows = export_outcomes_csv(
        out, sessions=sessions, team_id="T1", service_ids=[service_id], names=AnswererNames(None)
    )
    assert rows == 2
    first, second = parse(out.getvalue())
    assert first["service"] == '\'=Care, "support"' and first["measure"] == "'+Waiting days"
    assert first["source"] == "'@system\nline two" and second["note"] == "'-corrected"
    assert (first["value"], first["is_latest"], second["value"], second["is_latest"]) == (
        "12",
        "false",
        "11.5",
        "true",
    )
    assert first["period_start"] == "2026-03-01" and first["period_end"] == "2026-03-31"
    assert first["recorded_at"] == "2026-04-09T10:00:00Z" and first["target"] == "10"
    assert first["service_type"] == "relational" and first["recorded_by_name"] == "U1"
    other = io.BytesIO()
    assert (
        export_outcomes_csv(
            other,
            sessions=sessions,
            team_id="T2",
            service_ids=[service_id],
            names=AnswererNames(None),
        )
        == 0
    )


def test_cli_writes_the_outcomes_export(
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(sessions)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    out = tmp_path / "outcomes.csv"
    assert cli_main(["export", "--outcomes", "--out", str(out)]) == 0
    assert [r["value"] for r in parse(out.read_bytes())] == ["12", "11.5"]
    assert "2 rows of workspace T1" in capsys.readouterr().err
