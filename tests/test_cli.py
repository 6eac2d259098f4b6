"""The command line, called the way an operator would (in-process, through `main`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli import main
from storage.db import make_engine
from storage.migrate import current_revision, head_revision

DATA = Path(__file__).parent / "data" / "standards"


def test_standards_check_reports_every_mistake_with_file_and_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = DATA / "three-mistakes.yml"
    assert main(["standards", "check", str(broken)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"{broken}: point 2: title: must not be empty" in lines
    assert f"{broken}: point 3: guidance: unknown key" in lines
    assert any(line.startswith(f"{broken}: point 1: number: used more than once") for line in lines)


def test_standards_check_accepts_a_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    good = Path(__file__).parents[1] / "standards" / "nhs.yml"
    assert main(["standards", "check", str(good)]) == 0
    assert "ok" in capsys.readouterr().out


def test_standards_list(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSESSBOT_STANDARDS_DIR", raising=False)
    assert main(["standards", "list"]) == 0
    out = capsys.readouterr().out
    shown = {
        "lgdss": (15, "LocalGov Digital"),
        "govuk-2019": (14, "Government Digital Service"),
        "gds-2015": (18, "Government Digital Service"),
        "nhs": (17, "NHS England"),
        "wales-dss": (12, "Centre for Digital Public Services"),
    }
    lines = out.splitlines()
    for standard_id, (points, publisher) in shown.items():
        assert any(
            line.startswith(f"{standard_id} ")
            and f"{points} points" in line
            and publisher in line
            and "Open Government Licence v3.0" in line
            for line in lines
        ), out
    attribution = [line.strip() for line in lines if "Contains public sector information" in line]
    assert len(attribution) == 4  # the Welsh standard words its attribution itself
    assert all(
        "nationalarchives.gov.uk/doc/open-government-licence/version/3/" in a for a in attribution
    )
    assert any("Standard titles in English and Welsh" in line for line in lines)


def test_standards_stats_prints_the_review_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSESSBOT_STANDARDS_DIR", raising=False)
    assert main(["standards", "stats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| standard | points | questions | discovery |")
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| gds-2015",
        "| govuk-2019",
        "| lgdss",
        "| nhs",
        "| wales-dss",
    ]


def test_standards_check_names_an_outcome_linked_to_a_missing_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSESSBOT_STANDARDS_DIR", raising=False)
    shipped = Path(__file__).parents[1] / "standards" / "lgdss.yml"
    text = shipped.read_text(encoding="utf-8")
    ours = tmp_path / "lgdss.yml"
    ours.write_text(
        text.replace("measure: govuk-kpi-digital-take-up", "measure: govuk-kpi-take-up", 1),
        encoding="utf-8",
    )
    assert main(["standards", "check", str(ours)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "standard lgdss: point 12: outcome 2: measure: 'govuk-kpi-take-up' is not a loaded "
        "measure template"
    ]


def test_standards_list_shows_the_measure_template_sets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSESSBOT_STANDARDS_DIR", raising=False)
    assert main(["standards", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for set_id, count in (("govuk-kpis", 4), ("ascof", 9), ("adoption-scorecard", 4)):
        assert any(line.startswith(set_id) and f"{count} measures" in line for line in lines)


def test_standards_check_reports_every_mistake_in_a_template_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSESSBOT_STANDARDS_DIR", raising=False)
    broken = Path(__file__).parent / "data" / "outcomes" / "several-mistakes.yml"
    assert main(["standards", "check", str(broken)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 9
    assert (
        f"{broken}: measure anytown-repeat-contacts: frequency: expected one of monthly, "
        "quarterly, got text ('weekly')"
    ) in lines
    good = Path(__file__).parents[1] / "standards" / "outcomes" / "ascof.yml"
    assert main(["standards", "check", str(good)]) == 0


def test_a_broken_extra_standard_stops_with_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ours.yml").write_text("id: ours\ntitle: ''\n", encoding="utf-8")
    monkeypatch.setenv("ASSESSBOT_STANDARDS_DIR", str(tmp_path))
    assert main(["standards", "list"]) == 2
    assert "ours.yml" in capsys.readouterr().err


def test_db_upgrade_creates_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    engine = make_engine(url)
    assert {"services", "answers", "nudges"} <= set(inspect(engine).get_table_names())
    assert current_revision(engine) == head_revision()
    assert main(["db", "upgrade"]) == 0
    engine.dispose()
