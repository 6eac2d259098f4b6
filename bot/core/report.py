"""An assessment report as data: what a reader outside Slack needs to know about one service.

The report is assembled here from storage rows into frozen values, and rendered elsewhere
(`bot.core.report_html`), so the same data makes the DM'd file, the CLI's file, the published
pages and the open data, and every one of them says the same thing.

Improvement actions and peer reviews come from `bot.core.report_follow_up`, the outcome
readings from `bot.core.report_outcomes` (both loaded beside the rows, in the same
transaction); `service_type`, `outcomes` and the standard's `credit` (#18) are filled by
`_with_outcomes`. The renderer shows a section only when it has entries.

People and channels are shown by name when a resolver is given (Slack, or a Slack token on the
command line) and by their Slack id otherwise, so a leaver's answers still show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.core.report_follow_up import (
    ActionEntry,
    FollowUp,
    PeerReview,
    PeerVerdict,
    action_entries,
    peer_entries,
)
from bot.core.report_outcomes import (
    OutcomeReading as OutcomeReading,  # re-exported: the report's outcome rows
)
from bot.core.report_outcomes import (
    StandardCredit,
    credit_for,
    outcome_readings,
)
from storage.report_queries import AnswerRow, AssessmentRow, ReportRows, ServiceRow
from storage.values import MeasureView, Rating

UNANSWERED = "unanswered"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
NOT_ASSESSED = "not_assessed"

Resolve = Callable[[str], str]


def _as_is(value: str) -> str:
    return value


@dataclass(frozen=True)
class AnswerEntry:
    """One answer given to a point."""

    rating: str
    evidence: str  # "" when there is none, or when evidence is left out (publishing)
    links: tuple[str, ...]
    answered_by: str  # a display name (or the Slack id when no name is known)
    answered_at: datetime


@dataclass(frozen=True)
class PointReport:
    number: int
    title: str  # as the point read when it was answered (the assessment's snapshot)
    current: AnswerEntry | None  # None: nobody answered it
    earlier: tuple[AnswerEntry, ...]  # superseded answers, oldest first
    previous_rating: str | None  # the previous assessment's rating; None when it had no such

    @property
    def rating(self) -> str:
        return UNANSWERED if self.current is None else self.current.rating


@dataclass(frozen=True)
class RatingCounts:
    """How many points have each rating (`bot.core.flow.Tally` is the live assessment's)."""

    met: int = 0
    partly_met: int = 0
    not_met: int = 0
    not_applicable: int = 0
    unanswered: int = 0

    @property
    def total(self) -> int:
        return self.met + self.partly_met + self.not_met + self.not_applicable + self.unanswered

    @property
    def answered(self) -> int:
        return self.total - self.unanswered


@dataclass(frozen=True)
class ReportData:
    organisation: str
    service_id: int
    service_name: str
    description: str
    phase: str
    team_channel: str
    owners: tuple[str, ...]
    next_due_on: date
    standard_id: str
    standard_title: str
    standard_version: str  # "" when never assessed: the version comes from an assessment
    status: str  # in_progress | completed | not_assessed
    assessment_id: int | None
    started_at: datetime | None
    completed_at: datetime | None
    previous_assessment_id: int | None
    previous_completed_at: datetime | None
    points: tuple[PointReport, ...]
    with_evidence: bool
    service_type: str | None = None  # transactional | relational (#13)
    actions: tuple[ActionEntry, ...] = ()  # by point; see `report_follow_up.action_entries`
    reviews: tuple[PeerReview, ...] = ()  # one per reviewer of the latest assessment
    verdicts: tuple[PeerVerdict, ...] = ()  # by point, then reviewer
    outcomes: tuple[OutcomeReading, ...] = ()  # each live measure, latest reading vs target
    credit: StandardCredit | None = None  # the standard's attribution and licence (#18)

    @property
    def tally(self) -> RatingCounts:
        return counts_of(point.rating for point in self.points)

    @property
    def overall(self) -> str:
        """The overall result as a rating word (or in_progress / not_assessed).

        Not met if any point is not met; met when every applicable point is met; partly met
        otherwise. An assessment still in progress has no overall result yet.
        """
        return overall_result(self.status, self.tally)


def overall_result(status: str, counts: RatingCounts) -> str:
    """Not met if any point is not met; met when every applicable point is met; partly met
    otherwise (an unanswered point counts against); the status until completed."""
    if status != COMPLETED:
        return status
    if counts.not_met:
        return Rating.NOT_MET.value
    if counts.partly_met or counts.unanswered:
        return Rating.PARTLY_MET.value
    return Rating.MET.value


def counts_of(ratings: Iterable[str]) -> RatingCounts:
    counts = Counter(ratings)
    return RatingCounts(
        met=counts[Rating.MET],
        partly_met=counts[Rating.PARTLY_MET],
        not_met=counts[Rating.NOT_MET],
        not_applicable=counts[Rating.NOT_APPLICABLE],
        unanswered=counts[UNANSWERED],
    )


def report_filename(service_name: str, service_id: int) -> str:
    """A file name safe on every system: the name's letters and digits, and the stable id."""
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in service_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:50] or "service"
    return f"{slug}-{service_id}.html"


