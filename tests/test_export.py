"""The CSV export: rows from the database, safe for spreadsheets, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from bot.cli_export import add_export_parser
from bot.core.export import (
    BOM,
    COLUMNS,
    FORMULA_TRIGGERS,
    AnswererNames,
    ExportArgs,
    ExportPlan,
    Refusal,
    describe,
    export_filename,
    links_cell,
    neutralise,
    parse_export_args,
    plan_export,
    quote,
    text_cell,
    write_csv,
)
from bot.core.people import Person, StaticDirectory
from storage.db import make_engine
from storage.export_queries import (
    AssessmentRows,
    ExportableService,
    answerer_ids,
    exportable_services,
    header_query,
    row_query,
    stream_export,
    workspace_ids,
)
from storage.models import Answer, Assessment, AssessmentPoint, Service, ServiceOwner

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WELSH = "Gwasanaeth ŵyr ŷd — “quotes”, commas,\nnew lines 🎉"


# --- seeding ---------------------------------------------------------------------------------


def add_service(
    session: Session,
    name: str,
    *,
    team_id: str = "T1",
    owners: tuple[str, ...] = ("UOWNER",),
    archived: bool = False,
) -> Service:
    service = Service(
        team_id=team_id,
        name=name,
        name_key=name.casefold(),
        description="",
        standard_id="lgdss",
        phase="beta",
        team_channel_id="CTEAM",
        interval_months=6,
        next_due_on=T0.date(),
        due_reason="never_assessed",
        created_by=owners[0] if owners else "UADMIN",
        created_at=T0,
        updated_at=T0,
        archived_at=T0 if archived else None,
        archived_by="UADMIN" if archived else None,
        owners=[ServiceOwner(user_id=owner) for owner in owners],
    )
    session.add(service)
    session.flush()
    return service


def add_assessment(
    session: Session,
    service: Service,
    titles: list[str],
    *,
    started_at: datetime = T0,
    completed_at: datetime | None = None,
    version: str = "2024.1",
    phase: str = "beta",
) -> Assessment:
    assessment = Assessment(
        team_id=service.team_id,
        service_id=service.id,
        standard_id="lgdss",
        standard_version=version,
        standard_title="Local Government Digital Service Standard",
        phase=phase,
        status="completed" if completed_at else "in_progress",
        started_by="UOWNER",
        started_at=started_at,
        completed_at=completed_at,
        channel_id="CTEAM",
        point_count=len(titles),
        points=[
            AssessmentPoint(number=number, title=title)
            for number, title in enumerate(titles, start=1)
        ],
    )
    session.add(assessment)
    session.flush()
    return assessment


def add_answer(
    session: Session,
    assessment: Assessment,
    point: int,
    rating: str,
    *,
    evidence: str = "",
    links: list[str] | None = None,
    by: str = "UOWNER",
    at: datetime = T0,
    team_id: str | None = None,
) -> Answer:
    answer = Answer(
        team_id=team_id or assessment.team_id,
        assessment_id=assessment.id,
        point_number=point,
        rating=rating,
        evidence=evidence,
        evidence_links=links or [],
        answered_by=by,
        answered_at=at,
    )
    session.add(answer)
    session.flush()
    return answer


# --- helpers ---------------------------------------------------------------------------------


@dataclass
class CountingDirectory:
    people: dict[str, Person] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def lookup(self, user_id: str) -> Person | None:
        self.calls.append(user_id)
        return self.people.get(user_id)


def export_bytes(
    sessions: sessionmaker[Session],
    *,
    team_id: str = "T1",
    service_ids: list[int] | None = None,
    history: bool = False,
    directory: CountingDirectory | None = None,
    yield_per: int = 3,
) -> bytes:
    out = io.BytesIO()
    if service_ids is None:
        with sessions.begin() as session:
            service_ids = [s.id for s in exportable_services(session=session, team_id=team_id)]
    with sessions.begin() as session:
        records = stream_export(
            session=session,
            team_id=team_id,
            service_ids=service_ids,
            history=history,
            yield_per=yield_per,
        )
        write_csv(records, out, AnswererNames(directory or CountingDirectory()))
    return out.getvalue()


def line_ends_outside_quotes(data: bytes) -> list[bytes]:
    """The record terminators: line ends that are not inside a quoted field."""
    ends, quoted, i = [], False, 0
    while i < len(data):
        if data[i : i + 1] == b'"':
            quoted = not quoted
        elif not quoted and data[i : i + 1] in (b"\r", b"\n"):
            end = data[i : i + 2] if data[i : i + 2] == b"\r\n" else data[i : i + 1]
            ends.append(end)
            i += len(end)
            continue
        i += 1
    return ends


def parse(data: bytes) -> list[dict[str, str]]:
    text = io.StringIO(data.decode("utf-8-sig"), newline="")
    reader = csv.DictReader(text)
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


@dataclass
class Seeded:
    bins: Service
    parking: Service
    old: Assessment
    new: Assessment
    answers: dict[str, Answer]


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> Seeded:
    """Bins: an old completed assessment and a newer one in progress, with changed answers."""
    with sessions.begin() as session:
        bins = add_service(session, "Bins", owners=("UOWNER", "UCO"))
        parking = add_service(session, "Parking", owners=("UOTHER",), archived=True)
        parking.service_type = "relational"
        add_service(session, "Never assessed", owners=("UOWNER",))
        old = add_assessment(
            session,
            bins,
            ["Old one", "Old two"],
            started_at=T0 - timedelta(days=200),
            completed_at=T0 - timedelta(days=190),
            version="2023.1",
            phase="alpha",
        )
        new = add_assessment(
            session, bins, ["Understand users", "Solve a whole problem", "Joined up"]
        )
        answers = {
            "old1": add_answer(session, old, 1, "not_met", at=T0 - timedelta(days=199)),
            "old2": add_answer(session, old, 2, "met", at=T0 - timedelta(days=198)),
            "p1a": add_answer(session, new, 1, "not_met", evidence="first go", by="UCO"),
            "p2": add_answer(
                session, new, 2, "partly_met", evidence="draft", at=T0 + timedelta(hours=1)
            ),
            "p1b": add_answer(
                session,
                new,
                1,
                "met",
                evidence="research report",
                links=["https://example.org/a", "https://example.org/b"],
                at=T0 + timedelta(hours=2),
            ),
            # Changing evidence appends a row copying the rating.
            "p2b": add_answer(
                session, new, 2, "partly_met", evidence="final", at=T0 + timedelta(hours=3)
            ),
        }
        parking_assessment = add_assessment(session, parking, ["Only point"])
        answers["parking"] = add_answer(
            session, parking_assessment, 1, "not_applicable", evidence="no users", by="UOTHER"
        )
    return Seeded(bins, parking, old, new, answers)


# --- latest and history ----------------------------------------------------------------------


def test_latest_export_has_each_point_of_the_latest_assessment_once(
    sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    directory = CountingDirectory({"UOWNER": Person("UOWNER", "Olwen Owner")})
    rows = parse(export_bytes(sessions, directory=directory))
    assert [(r["service"], r["point_number"], r["rating"]) for r in rows] == [
        ("Bins", "1", "met"),
        ("Bins", "2", "partly_met"),
        ("Bins", "3", "unanswered"),
        ("Parking", "1", "not_applicable"),
    ]
    first, second, third, parking = rows
    assert first == {
        "service": "Bins",
        "service_id": str(seeded.bins.id),
        "team_id": "T1",
        "standard": "lgdss",
        "standard_version": "2024.1",
        "phase": "beta",
        "assessment_id": str(seeded.new.id),
        "assessment_started_at": "2026-03-02T09:00:00Z",
        "assessment_completed_at": "",
        "point_number": "1",
        "point_title": "Understand users",
        "rating": "met",
        "evidence": "research report",
        "evidence_links": "https://example.org/a https://example.org/b",
        "answered_by_id": "UOWNER",
        "answered_by_name": "Olwen Owner",
        "answered_at": "2026-03-02T11:00:00Z",
        "is_latest": "true",
        "service_type": "transactional",
    }
    # The latest row carries both the current rating and the current evidence.
    assert (second["rating"], second["evidence"]) == ("partly_met", "final")
    assert second["answered_at"] == "2026-03-02T12:00:00Z"
    for column in ("evidence", "evidence_links", "answered_by_id", "answered_by_name"):
        assert third[column] == ""
    assert third["answered_at"] == "" and third["point_title"] == "Joined up"
    assert parking["answered_by_name"] == "UOTHER"  # not in the directory: falls back to the id
    assert (parking["service_type"], third["service_type"]) == ("relational", "transactional")
    assert all(r["is_latest"] == "true" for r in rows)


def test_history_export_has_every_answer_and_marks_the_current_one(
    sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    rows = parse(export_bytes(sessions, history=True, yield_per=1))
    bins = [r for r in rows if r["service"] == "Bins"]
    assert [
        (r["assessment_id"], r["point_number"], r["rating"], r["evidence"], r["is_latest"])
        for r in bins
    ] == [
        (str(seeded.old.id), "1", "not_met", "", "true"),
        (str(seeded.old.id), "2", "met", "", "true"),
        (str(seeded.new.id), "1", "not_met", "first go", "false"),
        (str(seeded.new.id), "1", "met", "research report", "true"),
        (str(seeded.new.id), "2", "partly_met", "draft", "false"),
        (str(seeded.new.id), "2", "partly_met", "final", "true"),
        (str(seeded.new.id), "3", "unanswered", "", "true"),
    ]
    old_rows = [r for r in bins if r["assessment_id"] == str(seeded.old.id)]
    assert {r["standard_version"] for r in old_rows} == {"2023.1"}
    assert {r["phase"] for r in old_rows} == {"alpha"}
    assert {r["assessment_completed_at"] for r in old_rows} == {"2025-08-24T09:00:00Z"}
    assert [r["point_title"] for r in old_rows] == ["Old one", "Old two"]


def test_latest_export_equals_the_latest_assessment_of_the_history(
    sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    latest = parse(export_bytes(sessions))
    history = parse(export_bytes(sessions, history=True))
    newest: dict[str, int] = {}
    for row in history:
        newest[row["service"]] = max(newest.get(row["service"], 0), int(row["assessment_id"]))
    current = [
        row
        for row in history
        if row["is_latest"] == "true" and int(row["assessment_id"]) == newest[row["service"]]
    ]
    assert current == latest


def test_point_titles_come_from_the_assessment_snapshot(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service = add_service(session, "Bins")
        add_assessment(session, service, ["Title as it read in 2019", "Second"])
    rows = parse(export_bytes(sessions))
    assert [r["point_title"] for r in rows] == ["Title as it read in 2019", "Second"]
    assert [r["rating"] for r in rows] == ["unanswered", "unanswered"]


def test_never_assessed_services_have_no_rows_and_archived_ones_export(
    sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    rows = parse(export_bytes(sessions))
    services = {r["service"] for r in rows}
    assert "Never assessed" not in services
    assert "Parking" in services  # archived


def test_nothing_of_another_workspace_appears(
    sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    with sessions.begin() as session:
        theirs = add_service(session, "Bins", team_id="T2", owners=("UOWNER",))
        their_assessment = add_assessment(session, theirs, ["Their point"])
        add_answer(session, their_assessment, 1, "met", evidence="secret")
        # A corrupt answer claiming another workspace, attached to our assessment.
        add_answer(session, seeded.new, 3, "met", evidence="leak", team_id="T2")
        theirs_id = theirs.id
    # Asking for their service while scoped to T1 gives nothing.
    assert parse(export_bytes(sessions, service_ids=[theirs_id], history=True)) == []
    rows = parse(export_bytes(sessions, history=True))
    assert {r["team_id"] for r in rows} == {"T1"}
    assert all(r["evidence"] not in {"secret", "leak"} for r in rows)
    assert "Their point" not in {r["point_title"] for r in rows}
    with sessions.begin() as session:
        assert [s.name for s in exportable_services(session=session, team_id="T2")] == ["Bins"]
        assert workspace_ids(session=session) == ["T1", "T2"]
    their_rows = parse(export_bytes(sessions, team_id="T2"))
    assert [(r["team_id"], r["evidence"]) for r in their_rows] == [("T2", "secret")]


def test_assessments_without_points_are_skipped(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        empty_first = add_service(session, "A first")
        add_assessment(session, empty_first, [])
        service = add_service(session, "Bins")
        add_assessment(session, service, [], completed_at=T0)
        real = add_assessment(session, service, ["One"])
        add_assessment(session, add_service(session, "Cats"), ["Cat point"])
        add_answer(session, real, 1, "met")
    history = parse(export_bytes(sessions, history=True))
    assert [(r["service"], r["assessment_id"]) for r in history] == [
        ("Bins", str(real.id)),
        ("Cats", str(real.id + 1)),
    ]


def test_no_services_means_a_header_only_file(sessions: sessionmaker[Session]) -> None:
    data = export_bytes(sessions, service_ids=[])
    assert data == (BOM + ",".join(COLUMNS) + "\r\n").encode("utf-8")


# --- spreadsheet safety ----------------------------------------------------------------------


def test_file_is_utf8_with_bom_crlf_and_round_trips_awkward_text(
    sessions: sessionmaker[Session],
) -> None:
    evidence = 'He said "yes", then ",", then\r\na new line\nand ŵ ŷ Ŵ Ŷ 🏴󠁧󠁢󠁷󠁬󠁳󠁿 👩🏽‍💻'
    with sessions.begin() as session:
        service = add_service(session, "Gofal, “cymdeithasol” ŵŷ 🎉")
        assessment = add_assessment(session, service, [WELSH])
        add_answer(session, assessment, 1, "met", evidence=evidence, by="UW")
    directory = CountingDirectory({"UW": Person("UW", 'Siân "Ŵyn", ap Rhys')})
    data = export_bytes(sessions, directory=directory)
    assert data.startswith(b"\xef\xbb\xbf")
    assert line_ends_outside_quotes(data) == [b"\r\n", b"\r\n"]
    header_line = data.split(b"\r\n", 1)[0]
    assert header_line == b"\xef\xbb\xbf" + ",".join(COLUMNS).encode()
    (row,) = parse(data)
    assert row["service"] == "Gofal, “cymdeithasol” ŵŷ 🎉"
    assert row["evidence"] == evidence
    assert row["point_title"] == WELSH
    assert row["answered_by_name"] == 'Siân "Ŵyn", ap Rhys'


@pytest.mark.parametrize("trigger", list(FORMULA_TRIGGERS))
def test_every_formula_trigger_is_neutralised(trigger: str) -> None:
    assert neutralise(trigger + "cmd|' /C calc'!A0") == "'" + trigger + "cmd|' /C calc'!A0"


@pytest.mark.parametrize("text", ["", "plain", "1+1", " =not first", "'already", "https://x"])
def test_harmless_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_formula_injection_is_neutralised_in_every_text_cell_only(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        service = add_service(session, '=HYPERLINK("http://evil","x")', owners=("@owner",))
        assessment = add_assessment(session, service, ["+SUM(A1)", "-2"], version="-1")
        add_answer(
            session,
            assessment,
            1,
            "met",
            evidence="=1+2",
            links=["@evil", "https://ok"],
            by="-U1",
        )
        add_answer(session, assessment, 2, "not_met", evidence="\tcmd", by="U2")
        add_answer(session, assessment, 2, "not_met", evidence="\rcmd", by="U2")
    directory = CountingDirectory({"U2": Person("U2", "=evil name")})
    rows = parse(export_bytes(sessions, directory=directory, history=True))
    first, second, third = rows
    assert first["service"] == '\'=HYPERLINK("http://evil","x")'
    assert first["standard_version"] == "'-1"
    assert first["point_title"] == "'+SUM(A1)"
    assert first["evidence"] == "'=1+2"
    assert first["evidence_links"] == "'@evil https://ok"
    assert first["answered_by_id"] == "'-U1"
    assert first["answered_by_name"] == "'-U1"
    assert second["point_title"] == "'-2"
    assert second["evidence"] == "'\tcmd"
    assert second["answered_by_name"] == "'=evil name"
    assert third["evidence"] == "'\rcmd"
    for row in rows:
        for column in ("service_id", "assessment_id", "point_number"):
            assert row[column].isdigit()
        for column in ("assessment_started_at", "answered_at"):
            assert row[column][:1].isdigit()


@given(st.lists(st.text(), min_size=2, max_size=6))
def test_quoting_matches_the_csv_module(cells: list[str]) -> None:
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\r\n").writerow(cells)
    assert ",".join(quote(cell) for cell in cells) + "\r\n" == expected.getvalue()


@given(st.lists(st.text(), max_size=4))
def test_links_are_joined_with_single_spaces_whatever_they_hold(links: list[str]) -> None:
    for stored in (json.dumps(links), json.dumps(links, ensure_ascii=False, separators=(",", ":"))):
        assert links_cell(stored) == text_cell(" ".join(links))


def test_links_cell_examples() -> None:
    assert links_cell(None) == links_cell("") == links_cell("[]") == ""
    assert links_cell('["https://a.example/x?q=1,2", "https://b.example"]') == (
        '"https://a.example/x?q=1,2 https://b.example"'
    )
    assert links_cell(json.dumps(['https://ŵ.example/"quoted"'])) == (
        '"https://ŵ.example/""quoted"""'
    )
    assert links_cell('["=cmd", "https://ok"]') == "'=cmd https://ok"


