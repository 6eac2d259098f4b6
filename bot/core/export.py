"""The CSV export: who may export what, and turning answer rows into a file Excel opens safely.

The file is for councils' own spreadsheets and pivot tables, so it is shaped for them:
- one row per answer, plus one `unanswered` row per point nobody answered, so a pivot table
  sees the whole standard; point titles come from the assessment's snapshot;
- fixed columns (`COLUMNS`), ratings as stable lowercase words, times as `YYYY-MM-DDTHH:MM:SSZ`
  in UTC, `is_latest` as `true`/`false`, `evidence_links` joined with a single space (URLs
  contain no spaces, so splitting on spaces gives them back);
- UTF-8 with a byte-order mark and CRLF line ends, quoted per RFC 4180 exactly as the csv
  module quotes, because that is what Excel needs to show Welsh characters and emoji and keep
  multi-line evidence in one cell;
- any text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (or the
  full-width `＝＋－＠` some spreadsheets also accept) gets a leading apostrophe, so evidence
  typed as `=HYPERLINK(...)` shows as text and never runs (OWASP's CSV injection advice). Ids,
  point numbers and times are written by us, never prefixed.

`is_latest` is true for the row that is the point's current answer within its assessment (and
for unanswered rows); without history every row is such a row, so filtering a history on
`is_latest` and the newest assessment of each service gives the latest-only export.

Everything here is pure except `export_csv`, which runs the storage stream into the writer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from bot.core.people import Directory
from bot.core.text import escape, truncate
from storage.export_queries import (
    DEFAULT_YIELD_PER,
    AssessmentHeader,
    AssessmentRows,
    ExportableService,
    answerer_ids,
    stream_export,
)
from storage.values import Rating

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
    "service_type",
)
UNANSWERED = "unanswered"
RATING_WORDS: frozenset[str] = frozenset(rating.value for rating in Rating)
FORMULA_TRIGGERS = "=+-@\t\r＝＋－＠"
BOM = "\ufeff"
LINK_SEPARATOR = " "
LINE_END = "\r\n"
CHUNK_LINES = 500
MAX_CACHED_TITLES = 10_000
HISTORY_WORD = "history"
ALL_WORD = "all"


def neutralise(text: str) -> str:
    """Make a text cell inert in a spreadsheet: a leading apostrophe stops formula evaluation."""
    if text and text[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


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

    @property
    def has_directory(self) -> bool:
        return self._directory is not None

    def preload(self, user_ids: Iterable[str]) -> None:
        """Look everyone up before the export's transaction opens (Slack can be slow)."""
        for user_id in user_ids:
            self.name(user_id)


def quote(cell: str) -> str:
    """RFC 4180 quoting, exactly as `csv.writer` (QUOTE_MINIMAL, CRLF) writes a cell.

    Written out because the csv module copies every character one by one (about 30 ns each
    here): a long piece of evidence cost more than everything else on its row. A test checks
    this against `csv.writer` on arbitrary text.
    """
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def text_cell(text: str) -> str:
    """A cell of user or Slack text: `quote(neutralise(text))`, written out for speed."""
    if text and text[0] in FORMULA_TRIGGERS:
        text = "'" + text
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def links_cell(links_json: str | None) -> str:
    """Evidence links, stored as a JSON list, as one cell of space-separated links."""
    if not links_json or links_json == "[]":
        return ""
    if "\\" in links_json:  # escapes (non-ASCII, quotes): let json decode them
        links = [str(link) for link in json.loads(links_json)]
    else:  # no escapes, so no quote inside a link: the links are between the quotes
        links = links_json.split('"')[1::2]
    return text_cell(LINK_SEPARATOR.join(links))


def header_line() -> str:
    return ",".join(COLUMNS) + LINE_END


