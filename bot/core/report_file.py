"""One service's report as a file: the same bytes whether Slack or the command line asks.

`/assess report`, the **Download report** buttons and `assessbot report` all come here, so the
file a person gets in their DM is the file an operator writes for the same data and clock. The
rows (and the outcome measures) are read in one short read-only transaction; names are asked
for (maybe from Slack) only after it has closed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.core.export import AnswererNames
from bot.core.report import build_reports, report_filename
from bot.core.report_follow_up import load_follow_up
from bot.core.report_html import render_report
from bot.core.report_outcomes import StandardCredit
from storage.outcome_queries import measures_of_services
from storage.report_queries import load_report_rows


def _as_is(value: str) -> str:
    return value


@dataclass(frozen=True)
class Namer:
    """How people and channels are named in reports: Slack names, or ids without Slack."""

    names: AnswererNames
    channel: Callable[[str], str] = field(default=_as_is)

    def person(self, user_id: str) -> str:
        return self.names.name(user_id)


@dataclass(frozen=True)
class ReportFile:
    service_name: str
    filename: str
    content: bytes


def build_report_file(
    *,
    sessions: sessionmaker[Session],
    team_id: str,
    service_id: int,
    organisation: str,
    namer: Namer,
    now: datetime,
    tz: ZoneInfo,
    standard_titles: dict[str, str] | None = None,
    credits: Mapping[str, StandardCredit] | None = None,
) -> ReportFile | None:
    """The report of the service's latest assessment, evidence included; None if no service."""
    with sessions.begin() as session:
        rows = load_report_rows(session=session, team_id=team_id, service_ids=[service_id])
        follow_up = load_follow_up(rows, session=session, team_id=team_id)
        measures = measures_of_services(session=session, team_id=team_id, service_ids=[service_id])
    reports = build_reports(
        rows,
        follow_up=follow_up,
        today=now.astimezone(tz).date(),
        organisation=organisation,
        with_evidence=True,
        person=namer.person,
        channel=namer.channel,
        standard_titles=standard_titles,
        credits=credits,
        measures=measures,
    )
    if not reports:
        return None
    report = reports[0]
    page = render_report(report, tz=tz, generated_at=now)
    return ReportFile(
        report.service_name,
        report_filename(report.service_name, report.service_id),
        page.encode("utf-8"),
    )
