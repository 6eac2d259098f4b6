"""`assessbot publish`: a static site of assessment results that any web server can host.

What goes out, and what stays in:
- only services marked publishable (unless `include_all`, for an internal copy), never
  archived ones; a service left out appears in no file at all, not even in the figures;
- evidence notes and links, action texts and reviewers' comments only with `with_evidence`:
  they may hold personal data (action counts, statuses and verdict words are always there);
- `index.html` (figures, heatmap, weakest points, every service), one report page per service
  under `services/`, `assessments.json` (one record per assessment of each service, valid
  against `docs/assessments.schema.json`) and `assessments.csv` (the export's own writer,
  one row per point of each latest assessment).

Reading is one short read-only transaction for the reports (thirteen statements: five for the
answers, five for actions and peer reviews, three for the outcome measures), one for the
summary's portfolio (five), one for every assessment's ratings and peer verdicts (six) and one
for the CSV, whatever the number of services. Files are written into the folder given,
replacing those of the same names; report pages left there by an earlier run that this run did
not write are deleted, so a service that stopped being publishable does not linger on the site.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.core.export import AnswererNames, write_csv
from bot.core.portfolio_html import render_portfolio
from bot.core.report import (
    UNANSWERED,
    ReportData,
    Resolve,
    build_reports,
    counts_of,
    overall_result,
    report_filename,
)
from bot.core.report_follow_up import load_follow_up, peer_entries, reviews_of_assessments
from bot.core.report_html import render_report
from bot.core.report_outcomes import StandardCredit
from bot.core.review_overview import AssessmentReview
from bot.core.summary import Summary, build_summary
from storage.export_queries import AssessmentRows, stream_export
from storage.outcome_queries import measures_of_services
from storage.report_queries import RatedAssessment, assessment_history, load_report_rows
from storage.summary_queries import load_portfolio

SCHEMA_ID = "https://assessbot.example/schemas/assessments-1.json"
SERVICES_DIR = "services"


@dataclass(frozen=True)
class Site:
    organisation: str
    team_id: str
    reports: tuple[ReportData, ...]
    summary: Summary
    hrefs: dict[int, str]  # service id -> report page, relative to the site's root
    history: dict[int, list[RatedAssessment]] = field(default_factory=dict)  # oldest first
    # assessment id -> point -> each peer reviewer's verdict words, for the open data
    verdicts: dict[int, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)


def gather_site(
    *,
    sessions: sessionmaker[Session],
    team_id: str,
    organisation: str,
    now: datetime,
    tz: ZoneInfo,
    include_all: bool = False,
    with_evidence: bool = False,
    person: Resolve | None = None,
    channel: Resolve | None = None,
    standard_titles: dict[str, str] | None = None,
    credits: Mapping[str, StandardCredit] | None = None,
) -> Site:
    """Everything the site shows, read in two short transactions (names resolved after)."""
    with sessions.begin() as session:
        rows = load_report_rows(session=session, team_id=team_id, publishable_only=not include_all)
        follow_up = load_follow_up(rows, session=session, team_id=team_id)
        measures = measures_of_services(
            session=session, team_id=team_id, service_ids=[s.id for s in rows.services]
        )
    with sessions.begin() as session:
        records = load_portfolio(session=session, team_id=team_id)
    with sessions.begin() as session:
        history = assessment_history(
            session=session, team_id=team_id, service_ids=[s.id for s in rows.services]
        )
        reviews = reviews_of_assessments(
            [rated.assessment.id for kept in history.values() for rated in kept],
            session=session,
            team_id=team_id,
        )
    chosen = {service.id for service in rows.services}
    summary = build_summary(
        [record for record in records if record.id in chosen],
        team_id=team_id,
        now=now,
        tz=tz,
        standard_labels=standard_titles,
    )
    reports = build_reports(
        rows,
        follow_up=follow_up,
        today=now.astimezone(tz).date(),
        organisation=organisation,
        with_evidence=with_evidence,
        person=person or _as_is,
        channel=channel or _as_is,
        standard_titles=standard_titles,
        credits=credits,
        measures=measures,
    )
    hrefs = {
        report.service_id: SERVICES_DIR
        + "/"
        + report_filename(report.service_name, report.service_id)
        for report in reports
    }
    verdicts = {
        rated.assessment.id: _verdict_words(reviews.get(rated.assessment.id, ()), rated)
        for kept in history.values()
        for rated in kept
    }
    return Site(organisation, team_id, tuple(reports), summary, hrefs, history, verdicts)


def _verdict_words(
    reviews: Sequence[AssessmentReview], rated: RatedAssessment
) -> dict[int, list[dict[str, Any]]]:
    """Per point, each peer reviewer's verdict in words (no names, no comments: open data)."""
    _, verdicts = peer_entries(
        reviews, numbers=[number for number, _ in rated.points], with_evidence=False
    )
    words: dict[int, list[dict[str, Any]]] = {}
    for verdict in verdicts:
        words.setdefault(verdict.point_number, []).append(
            {
                "verdict": verdict.verdict,
                "reviewer_rating": verdict.reviewer_rating,
                "challenge_status": verdict.challenge_status,
            }
        )
    return words