def assessment_cells(header: AssessmentHeader) -> str:
    """The first nine cells, the same on every line of one assessment (the service type, also
    the same, is the last cell)."""
    return ",".join(
        (
            text_cell(header.service),
            str(header.service_id),
            text_cell(header.team_id),
            text_cell(header.standard_id),
            text_cell(header.standard_version),
            text_cell(header.phase),
            str(header.assessment_id),
            header.started_at,
            header.completed_at,
        )
    )


def csv_lines(assessments: Iterable[AssessmentRows], names: AnswererNames) -> Iterator[str]:
    """One CSV line per row, CRLF-terminated, in `COLUMNS` order; text cells neutralised.

    A row is its point's current answer (`is_latest`) when it is the last row of that point
    in its assessment: answers come oldest first. What repeats is formatted once: the
    assessment's cells per assessment, a title per distinct title, a person per person. This
    loop runs once per row of the largest exports, hence the unpacking and local caches.
    """
    titles: dict[str, str] = {}
    people: dict[str, str] = {}
    for assessment, rows in assessments:
        prefix = assessment_cells(assessment)
        # Appended last, after is_latest: readers that take columns by position keep working.
        end = f",{text_cell(assessment.service_type)}{LINE_END}"
        last = len(rows) - 1
        for index, (
            _,
            number,
            point_title,
            answer_id,
            rating,
            evidence,
            links_json,
            answered_by,
            answered_at,
        ) in enumerate(rows):
            title = titles.get(point_title)
            if title is None:
                if len(titles) >= MAX_CACHED_TITLES:
                    titles.clear()
                title = titles[point_title] = text_cell(point_title)
            latest = "true" if index == last or rows[index + 1][1] != number else "false"
            if answer_id is None:
                yield f"{prefix},{number},{title},{UNANSWERED},,,,,,{latest}{end}"
                continue
            if rating not in RATING_WORDS:
                raise ValueError(f"answer {answer_id} has unknown rating {rating!r}")
            answered_by = answered_by or ""
            person = people.get(answered_by)
            if person is None:
                name = names.name(answered_by) if answered_by else ""
                person = people[answered_by] = f"{text_cell(answered_by)},{text_cell(name)}"
            links = "" if links_json == "[]" else links_cell(links_json)
            yield (
                f"{prefix},{number},{title},{rating},{text_cell(evidence) if evidence else ''},"
                f"{links},{person},{answered_at or ''},{latest}{end}"
            )


def write_csv(
    assessments: Iterable[AssessmentRows],
    out: IO[bytes],
    names: AnswererNames,
    *,
    chunk_lines: int = CHUNK_LINES,
) -> int:
    """Write the BOM, the header and the rows as they arrive; return the number of rows.

    Lines are encoded and written `chunk_lines` at a time, so memory stays flat however many
    rows there are. `out` is left open.
    """
    out.write((BOM + header_line()).encode("utf-8"))
    count = 0
    chunk: list[str] = []
    for line in csv_lines(assessments, names):
        chunk.append(line)
        if len(chunk) >= chunk_lines:
            out.write("".join(chunk).encode("utf-8"))
            count += len(chunk)
            chunk.clear()
    if chunk:
        out.write("".join(chunk).encode("utf-8"))
        count += len(chunk)
    return count


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
    look_up_names_first: bool = True,
    yield_per: int = DEFAULT_YIELD_PER,
) -> int:
    """Write the export of these services to `out`; return the number of data rows.

    With `look_up_names_first` (for a directory that asks Slack), everyone the export will
    name is looked up before the streaming transaction opens, so no Slack call happens while
    it is open (on SQLite it holds the write lock). That costs a query over the answers; a
    local directory, or none, can skip it.
    """
    if look_up_names_first and names.has_directory:
        with sessions.begin() as session:
            people = answerer_ids(
                session=session, team_id=team_id, service_ids=service_ids, history=history
            )
        names.preload(people)
    with sessions.begin() as session:
        assessments = stream_export(
            session=session,
            team_id=team_id,
            service_ids=service_ids,
            history=history,
            yield_per=yield_per,
        )
        return write_csv(assessments, out, names)
