"""The actions CSV: one row per action (or, with history, one row per change).

Shaped and written like the answers export (`bot.core.export`), with its cell writer: UTF-8
with a byte-order mark, CRLF line ends, RFC 4180 quoting, text cells that could run as a
formula prefixed with an apostrophe, times as `YYYY-MM-DDTHH:MM:SSZ` in UTC, dates as
`YYYY-MM-DD`, evidence links joined by one space. Who may export what is `plan_export`'s rule,
unchanged: owners their services, admins any or all.

Names are looked up after the read transaction has closed, so no Slack call happens while
it is open; actions are few enough per workspace to hold in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from bot.core.export import BOM, CHUNK_LINES, LINE_END, LINK_SEPARATOR, AnswererNames, text_cell
from storage.action_queries import events_of, export_views
from storage.models import ActionChange, ActionEvent
from storage.values import ActionView

ACTIONS_WORD = "actions"
COLUMNS: tuple[str, ...] = (
    "service",
    "service_id",
    "team_id",
    "point_number",
    "point_title",
    "action_id",
    "action",
    "owner_id",
    "owner_name",
    "created_by_id",
    "created_at",
    "due_on",
    "status",
    "closed_at",
    "closed_by_id",
    "note",
    "evidence_links",
    "arose_in_assessment_id",
)
# The history variant: the same columns as each change left them, then the change itself.
HISTORY_COLUMNS: tuple[str, ...] = (*COLUMNS, "change", "changed_by_id", "changed_at", "reason")
_CLOSING = {ActionChange.DONE.value, ActionChange.DROPPED.value}


def utc_text(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _links(links: Sequence[str]) -> str:
    return text_cell(LINK_SEPARATOR.join(links)) if links else ""


def _cells(
    view: ActionView,
    names: AnswererNames,
    *,
    due_on: date,
    status: str,
    closed_at: datetime | None,
    closed_by: str | None,
    note: str,
    links: Sequence[str],
) -> list[str]:
    action, service = view.action, view.service
    return [
        text_cell(service.name),
        str(service.id),
        text_cell(service.team_id),
        str(action.point_number),
        text_cell(view.point_title),
        str(action.id),
        text_cell(action.text),
        text_cell(action.owner_id),
        text_cell(names.name(action.owner_id)),
        text_cell(action.created_by),
        utc_text(action.created_at),
        due_on.isoformat(),
        status,
        utc_text(closed_at),
        text_cell(closed_by or ""),
        text_cell(note),
        _links(links),
        str(action.assessment_id),
    ]


def action_lines(views: Sequence[ActionView], names: AnswererNames) -> Iterator[str]:
    for view in views:
        action = view.action
        cells = _cells(
            view,
            names,
            due_on=action.due_on,
            status=action.status,
            closed_at=action.closed_at,
            closed_by=action.closed_by,
            note=action.note,
            links=action.evidence_links,
        )
        yield ",".join(cells) + LINE_END


def history_lines(
    views: Sequence[ActionView], history: dict[int, list[ActionEvent]], names: AnswererNames
) -> Iterator[str]:
    for view in views:
        for event in history.get(view.action.id, []):
            closing = event.change in _CLOSING
            cells = _cells(
                view,
                names,
                due_on=event.due_on,
                status=event.status,
                closed_at=event.changed_at if closing else None,
                closed_by=event.changed_by if closing else None,
                note=event.reason if closing else "",
                links=event.evidence_links,
            )
            cells += [
                event.change,
                text_cell(event.changed_by),
                utc_text(event.changed_at),
                text_cell(event.reason),
            ]
            yield ",".join(cells) + LINE_END


def export_actions_csv(
    out: IO[bytes],
    *,
    sessions: sessionmaker[Session],
    team_id: str,
    service_ids: Sequence[int],
    history: bool,
    names: AnswererNames,
) -> int:
    """Write the actions (or their history) of these services to `out`; the number of rows."""
    with sessions.begin() as session:
        views = export_views(session=session, team_id=team_id, service_ids=service_ids)
        changes = (
            events_of(session=session, action_ids=[v.action.id for v in views]) if history else {}
        )
    names.preload(sorted({view.action.owner_id for view in views}))  # Slack, after the read
    columns = HISTORY_COLUMNS if history else COLUMNS
    out.write((BOM + ",".join(columns) + LINE_END).encode("utf-8"))
    lines = history_lines(views, changes, names) if history else action_lines(views, names)
    count = 0
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK_LINES:
            out.write("".join(chunk).encode("utf-8"))
            count += len(chunk)
            chunk.clear()
    if chunk:
        out.write("".join(chunk).encode("utf-8"))
        count += len(chunk)
    return count


def export_filename(day: date) -> str:
    return f"assessbot-actions-{day:%Y%m%d}.csv"


def is_actions_export(args: Sequence[str]) -> bool:
    """`/assess export actions [service|all] [history]` asks for the actions CSV."""
    return bool(args) and args[0].casefold() == ACTIONS_WORD