def test_stored_times_export_in_utc(sessions: sessionmaker[Session]) -> None:
    bst = timezone(timedelta(hours=1))
    with sessions.begin() as session:
        service = add_service(session, "Bins")
        assessment = add_assessment(
            session,
            service,
            ["One"],
            started_at=datetime(2026, 7, 1, 0, 30, 59, 999_999, tzinfo=bst),
            completed_at=datetime(2026, 7, 2, 0, 30, tzinfo=bst),
        )
        add_answer(session, assessment, 1, "met", at=datetime(2026, 7, 1, 12, 0, 1, tzinfo=bst))
    (row,) = parse(export_bytes(sessions))
    assert row["assessment_started_at"] == "2026-06-30T23:30:59Z"  # truncated, never rounded
    assert row["assessment_completed_at"] == "2026-07-01T23:30:00Z"
    assert row["answered_at"] == "2026-07-01T11:00:01Z"


# --- names -----------------------------------------------------------------------------------


def test_each_answerer_is_looked_up_once_per_export(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service = add_service(session, "Bins")
        assessment = add_assessment(session, service, [f"P{n}" for n in range(1, 6)])
        for point in range(1, 6):
            for by in ("UA", "UB", "UGONE"):
                add_answer(session, assessment, point, "met", by=by)
    directory = CountingDirectory({"UA": Person("UA", "Ann"), "UB": Person("UB", "Bryn")})
    rows = parse(export_bytes(sessions, directory=directory, history=True))
    assert len(rows) == 15
    assert sorted(directory.calls) == ["UA", "UB", "UGONE"]
    assert {r["answered_by_id"]: r["answered_by_name"] for r in rows} == {
        "UA": "Ann",
        "UB": "Bryn",
        "UGONE": "UGONE",
    }


def test_names_can_be_preloaded_and_work_without_a_directory() -> None:
    directory = CountingDirectory({"UA": Person("UA", "Ann"), "UN": Person("UN", "")})
    names = AnswererNames(directory)
    names.preload(["UA", "UA", "UN"])
    assert directory.calls == ["UA", "UN"]
    assert (names.name("UA"), names.name("UN")) == ("Ann", "UN")
    assert directory.calls == ["UA", "UN"]
    assert AnswererNames(None).name("UX") == "UX"
    assert AnswererNames(StaticDirectory([Person("UA", "Ann")])).name("UA") == "Ann"


def test_answerer_ids_are_the_people_the_export_shows(
    sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    ids = [seeded.bins.id, seeded.parking.id]
    with sessions.begin() as session:
        assert answerer_ids(session=session, team_id="T1", service_ids=ids, history=False) == [
            "UOTHER",
            "UOWNER",
        ]
        assert answerer_ids(session=session, team_id="T1", service_ids=ids, history=True) == [
            "UCO",
            "UOTHER",
            "UOWNER",
        ]
        assert answerer_ids(session=session, team_id="T2", service_ids=ids, history=True) == []


# --- streaming -------------------------------------------------------------------------------


def test_rows_are_written_as_they_are_read(sessions: sessionmaker[Session], seeded: Seeded) -> None:
    out = io.BytesIO()
    written_before: list[int] = []

    def watching(assessments: Iterator[AssessmentRows]) -> Iterator[AssessmentRows]:
        for assessment in assessments:
            written_before.append(len(out.getbuffer()))
            yield assessment

    with sessions.begin() as session:
        assessments = stream_export(
            session=session,
            team_id="T1",
            service_ids=[seeded.bins.id, seeded.parking.id],
            history=True,
            yield_per=2,
        )
        count = write_csv(watching(assessments), out, AnswererNames(None), chunk_lines=1)
    assert count == 8
    # Each assessment is on its way out before the next is read, not collected first.
    assert len(written_before) == 3
    assert written_before == sorted(set(written_before))


def test_an_abandoned_export_closes_its_cursors(
    sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    with sessions.begin() as session:
        assessments = stream_export(
            session=session, team_id="T1", service_ids=[seeded.bins.id], history=True, yield_per=1
        )
        first = next(assessments)
        assessments.close()
        assert first.assessment.service == "Bins"
        # The transaction is still usable after the generator is dropped half-way.
        assert exportable_services(session=session, team_id="T1")[0].name == "Bins"


# --- who may export what ---------------------------------------------------------------------

SERVICES = [
    ExportableService(1, "Bins", "bins", ("UOWNER",), archived=False),
    ExportableService(2, "Blue Badge", "blue badge", ("UOWNER", "UCO"), archived=True),
    ExportableService(3, "Parking & Permits", "parking & permits", ("UOTHER",), archived=False),
]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ExportArgs()),
        (["history"], ExportArgs(history=True)),
        (["all"], ExportArgs(everything=True)),
        (["ALL", "History"], ExportArgs(everything=True, history=True)),
        (["Blue", "Badge"], ExportArgs(service_name="Blue Badge")),
        (["Blue Badge", "history"], ExportArgs(service_name="Blue Badge", history=True)),
        (["history", "history"], ExportArgs(service_name="history", history=True)),
    ],
)
def test_parse_export_args(args: list[str], expected: ExportArgs) -> None:
    assert parse_export_args(args) == expected


