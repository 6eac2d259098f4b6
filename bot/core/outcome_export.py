"""The outcomes CSV: one row per reading, written as Excel-safely as the answers export.

The same writer rules as `bot.core.export` (its cell functions are reused): UTF-8 with a BOM,
CRLF, RFC 4180 quoting, text cells that could run as formulas get a leading apostrophe. Dates
are ISO (`YYYY-MM-DD`), times `YYYY-MM-DDTHH:MM:SSZ` in UTC, `is_latest` is `true` for the
reading that stands for its period (a correction makes the reading it corrects `false`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from bot.core.export import BOM, LINE_END, AnswererNames, text_cell
from storage.outcome_export_queries import ReadingRow, reading_rows, recorder_ids

OUTCOME_COLUMNS: tuple[str, ...] = (
    "service",
    "service_id",
    "team_id",
    "service_type",
    "measure",
    "unit",
    "better_when",
    "target",
    "period_start",
    "period_end",
    "value",
    "note",
    "source",
    "recorded_by_id",
    "recorded_by_name",
    "recorded_at",
    "is_latest",
)
OUTCOMES_WORD = "outcomes"


def _day(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "")


def _time(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value or "")


def outcome_lines(rows: Iterable[ReadingRow], names: AnswererNames) -> Iterator[str]:
    for row in rows:
        cells = (
            text_cell(row.service),
            str(row.service_id),
            text_cell(row.team_id),
            text_cell(row.service_type),
            text_cell(row.measure),
            text_cell(row.unit),
            text_cell(row.better_when),
            row.target or "",
            _day(row.period_start),
            _day(row.period_end),
            row.value,
            text_cell(row.note),
            text_cell(row.source),
            text_cell(row.recorded_by),
            text_cell(names.name(row.recorded_by)),
            _time(row.recorded_at),
            "true" if row.is_latest else "false",
        )
        yield ",".join(cells) + LINE_END


def write_outcome_csv(rows: Iterable[ReadingRow], out: IO[bytes], names: AnswererNames) -> int:
    out.write((BOM + ",".join(OUTCOME_COLUMNS) + LINE_END).encode("utf-8"))
    count = 0
    for line in outcome_lines(rows, names):
        out.write(line.encode("utf-8"))
        count += 1
    return count


def export_outcomes_csv(
    out: IO[bytes],
    *,
    sessions: sessionmaker[Session],
    team_id: str,
    service_ids: Sequence[int],
    names: AnswererNames,
) -> int:
    """Everyone named is looked up before the read opens: no Slack call inside a transaction."""
    if names.has_directory:
        with sessions.begin() as session:
            people = recorder_ids(session=session, team_id=team_id, service_ids=service_ids)
        names.preload(people)
    with sessions.begin() as session:
        rows = reading_rows(session=session, team_id=team_id, service_ids=service_ids)
        return write_outcome_csv(rows, out, names)


def outcomes_filename(day: date) -> str:
    return f"assessbot-outcomes-{day:%Y%m%d}.csv"
