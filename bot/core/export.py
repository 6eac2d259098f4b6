"""The CSV export: who may export what, and turning answer rows into a file Excel opens safely.

The file is for councils' own spreadsheets and pivot tables, so it is shaped for them:
- one row per answer, plus one `unanswered` row per point nobody answered, so a pivot table
  sees the whole standard; point titles come from the assessment's snapshot;
- fixed columns (`COLUMNS`), ratings as stable lowercase words, times as `YYYY-MM-DDTHH:MM:SSZ`
  in UTC, `is_latest` as `true`/`false`, `evidence_links` joined with a single space (URLs
  contain no spaces, so splitting on spaces gives them back);
- UTF-8 with a byte-order mark and CRLF line ends, quoted per RFC 4180, because that is what
  Excel needs to show Welsh characters and emoji and keep multi-line evidence in one cell;
- any text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (or the
  full-width `＝＋－＠` some spreadsheets also accept) gets a leading apostrophe, so evidence
  typed as `=HYPERLINK(...)` shows as text and never runs (OWASP's CSV injection advice). Ids,
  point numbers and times are written by us, never prefixed.

`is_latest` is true for the row that is the point's current answer within its assessment (and
for unanswered rows); without history every row is such a row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from bot.core.people import Directory
from bot.core.text import escape, truncate
from storage.export_queries import (
    DEFAULT_YIELD_PER,
    ExportableService,
    ExportRecord,
    answerer_ids,
    stream_export,
)
from storage.models import Rating

COLUMNS: tuple[str, ...] = (
    "service",
    "service_id",
    "team_id",
    "standard",
    "standard_version",
    "phase",
    "assessment_id",
    "assessment_started_at",
    "assessment_completed_at",
    "point_number",
    "point_title",
    "rating",
    "evidence",
    "evidence_links",
    "answered_by_id",
    "answered_by_name",
    "answered_at",
    "is_latest",
)
UNANSWERED = "unanswered"
RATING_WORDS: frozenset[str] = frozenset(rating.value for rating in Rating)
FORMULA_TRIGGERS = "=+-@\t\r＝＋－＠"
BOM = "\ufeff"
LINK_SEPARATOR = " "
HISTORY_WORD = "history"
ALL_WORD = "all"


def neutralise(text: str) -> str:
    """Make a text cell inert in a spreadsheet: a leading apostrophe stops formula evaluation."""
    if text and text[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def format_time(moment: datetime | None) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC: sortable as text and parsed by every spreadsheet."""
    if moment is None:
        return ""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"naive datetime {moment!r}: exports need timezone-aware times")
    if offset:
        moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


class AnswererNames:
    """Display names for answerer ids, asking the directory at most once per person per export.

    Someone Slack no longer knows (or with no name) is shown by their id, so a leaver's answers
    still export.
    """

    def __init__(self, directory: Directory | None) -> None:
        self._directory = directory
        self._names: dict[str, str] = {}

    def name(self, user_id: str) -> str:
        cached = self._names.get(user_id)
        if cached is not None:
            return cached
        person = self._directory.lookup(user_id) if self._directory is not None else None
        name = person.name if person is not None and person.name else user_id
        self._names[user_id] = name
        return name

    def preload(self, user_ids: Iterable[str]) -> None:
        """Look everyone up before the export's transaction opens (Slack can be slow)."""
        for user_id in user_ids:
            self.name(user_id)


def csv_cells(record: ExportRecord, names: AnswererNames) -> list[str]:
    """One record as the strings of one CSV line, in `COLUMNS` order, text cells neutralised."""
    if record.answer_id is None:
        rating = UNANSWERED
        evidence = links = answered_by = answered_by_name = answered_at = ""
    else:
        if record.rating not in RATING_WORDS:
            raise ValueError(f"answer {record.answer_id} has unknown rating {record.rating!r}")
        rating = record.rating
        evidence = neutralise(record.evidence or "")
        links = neutralise(LINK_SEPARATOR.join(record.evidence_links or ()))
        answered_by = neutralise(record.answered_by or "")
        answered_by_name = neutralise(names.name(record.answered_by)) if record.answered_by else ""
        answered_at = format_time(record.answered_at)
    return [
        neutralise(record.service),
        str(record.service_id),
        neutralise(record.team_id),
        neutralise(record.standard_id),
        neutralise(record.standard_version),
        neutralise(record.phase),
        str(record.assessment_id),
        format_time(record.started_at),
        format_time(record.completed_at),
        str(record.point_number),
        neutralise(record.point_title),
        rating,
        evidence,
        links,
        answered_by,
        answered_by_name,
        answered_at,
        "true" if record.is_latest else "false",
    ]