def test_owners_export_their_own_services_by_default() -> None:
    plan = plan_export(ExportArgs(history=True), "UOWNER", False, SERVICES)
    assert isinstance(plan, ExportPlan)
    assert [s.id for s in plan.services] == [1, 2] and plan.history


def test_admins_export_every_service_by_default_and_with_all() -> None:
    for args in (ExportArgs(), ExportArgs(everything=True)):
        plan = plan_export(args, "UADMIN", True, SERVICES)
        assert isinstance(plan, ExportPlan)
        assert [s.id for s in plan.services] == [1, 2, 3]


def test_all_is_refused_to_non_admins_with_the_reason() -> None:
    refusal = plan_export(ExportArgs(everything=True), "UOWNER", False, SERVICES)
    assert isinstance(refusal, Refusal)
    assert "Only admins" in refusal.text


def test_a_named_service_is_for_its_owners_and_admins() -> None:
    plan = plan_export(ExportArgs(service_name="blue  BADGE"), "UCO", False, SERVICES)
    assert isinstance(plan, ExportPlan) and [s.id for s in plan.services] == [2]
    plan = plan_export(ExportArgs(service_name="Parking & Permits"), "UADMIN", True, SERVICES)
    assert isinstance(plan, ExportPlan) and [s.id for s in plan.services] == [3]
    refusal = plan_export(ExportArgs(service_name="Parking & Permits"), "UOWNER", False, SERVICES)
    assert isinstance(refusal, Refusal)
    assert "only export services you own" in refusal.text
    assert "Parking &amp; Permits" in refusal.text and "<@UOTHER>" in refusal.text