def build_reports(
    rows: ReportRows,
    *,
    follow_up: FollowUp,
    today: date,
    organisation: str,
    with_evidence: bool = True,
    person: Resolve = _as_is,
    channel: Resolve = _as_is,
    standard_titles: dict[str, str] | None = None,
    credits: Mapping[str, StandardCredit] | None = None,
    measures: Mapping[int, Sequence[MeasureView]] | None = None,
) -> list[ReportData]:
    """One report per service in `rows`, in the rows' (name) order; `measures` (by service
    id, `storage.outcome_queries.measures_of_services`) and `credits` fill the outcomes."""
    titles = standard_titles or {}
    reports = []
    for service in rows.services:
        report = _report(service, rows, organisation, with_evidence, person, channel, titles)
        report = _with_follow_up(report, follow_up, rows, today, person)
        reports.append(
            _with_outcomes(report, service, (measures or {}).get(service.id, ()), credits)
        )
    return reports


def _with_outcomes(
    report: ReportData,
    service: ServiceRow,
    measures: Sequence[MeasureView],
    credits: Mapping[str, StandardCredit] | None,
) -> ReportData:
    """The service type, outcome readings and standard's credit (#13, #18) added to a report."""
    met = [point.number for point in report.points if point.rating == Rating.MET]
    return replace(
        report,
        service_type=service.service_type,
        outcomes=outcome_readings(
            measures,
            standard_id=report.standard_id,
            met_points=met,
            with_evidence=report.with_evidence,
        ),
        credit=credit_for(credits, report.standard_id),
    )


def _with_follow_up(
    report: ReportData, follow_up: FollowUp, rows: ReportRows, today: date, person: Resolve
) -> ReportData:
    """The report with its actions and peer reviews (none before a first assessment)."""
    if report.assessment_id is None:
        return report
    assessment_ids = [row.id for row in rows.assessments.get(report.service_id, ())]
    actions = action_entries(
        follow_up.actions.get(report.service_id, ()),
        assessment_ids=assessment_ids,
        today=today,
        with_evidence=report.with_evidence,
        person=person,
    )
    reviews, verdicts = peer_entries(
        follow_up.reviews.get(report.assessment_id, ()),
        numbers=[point.number for point in report.points],
        with_evidence=report.with_evidence,
    )
    return replace(report, actions=actions, reviews=reviews, verdicts=verdicts)


def _report(
    service: ServiceRow,
    rows: ReportRows,
    organisation: str,
    with_evidence: bool,
    person: Resolve,
    channel: Resolve,
    titles: dict[str, str],
) -> ReportData:
    assessments = rows.assessments.get(service.id, ())
    latest = assessments[0] if assessments else None
    previous = assessments[1] if len(assessments) > 1 else None
    points: tuple[PointReport, ...] = ()
    if latest is not None:
        before: dict[int, str] | None = None
        if previous is not None:
            before = {number: UNANSWERED for number, _ in rows.points.get(previous.id, ())}
            before.update(_latest_ratings(rows.answers.get(previous.id, ())))
        points = _points(latest, rows, before, with_evidence, person)
    return ReportData(
        organisation=organisation,
        service_id=service.id,
        service_name=service.name,
        description=service.description,
        phase=service.phase,
        team_channel=channel(service.team_channel_id),
        owners=tuple(person(owner) for owner in rows.owners.get(service.id, ())),
        next_due_on=service.next_due_on,
        standard_id=latest.standard_id if latest else service.standard_id,
        standard_title=(latest.standard_title if latest else titles.get(service.standard_id, ""))
        or service.standard_id,
        standard_version=latest.standard_version if latest else "",
        status=latest.status if latest else NOT_ASSESSED,
        assessment_id=latest.id if latest else None,
        started_at=latest.started_at if latest else None,
        completed_at=latest.completed_at if latest else None,
        previous_assessment_id=previous.id if previous else None,
        previous_completed_at=previous.completed_at if previous else None,
        points=points,
        with_evidence=with_evidence,
    )


def _latest_ratings(answers: tuple[AnswerRow, ...]) -> dict[int, str]:
    ratings: dict[int, str] = {}
    for answer in answers:  # oldest first: the last one per point wins
        ratings[answer.point_number] = answer.rating
    return ratings


def _points(
    latest: AssessmentRow,
    rows: ReportRows,
    before: dict[int, str] | None,
    with_evidence: bool,
    person: Resolve,
) -> tuple[PointReport, ...]:
    snapshot = rows.points.get(latest.id) or tuple(
        (number, f"Point {number}") for number in range(1, latest.point_count + 1)
    )
    given: dict[int, list[AnswerEntry]] = {}
    for answer in rows.answers.get(latest.id, ()):
        given.setdefault(answer.point_number, []).append(
            AnswerEntry(
                rating=answer.rating,
                evidence=answer.evidence.strip() if with_evidence else "",
                links=tuple(link for link in answer.links if is_web_link(link))
                if with_evidence
                else (),
                answered_by=person(answer.answered_by),
                answered_at=answer.answered_at,
            )
        )
    result = []
    for number, title in snapshot:
        entries = given.get(number, [])
        result.append(
            PointReport(
                number=number,
                title=title,
                current=entries[-1] if entries else None,
                earlier=tuple(entries[:-1]),
                previous_rating=None if before is None else before.get(number),
            )
        )
    return tuple(result)


def is_web_link(link: str) -> bool:
    """Only http(s) links are shown as links: `javascript:` and friends never become one."""
    lowered = link.strip().lower()
    return lowered.startswith(("https://", "http://")) and len(lowered) > len("https://")