def write_csv_text(records: Iterable[ExportRecord], out: IO[str], names: AnswererNames) -> int:
    """Write the header and one line per record as they arrive; return the number of records.

    `out` must be opened with `newline=""` (the writer emits CRLF itself) and encode UTF-8.
    """
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    count = 0
    for record in records:
        writer.writerow(csv_cells(record, names))
        count += 1
    return count


def write_csv(records: Iterable[ExportRecord], out: IO[bytes], names: AnswererNames) -> int:
    """`write_csv_text` onto a binary stream (a file, stdout's buffer, BytesIO), left open."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    try:
        return write_csv_text(records, text, names)
    finally:
        text.flush()
        text.detach()


@dataclass(frozen=True)
class ExportArgs:
    """What `/assess export [service|all] [history]` asked for."""

    service_name: str | None = None
    everything: bool = False
    history: bool = False


def parse_export_args(args: Sequence[str]) -> ExportArgs:
    """A trailing `history` asks for history; `all` for every service; other words name one."""
    words = [word for word in args if word.strip()]
    history = bool(words) and words[-1].casefold() == HISTORY_WORD
    if history:
        words = words[:-1]
    name = " ".join(words).strip()
    if name.casefold() == ALL_WORD:
        return ExportArgs(everything=True, history=history)
    return ExportArgs(service_name=name or None, history=history)


@dataclass(frozen=True)
class ExportPlan:
    services: tuple[ExportableService, ...]
    history: bool
    scope: str  # plain text: "all services", "your services", or the service's name


@dataclass(frozen=True)
class Refusal:
    text: str  # mrkdwn, user text already escaped


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def find_service(services: Sequence[ExportableService], name: str) -> ExportableService | None:
    wanted = name_key(name)
    for service in services:
        if service.name_key == wanted or name_key(service.name) == wanted:
            return service
    return None


def plan_export(
    args: ExportArgs, user_id: str, is_admin: bool, services: Sequence[ExportableService]
) -> ExportPlan | Refusal:
    """Which services this person may export; owners export theirs, admins any or all."""
    if args.everything:
        if not is_admin:
            return Refusal(
                "Only admins can export every service. Use `/assess export` for the services "
                "you own, or ask an admin."
            )
        if not services:
            return Refusal("There are no services in this workspace yet, so nothing to export.")
        return ExportPlan(tuple(services), args.history, "all services")
    if args.service_name is not None:
        service = find_service(services, args.service_name)
        if service is None:
            return Refusal(f"There's no service called “{escape(args.service_name)}”.")
        if not is_admin and user_id not in service.owner_ids:
            owners = ", ".join(f"<@{owner}>" for owner in service.owner_ids) or "nobody"
            return Refusal(
                f"You can only export services you own: “{escape(service.name)}” is owned by "
                f"{owners}. Ask an owner or an admin."
            )
        return ExportPlan((service,), args.history, service.name)
    if is_admin:
        if not services:
            return Refusal("There are no services in this workspace yet, so nothing to export.")
        return ExportPlan(tuple(services), args.history, "all services")
    mine = tuple(service for service in services if user_id in service.owner_ids)
    if not mine:
        return Refusal(
            "You don't own any services, so there's nothing of yours to export. Owners can "
            "export their services; admins can export any (`/assess export all`)."
        )
    return ExportPlan(mine, args.history, "your services")


def export_filename(day: date) -> str:
    return f"assessbot-export-{day:%Y%m%d}.csv"


def describe(plan: ExportPlan, rows: int) -> str:
    """The one-line message that goes with the file (mrkdwn, names escaped)."""
    what = "every answer ever given" if plan.history else "the latest answer to each point"
    count = len(plan.services)
    if count == 1:
        services = f"“{escape(truncate(plan.services[0].name, 80))}”"
    else:
        services = f"{plan.scope} ({count})"
    lines = f"{rows} row" + ("" if rows == 1 else "s")
    return f"Assessment export of {services}: {what}, {lines}."


def export_csv(
    out: IO[bytes],
    *,
    sessions: sessionmaker[Session],
    team_id: str,
    service_ids: Sequence[int],
    history: bool,
    names: AnswererNames,
    yield_per: int = DEFAULT_YIELD_PER,
) -> int:
    """Write the export of these services to `out`; return the number of data rows.

    Names are looked up first, in their own short transaction, so that no Slack call happens
    while the streaming transaction is open (on SQLite it holds the write lock).
    """
    with sessions.begin() as session:
        people = answerer_ids(
            session=session, team_id=team_id, service_ids=service_ids, history=history
        )
    names.preload(people)
    with sessions.begin() as session:
        records = stream_export(
            session=session,
            team_id=team_id,
            service_ids=service_ids,
            history=history,
            yield_per=yield_per,
        )
        return write_csv(records, out, names)