def test_unknown_services_and_owning_nothing_are_explained() -> None:
    missing = plan_export(ExportArgs(service_name="<!channel>"), "UOWNER", False, SERVICES)
    assert isinstance(missing, Refusal) and "&lt;!channel&gt;" in missing.text
    nothing = plan_export(ExportArgs(), "UNOBODY", False, SERVICES)
    assert isinstance(nothing, Refusal) and "don't own any services" in nothing.text
    empty = plan_export(ExportArgs(), "UADMIN", True, [])
    assert isinstance(empty, Refusal)


def test_the_message_and_file_name_say_what_the_file_holds() -> None:
    one = ExportPlan((SERVICES[2],), history=False, scope="Parking & Permits")
    assert describe(one, 15) == (
        "Assessment export of “Parking &amp; Permits”: the latest answer to each point, 15 rows."
    )
    many = ExportPlan(tuple(SERVICES), history=True, scope="all services")
    assert describe(many, 1) == (
        "Assessment export of all services (3): every answer ever given, 1 row."
    )
    assert export_filename(T0.date()) == "assessbot-export-20260302.csv"


# --- the command line ------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="assessbot")
    add_export_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    return database_url


def test_cli_writes_the_latest_export_to_a_file(
    cli_env: str,
    sessions: sessionmaker[Session],
    seeded: Seeded,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "export.csv"
    assert run_cli(["export", "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data == export_bytes(sessions)
    rows = parse(data)
    assert [(r["service"], r["point_number"], r["rating"]) for r in rows][-1] == (
        "Parking",
        "1",
        "not_applicable",
    )
    assert rows[0]["answered_by_name"] == "UOWNER"  # no Slack token: ids stand in for names
    assert "4 rows of workspace T1" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["export.csv"]  # no temporary file left


def test_cli_writes_history_of_one_service_to_stdout(
    cli_env: str,
    sessions: sessionmaker[Session],
    seeded: Seeded,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(["export", "--out", "-", "--history", "--service", "bins"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(BOM) and "\r\n" in captured.out
    rows = parse(captured.out.encode("utf-8"))
    assert len(rows) == 7 and {r["service"] for r in rows} == {"Bins"}
    assert captured.out.encode("utf-8") == export_bytes(
        sessions, service_ids=[seeded.bins.id], history=True
    )
    assert "7 rows" in captured.err


def test_cli_needs_a_team_when_the_database_holds_several(
    cli_env: str,
    sessions: sessionmaker[Session],
    seeded: Seeded,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with sessions.begin() as session:
        theirs = add_service(session, "Theirs", team_id="T2")
        add_answer(session, add_assessment(session, theirs, ["Their point"]), 1, "met")
    out = tmp_path / "export.csv"
    assert run_cli(["export", "--out", str(out)]) == 2
    assert "pass --team with one of T1, T2" in capsys.readouterr().err
    assert not out.exists()
    assert run_cli(["export", "--out", str(out), "--team", "T2"]) == 0
    assert [(r["team_id"], r["service"]) for r in parse(out.read_bytes())] == [("T2", "Theirs")]


def test_cli_explains_an_unknown_service_and_a_bad_destination(
    cli_env: str, seeded: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["export", "--out", "-", "--service", "Nope"]) == 2
    assert "no service called 'Nope' in workspace T1" in capsys.readouterr().err
    assert run_cli(["export", "--out", str(tmp_path / "missing" / "x.csv")]) == 2
    assert "cannot write to" in capsys.readouterr().err
    assert run_cli(["export", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


# --- query plans -----------------------------------------------------------------------------


@pytest.mark.parametrize("history", [False, True])
def test_sqlite_streams_the_export_in_index_order_without_sorting(
    sqlite_url: str, history: bool
) -> None:
    """A sort would make SQLite read the whole export before the first row comes out."""
    engine = make_engine(sqlite_url)
    try:
        for query in (header_query("T1", [1, 2], history), row_query("T1", [1, 2], history)):
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            with engine.connect() as connection:
                plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            assert not [step for step in plan if "TEMP B-TREE" in step], plan
    finally:
        engine.dispose()
