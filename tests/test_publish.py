"""`assessbot publish` and `assessbot report` from the command line, on both databases."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.cli_report import add_report_parsers
from bot.core.export import COLUMNS
from bot.core.publish import gather_site
from storage.report_queries import remember_workspace_name
from tests.report_outcome_seed import seed_outcomes
from tests.report_seed import (
    ACTION_LATE,
    ACTION_OPEN,
    BAD_LINK,
    CHALLENGE_COMMENT,
    EVIDENCE,
    FAR_FUTURE,
    HIDDEN,
    HIDDEN_ACTION,
    HIDDEN_EVIDENCE,
    REVIEWER,
    SAFE_LINK,
    Portfolio,
    add_action,
    add_review,
    seed_reports,
)
from tests.test_export import T0, add_answer, add_assessment, add_service

ROOT = Path(__file__).resolve().parent.parent
LONDON = ZoneInfo("Europe/London")
SCHEMA = json.loads((ROOT / "docs" / "assessments.schema.json").read_text(encoding="utf-8"))


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="assessbot")
    add_report_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ASSESSBOT_TIMEZONE", "Europe/London")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    return database_url


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> Portfolio:
    ids = seed_reports(sessions)
    with sessions.begin() as session:
        remember_workspace_name(session=session, team_id="T1", name="Borsetshire", now=T0)
    return ids


def every_file(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): path.read_text(encoding="utf-8-sig")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def validate(data: object) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(
        data
    )


def test_publish_writes_the_site_of_publishable_services_only(
    cli_env: str, seeded: Portfolio, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    assert run_cli(["publish", "--out", str(site)]) == 0
    files = every_file(site)
    assert set(files) == {
        "index.html",
        "assessments.json",
        "assessments.csv",
        f"services/bins-{seeded.bins}.html",
        f"services/parking-{seeded.parking}.html",
        f"services/never-assessed-{seeded.never}.html",
    }
    for name, content in files.items():  # nothing of the unpublished service, anywhere
        for secret in (
            HIDDEN,
            HIDDEN_EVIDENCE,
            HIDDEN_ACTION,
            "Archived thing",
            f"-{seeded.hidden}.html",
        ):
            assert secret not in content, (name, secret)
    for name, content in files.items():  # and no evidence, action text or comment by default
        for personal in (EVIDENCE, SAFE_LINK, ACTION_OPEN, ACTION_LATE, CHALLENGE_COMMENT):
            assert personal not in content, (name, personal)
    public_bins = files[f"services/bins-{seeded.bins}.html"]
    for counted in (  # but the counts, statuses and verdict words are there
        "4 improvement actions: 2 open (1 overdue), 1 done, 1 dropped.",
        f"Peer review by <strong>{REVIEWER}",
        "1 agreed, 2 challenged.",
        "Challenge: <span",
        "Open: waiting for the team",
    ):
        assert counted in public_bins, counted
    assert "3 services, 3 assessments, 6 files" in capsys.readouterr().err

    index = files["index.html"]
    assert "Service assessments: Borsetshire" in index
    assert f'href="services/bins-{seeded.bins}.html"' in index

    data = json.loads(files["assessments.json"])
    validate(data)
    assert data["organisation"] == "Borsetshire"
    records = data["assessments"]
    # every assessment, newest first per service; never assessed: no assessment, no record
    assert [(r["service"]["name"], r["assessment_id"]) for r in records] == [
        ("Bins", seeded.bins_new),
        ("Bins", seeded.bins_old),
        ("Parking", records[2]["assessment_id"]),
    ]
    by_service = {record["service"]["name"]: record for record in reversed(records)}
    bins = by_service["Bins"]
    assert bins["service"]["id"] == seeded.bins and bins["assessment_id"] == seeded.bins_new
    assert bins["previous_assessment_id"] == seeded.bins_old
    assert bins["standard"] == {
        "id": "lgdss",
        "version": "2024.1",
        "title": "Local Government Digital Service Standard",
    }
    assert bins["started_on"] == "2026-03-02" and bins["completed_on"] == "2026-03-04"
    assert [(p["number"], p["rating"], p["previous_rating"]) for p in bins["points"]] == [
        (1, "met", "not_met"),
        (2, "met", "met"),
        (3, "not_applicable", None),
    ]
    # each reviewer's verdict in words, per point: no names, no comments
    assert [p["peer_verdicts"] for p in bins["points"]] == [
        [{"verdict": "agree", "reviewer_rating": None, "challenge_status": "none"}],
        [{"verdict": "challenge", "reviewer_rating": "partly_met", "challenge_status": "open"}],
        [{"verdict": "agree", "reviewer_rating": "not_met", "challenge_status": "agreed"}],
    ]
    assert REVIEWER not in files["assessments.json"]
    assert bins["report_url"] == f"services/bins-{seeded.bins}.html"
    assert (site / bins["report_url"]).is_file()
    assert by_service["Parking"]["completed_on"] is None
    assert by_service["Parking"]["points"][1]["rating"] == "unanswered"
    assert by_service["Parking"]["overall"] == "in_progress"
    old = records[1]
    assert old["previous_assessment_id"] is None and old["overall"] == "not_met"
    assert all(point["peer_verdicts"] == [] for point in old["points"])  # never reviewed
    assert [(p["number"], p["rating"], p["previous_rating"]) for p in old["points"]] == [
        (1, "not_met", None),
        (2, "met", None),
    ]
    assert old["report_url"] == bins["report_url"]

    rows = list(csv.DictReader(io.StringIO(files["assessments.csv"], newline="")))
    assert tuple(rows[0]) == COLUMNS
    assert sorted({row["service"] for row in rows}) == ["Bins", "Parking"]
    assert len(rows) == 6  # one row per point of each latest assessment
    assert {row["evidence"] for row in rows} == {""} and {
        row["evidence_links"] for row in rows
    } == {""}


def test_with_evidence_and_all(cli_env: str, seeded: Portfolio, tmp_path: Path) -> None:
    site = tmp_path / "internal"
    assert run_cli(["publish", "--out", str(site), "--all", "--with-evidence"]) == 0
    files = every_file(site)
    assert f"services/secret-squirrel-service-{seeded.hidden}.html" in files
    assert "Archived thing" not in "".join(files.values())  # archived: never
    bins = files[f"services/bins-{seeded.bins}.html"]
    assert EVIDENCE in bins and f'href="{SAFE_LINK}" rel="noopener noreferrer"' in bins
    assert ACTION_OPEN in bins and CHALLENGE_COMMENT in bins  # an internal copy has them
    assert BAD_LINK not in bins
    validate(json.loads(files["assessments.json"]))
    rows = list(csv.DictReader(io.StringIO(files["assessments.csv"], newline="")))
    assert EVIDENCE in {row["evidence"] for row in rows}
    assert HIDDEN in {row["service"] for row in rows}

    # publishing the public copy into the same folder leaves nothing of the internal one
    assert run_cli(["publish", "--out", str(site)]) == 0
    for name, content in every_file(site).items():
        assert HIDDEN not in content and EVIDENCE not in content, name
        assert ACTION_OPEN not in content and CHALLENGE_COMMENT not in content, name
    assert not (site / f"services/secret-squirrel-service-{seeded.hidden}.html").exists()


def test_report_writes_one_file_and_names_the_organisation(
    cli_env: str, seeded: Portfolio, tmp_path: Path
) -> None:
    out = tmp_path / "bins.html"
    assert run_cli(["report", "--service", "bins", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Borsetshire" in page
    assert EVIDENCE in page  # the person's own report has the evidence
    assert "UOWNER" in page  # no Slack token: people by id
    assert (
        run_cli(["report", "--service", "bins", "--out", str(out), "--organisation", "B C C"]) == 0
    )
    assert "B C C" in out.read_text(encoding="utf-8")


def test_report_refuses_unknown_archived_and_folders(
    cli_env: str, seeded: Portfolio, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["report", "--service", "Nope", "--out", str(tmp_path / "x.html")]) == 2
    assert (
        run_cli(["report", "--service", "Archived thing", "--out", str(tmp_path / "y.html")]) == 2
    )
    assert run_cli(["report", "--service", "Bins", "--out", str(tmp_path)]) == 2
    assert "no service called 'Nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
    (tmp_path / "file").write_text("x")
    assert run_cli(["publish", "--out", str(tmp_path / "file")]) == 2


def test_publish_of_an_empty_database_says_so(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["publish", "--out", str(tmp_path / "site")]) == 2
    assert "no services yet" in capsys.readouterr().err


def test_gathering_the_site_costs_the_same_statements_at_any_size(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    def statements() -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            site = gather_site(sessions=sessions, team_id="T1", organisation="B", now=T0, tz=LONDON)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert site.reports
        return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))

    seed_reports(sessions)
    small = statements()
    with sessions.begin() as session:
        for number in range(30):
            service = add_service(session, f"More {number}")
            service.publishable = True
            assessment = add_assessment(session, service, ["One", "Two"], started_at=T0)
            add_answer(session, assessment, 1, "met", at=T0)
            add_action(session, assessment, 2, "Fix it", due_on=FAR_FUTURE)
            add_review(session, assessment, "Pat", "", [(1, "challenge", "partly_met", "Hm")])
    for number in range(5):  # outcome measures and readings too (#13)
        seed_outcomes(sessions, name=f"Care {number}")
    assert statements() == small