def report_href(report: ReportData) -> str:
    """The report page's address relative to the site's root (stable: it ends in the id)."""
    return f"{SERVICES_DIR}/{report_filename(report.service_name, report.service_id)}"


def _as_is(value: str) -> str:
    return value


def open_data(site: Site, *, generated_at: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """`assessments.json`: every assessment of every published service, newest first."""
    records = []
    for report in site.reports:
        assessments = site.history.get(report.service_id, [])
        for index in range(len(assessments) - 1, -1, -1):
            previous = assessments[index - 1] if index > 0 else None
            records.append(_record(report, assessments[index], previous, site, tz))
    return {
        "$schema": SCHEMA_ID,
        "organisation": site.organisation,
        "generated_at": _utc(generated_at),
        "assessments": records,
    }


def _record(
    report: ReportData,
    rated: RatedAssessment,
    previous: RatedAssessment | None,
    site: Site,
    tz: ZoneInfo,
) -> dict[str, Any]:
    assessment = rated.assessment
    before: dict[int, str] | None = None
    if previous is not None:
        before = {number: UNANSWERED for number, _ in previous.points} | previous.ratings
    ratings = [rated.ratings.get(number, UNANSWERED) for number, _ in rated.points]
    return {
        "assessment_id": assessment.id,
        "service": {
            "id": report.service_id,
            "name": report.service_name,
            "type": report.service_type,
        },
        "organisation": site.organisation,
        "standard": {
            "id": assessment.standard_id,
            "version": assessment.standard_version,
            "title": assessment.standard_title,
        },
        "phase": assessment.phase,
        "status": assessment.status,
        "overall": overall_result(assessment.status, counts_of(ratings)),
        "started_on": _local_date(assessment.started_at, tz),
        "completed_on": _local_date(assessment.completed_at, tz),
        "started_at": _utc(assessment.started_at),
        "completed_at": _utc(assessment.completed_at),
        "points": [
            {
                "number": number,
                "title": title,
                "rating": rating,
                "previous_rating": None if before is None else before.get(number),
                "peer_verdicts": site.verdicts.get(assessment.id, {}).get(number, []),
            }
            for (number, title), rating in zip(rated.points, ratings, strict=True)
        ],
        "previous_assessment_id": None if previous is None else previous.assessment.id,
        "report_url": site.hrefs[report.service_id],
    }


def _utc(moment: datetime | None) -> str | None:
    return (
        None
        if moment is None
        else moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def _local_date(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).date().isoformat()


def _without_evidence(assessments: Iterator[AssessmentRows]) -> Iterator[AssessmentRows]:
    for assessment, rows in assessments:
        yield AssessmentRows(
            assessment,
            [
                (a, n, title, i, r, None if i is None else "", None if i is None else "[]", by, at)
                for a, n, title, i, r, _e, _l, by, at in rows
            ],
        )


@dataclass(frozen=True)
class Published:
    files: tuple[Path, ...]
    services: int
    assessments: int


def write_site(
    site: Site,
    out: Path,
    *,
    sessions: sessionmaker[Session],
    generated_at: datetime,
    tz: ZoneInfo,
    with_evidence: bool,
    names: AnswererNames,
) -> Published:
    """Write every file of the site into `out` (created if missing)."""
    (out / SERVICES_DIR).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(relative: str, content: str) -> None:
        path = out / relative
        path.write_text(content, encoding="utf-8", newline="\n")
        written.append(path)

    put(
        "index.html",
        render_portfolio(
            site.summary,
            site.reports,
            organisation=site.organisation,
            tz=tz,
            generated_at=generated_at,
            report_hrefs=site.hrefs,
        ),
    )
    for report in site.reports:
        put(
            site.hrefs[report.service_id],
            render_report(report, tz=tz, generated_at=generated_at, index_href="../index.html"),
        )
    data = open_data(site, generated_at=generated_at, tz=tz)
    put("assessments.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    csv_path = out / "assessments.csv"
    with sessions.begin() as session, csv_path.open("wb") as handle:
        stream = stream_export(
            session=session,
            team_id=site.team_id,
            service_ids=[report.service_id for report in site.reports],
            history=False,
        )
        write_csv(stream if with_evidence else _without_evidence(stream), handle, names)
    written.append(csv_path)
    current = {path.resolve() for path in written}
    for stale in (out / SERVICES_DIR).glob("*.html"):
        if stale.resolve() not in current:
            stale.unlink()
    return Published(tuple(written), len(site.reports), len(data["assessments"]))
