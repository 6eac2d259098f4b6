"""A seeded portfolio for the leadership summary tests: 12 services over two standards.

Each assessment's answers are written as a string, one letter per point:
M met (with evidence text), L met (links only), m met with no evidence at all, P partly met
and N not met (with evidence text), X not applicable (with a reason), ? unanswered.
`earlier` holds superseded answers (older rows for the same point), so the loader must pick
the newest row per point; `evidence_later` points first get a bare Met and then a second row
that adds evidence.

The spec is turned into ORM rows (`seed`) and, independently, into the expected pure records
(`records`), so storage can be checked against the spec and the core against hand-made values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from storage.models import Answer, Assessment, AssessmentPoint, Service, ServiceOwner
from storage.values import CurrentAnswer, LatestAssessment, ServiceRecord

NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)  # a Monday; London is on GMT
TODAY = NOW.date()
TEAM = "T1"

LETTERS = {
    "M": "met",
    "L": "met",
    "m": "met",
    "P": "partly_met",
    "N": "not_met",
    "X": "not_applicable",
}
STANDARD_TITLES = {
    "lgdss": "Local Government Digital Service Standard",
    "govuk-2019": "Service Standard",
}


def point_title(standard: str, number: int, version: str = "2") -> str:
    if standard == "lgdss" and number == 3 and version == "1":
        return "Old title for point 3"
    return f"{standard} point {number}"


@dataclass
class AssessmentSpec:
    standard: str
    status: str
    started_days_ago: int
    ratings: str
    last_answer_days_ago: int = 1
    earlier: dict[int, str] = field(default_factory=dict)
    evidence_later: tuple[int, ...] = ()
    version: str = "2"


@dataclass
class ServiceSpec:
    name: str
    phase: str
    standard: str
    due_in_days: int
    assessments: list[AssessmentSpec] = field(default_factory=list)
    archived: bool = False
    team: str = TEAM

    @property
    def next_due_on(self) -> date:
        return TODAY + timedelta(days=self.due_in_days)


L15 = "lgdss"
G14 = "govuk-2019"

PORTFOLIO: list[ServiceSpec] = [
    ServiceSpec(
        "Bins & recycling",
        "beta",
        L15,
        60,
        [AssessmentSpec(L15, "completed", 40, "MMMPMMMMNMMMMMM", 35, earlier={9: "P", 1: "N"})],
    ),
    ServiceSpec(
        "Parking permits",
        "live",
        L15,
        -10,
        [AssessmentSpec(L15, "completed", 200, "MNMPNMMMNPMXMMM", 190)],
    ),
    ServiceSpec(
        "Council tax",
        "live",
        L15,
        -45,
        [AssessmentSpec(L15, "completed", 400, "MMNMPMMMNMMMNMm", 390, version="1")],
    ),
    ServiceSpec(
        "Library <loans>",
        "alpha",
        L15,
        20,
        [AssessmentSpec(L15, "in_progress", 30, "MMNPMMM????????", 20)],
    ),
    ServiceSpec(
        "Housing repairs",
        "beta",
        L15,
        15,
        [AssessmentSpec(L15, "in_progress", 3, "MPN????????????", 1)],
    ),
    ServiceSpec(
        "School admissions",
        "live",
        G14,
        120,
        [
            AssessmentSpec(G14, "completed", 300, "NNNNNNNNNNNNNN", 290),
            AssessmentSpec(G14, "completed", 60, "MMMMMMMMPMMMMM", 55, evidence_later=(2, 3)),
        ],
    ),
    ServiceSpec(
        "Planning applications",
        "beta",
        G14,
        5,
        [
            AssessmentSpec(G14, "completed", 250, "MMMMMMMMMMMMMM", 240),
            AssessmentSpec(G14, "in_progress", 20, "??????????????"),
        ],
    ),
    ServiceSpec("Blue badge", "discovery", G14, 10),
    ServiceSpec("Pest control", "live", L15, -5),
    ServiceSpec(
        "Register a birth",
        "live",
        G14,
        0,
        [AssessmentSpec(G14, "completed", 100, "MmLMPNMmMMXMNM", 90, earlier={2: "N"})],
    ),
    ServiceSpec(
        "Garden waste",
        "beta",
        G14,
        90,
        [AssessmentSpec(G14, "completed", 80, "MMMMMMMMMMMMMm", 75)],
    ),
    ServiceSpec(
        "Street lighting",
        "alpha",
        G14,
        -30,
        [AssessmentSpec(G14, "completed", 500, "XXMPNXXMNNXMPX", 480)],
    ),
    # Not counted: archived, or another workspace.
    ServiceSpec(
        "Old portal",
        "live",
        L15,
        -100,
        [AssessmentSpec(L15, "completed", 600, "NNNNNNNNNNNNNNN", 590)],
        archived=True,
    ),
    ServiceSpec(
        "Elsewhere",
        "live",
        L15,
        -100,
        [AssessmentSpec(L15, "completed", 600, "NNNNNNNNNNNNNNN", 590)],
        team="T2",
    ),
]


def counted(specs: list[ServiceSpec], team: str = TEAM) -> list[ServiceSpec]:
    return [spec for spec in specs if spec.team == team and not spec.archived]


def _answer_time(spec: AssessmentSpec) -> datetime:
    return NOW - timedelta(days=spec.last_answer_days_ago)


def records(specs: list[ServiceSpec], team: str = TEAM) -> list[ServiceRecord]:
    """The records the loader should produce, straight from the spec (ids by insert order)."""
    result: list[ServiceRecord] = []
    assessment_id = 0
    for service_id, spec in enumerate(specs, start=1):
        latest: LatestAssessment | None = None
        for item in spec.assessments:
            assessment_id += 1
            answers = {
                number: CurrentAnswer(LETTERS[letter], letter != "m")
                for number, letter in enumerate(item.ratings, start=1)
                if letter != "?"
            }
            answered = bool(answers) or bool(item.earlier)
            latest = LatestAssessment(
                id=assessment_id,
                standard_id=item.standard,
                standard_title=STANDARD_TITLES[item.standard],
                status=item.status,
                started_at=NOW - timedelta(days=item.started_days_ago),
                last_answered_at=_answer_time(item) if answered else None,
                points=tuple(
                    (number, point_title(item.standard, number, item.version))
                    for number in range(1, len(item.ratings) + 1)
                ),
                answers=answers,
            )
        if spec.team == team and not spec.archived:
            result.append(
                ServiceRecord(
                    id=service_id,
                    name=spec.name,
                    phase=spec.phase,
                    standard_id=spec.standard,
                    next_due_on=spec.next_due_on,
                    latest=latest,
                )
            )
    return result


def seed(session: Session, specs: list[ServiceSpec]) -> None:
    """Write the spec as rows, in order, with the append-only answer history it describes."""
    for spec in specs:
        created = NOW - timedelta(days=700)
        service = Service(
            team_id=spec.team,
            name=spec.name,
            name_key=spec.name.casefold(),
            description="",
            standard_id=spec.standard,
            phase=spec.phase,
            team_channel_id="C_TEAM",
            interval_months=6,
            last_assessed_on=None,
            next_due_on=spec.next_due_on,
            due_reason="interval",
            created_by="U1",
            created_at=created,
            updated_at=created,
            archived_at=NOW - timedelta(days=1) if spec.archived else None,
            owners=[ServiceOwner(user_id="U_OWNER")],
        )
        session.add(service)
        session.flush()
        for item in spec.assessments:
            add_assessment(session, service, item)


def add_assessment(session: Session, service: Service, item: AssessmentSpec) -> Assessment:
    started = NOW - timedelta(days=item.started_days_ago)
    assessment = Assessment(
        team_id=service.team_id,
        service_id=service.id,
        standard_id=item.standard,
        standard_version=item.version,
        standard_title=STANDARD_TITLES[item.standard],
        phase=service.phase,
        status=item.status,
        started_by="U_OWNER",
        started_at=started,
        completed_at=_answer_time(item) if item.status == "completed" else None,
        channel_id="C_TEAM",
        thread_ts=None,
        point_count=len(item.ratings),
        points=[
            AssessmentPoint(number=number, title=point_title(item.standard, number, item.version))
            for number in range(1, len(item.ratings) + 1)
        ],
    )
    session.add(assessment)
    session.flush()
    early = started + timedelta(hours=1)
    for number, letter in sorted(item.earlier.items()):
        session.add(answer(assessment, number, letter, early))
    for number in item.evidence_later:
        session.add(answer(assessment, number, "m", early))
    session.flush()
    for number, letter in enumerate(item.ratings, start=1):
        if letter != "?":
            session.add(answer(assessment, number, letter, _answer_time(item)))
    session.flush()
    return assessment


def answer(assessment: Assessment, number: int, letter: str, at: datetime) -> Answer:
    evidence = "Our evidence" if letter in "MPN" else ""
    if letter == "X":
        evidence = "Not relevant to this service"
    return Answer(
        team_id=assessment.team_id,
        assessment_id=assessment.id,
        point_number=number,
        rating=LETTERS[letter],
        evidence=evidence,
        evidence_links=["https://example.org/evidence"] if letter == "L" else [],
        answered_by="U_OWNER",
        answered_at=at,
    )
