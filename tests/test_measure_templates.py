"""Tests for the measure templates we ship and the loader that guards them.

Templates are content a council edits by hand, like the standards, so these tests mostly
write a broken file and check the exact line an editor would see.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from standards import (
    BetterWhen,
    Catalogue,
    Frequency,
    MeasureLibrary,
    MeasureTemplateError,
    Outcome,
    Point,
    PointLink,
    Standard,
    StandardFileError,
    Unit,
    builtin_outcomes_dir,
    check_measure_file,
    check_outcome_links,
    load_catalogue,
    load_measure_templates,
)

FIXTURE = Path(__file__).parent / "data" / "outcomes" / "several-mistakes.yml"

SHIPPED_SETS = (
    "govuk-kpis",
    "ascof",
    "making-safeguarding-personal",
    "adoption-scorecard",
    "ons-loneliness",
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def library(catalogue: Catalogue) -> MeasureLibrary:
    return load_measure_templates(catalogue)


def shipped_files() -> list[Path]:
    return sorted(builtin_outcomes_dir().glob("*.yml"))


# --- the shipped templates -------------------------------------------------------------


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_every_shipped_template_file_loads_without_problems(
    path: Path, catalogue: Catalogue
) -> None:
    assert check_measure_file(path, catalogue) == []


def test_the_library_has_the_five_shipped_sets_in_menu_order(library: MeasureLibrary) -> None:
    assert tuple(s.id for s in library) == SHIPPED_SETS
    assert {p.stem for p in shipped_files()} == set(SHIPPED_SETS)


def test_every_set_names_its_publisher_licence_and_attribution(library: MeasureLibrary) -> None:
    for template_set in library:
        assert template_set.publisher, template_set.id
        assert template_set.licence == "Open Government Licence v3.0", template_set.id
        assert template_set.licence_url.startswith("https://"), template_set.id
        assert template_set.source_url.startswith("https://"), template_set.id
        assert "Open Government Licence" in template_set.attribution, template_set.id


def test_the_four_govuk_kpis_are_shipped(library: MeasureLibrary) -> None:
    kpis = library.get_set("govuk-kpis")
    assert kpis is not None
    assert [t.name for t in kpis.measures] == [
        "Cost per transaction",
        "User satisfaction",
        "Completion rate",
        "Digital take-up",
    ]
    cost = library.get("govuk-kpi-cost-per-transaction")
    assert cost is not None
    assert (cost.unit, cost.better_when) == (Unit.POUNDS, BetterWhen.LOWER)
    assert PointLink("govuk-2019", 10) in cost.points
    assert PointLink("lgdss", 13) in cost.points


def test_relational_frameworks_quote_their_published_titles(library: MeasureLibrary) -> None:
    control = library.get("ascof-control-over-daily-life")
    assert control is not None
    assert "control over their daily life" in control.counts
    assert control.service_types == frozenset({"relational"})
    a1 = library.get("adoption-a1-care-to-adoptive-family")
    assert a1 is not None
    assert "moving in with its adoptive family" in a1.counts
    assert (a1.unit, a1.better_when, a1.default_target) == (
        Unit.DAYS,
        BetterWhen.LOWER,
        Decimal("426"),
    )
    asked = library.get("msp-desired-outcomes-asked")
    assert asked is not None
    assert asked.frequency is Frequency.QUARTERLY
    lonely = library.get("ons-loneliness-often-or-always")
    assert lonely is not None
    assert "How often do you feel lonely?" in lonely.counts


def test_every_template_is_evidence_for_real_points(
    library: MeasureLibrary, catalogue: Catalogue
) -> None:
    for template in library.templates():
        assert template.points, template.id
        for link in template.points:
            standard = catalogue.get(link.standard_id)
            assert standard is not None, template.id
            standard.point(link.point_number)


def test_template_ids_are_unique_and_names_fit_a_slack_option(library: MeasureLibrary) -> None:
    ids = [t.id for t in library.templates()]
    assert len(ids) == len(set(ids))
    assert all(len(t.name) <= 75 for t in library.templates())


def test_lookups(library: MeasureLibrary) -> None:
    assert library.get("no-such-measure") is None
    assert library.get_set("no-such-set") is None
    for_13 = library.for_point("lgdss", 13)
    assert "govuk-kpi-digital-take-up" in {t.id for t in for_13}
    assert all(t.is_evidence_for("lgdss", 13) for t in for_13)
    assert library.for_point("lgdss", 99) == ()
    assert len(library.templates()) == sum(len(s.measures) for s in library)


# --- a broken file reports every mistake ---------------------------------------------------


def test_a_broken_template_file_reports_every_mistake_with_file_and_measure(
    catalogue: Catalogue,
) -> None:
    f = str(FIXTURE)
    assert check_measure_file(FIXTURE, catalogue) == [
        f"{f}: licence_url: must be a web address starting with https://",
        f"{f}: measure anytown-rehoused-in-28-days: unit: expected one of percent, number, "
        "pounds, days, score, got text ('percentage')",
        f"{f}: measure anytown-rehoused-in-28-days: points: lgdss: lgdss has no point 16; "
        "its points run from 1 to 15",
        f"{f}: measure anytown-repeat-contacts: better_when: expected one of higher, lower, "
        "got text ('fewer')",
        f"{f}: measure anytown-repeat-contacts: frequency: expected one of monthly, quarterly, "
        "got text ('weekly')",
        f"{f}: measure anytown-repeat-contacts: service_types: 'casework' is not a service "
        "type; use transactional or relational",
        f"{f}: measure anytown-repeat-contacts: points: nowhere: no standard with this id is "
        f"loaded (loaded: {', '.join(catalogue.ids())})",
        f"{f}: measure at position 3: targets: unknown key",
        f"{f}: measure at position 3: id: missing",
    ]


def test_a_council_file_with_mistakes_stops_the_library_loading(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    (tmp_path / "outcomes").mkdir()
    broken = tmp_path / "outcomes" / "ours.yml"
    broken.write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(MeasureTemplateError) as caught:
        load_measure_templates(catalogue, tmp_path)
    assert caught.value.problems == tuple(check_measure_file(broken, catalogue))
    assert len(caught.value.problems) == 9
    # Start-up code that already refuses broken standards refuses these too.
    assert isinstance(caught.value, StandardFileError)


# --- one rule at a time ----------------------------------------------------------------------

VALID: dict[str, Any] = {
    "id": "anytown",
    "title": "Anytown measures",
    "publisher": "Anytown Council",
    "source_url": "https://anytown.example/measures",
    "licence": "Open Government Licence v3.0",
    "licence_url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "attribution": "Anytown Council.",
    "measures": [
        {
            "id": "anytown-rehoused",
            "name": "Households rehoused within 28 days",
            "counts": "Households rehoused within 28 days of acceptance.",
            "unit": "percent",
            "better_when": "higher",
            "frequency": "monthly",
            "default_target": 80,
            "source": "Housing register.",
            "service_types": ["relational"],
            "points": {"lgdss": [1, 13]},
        }
    ],
}


def write(directory: Path, data: object, name: str = "anytown.yml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def measure_with(**changes: object) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            del data["measures"][0][key]
        else:
            data["measures"][0][key] = value
    return data


M = "measure anytown-rehoused"
RULES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "percentage target over 100": (
        measure_with(default_target=140),
        [f"{M}: default_target: is a percentage, so must be from 0 to 100; got 140"],
    ),
    "negative days": (
        measure_with(unit="days", default_target=-3),
        [f"{M}: default_target: must not be negative for a measure in days; got -3"],
    ),
    "target as text": (
        measure_with(default_target="80%"),
        [f"{M}: default_target: expected a number without quotes, got text ('80%')"],
    ),
    "name too long for a menu": (
        measure_with(name="n" * 76),
        [f"{M}: name: is 76 characters long; the limit is 75"],
    ),
    "missing counts": (measure_with(counts=None), [f"{M}: counts: missing"]),
    "no service types": (
        measure_with(service_types=[]),
        [f"{M}: service_types: must name at least one service type: transactional or relational"],
    ),
    "points as a list": (
        measure_with(points=["lgdss 1"]),
        [
            f"{M}: points: expected a mapping of standard id to point numbers, "
            "such as 'lgdss: [1, 13]', got a list"
        ],
    ),
    "no points": (
        measure_with(points={}),
        [f"{M}: points: must name at least one standard point the measure is evidence for"],
    ),
    "point number as text": (
        measure_with(points={"lgdss": ["one"]}),
        [f"{M}: points: lgdss: expected a point number, got text ('one')"],
    ),
    "point listed twice": (
        measure_with(points={"lgdss": [1, 1]}),
        [f"{M}: points: lgdss: point 1 is listed twice"],
    ),
    "bad id": (
        measure_with(id="Anytown Rehoused"),
        [
            "measure Anytown Rehoused: id: use only lower-case letters, digits and hyphens "
            "(a-z, 0-9, -)"
        ],
    ),
}


@pytest.mark.parametrize("name", list(RULES))
def test_each_rule_reports_exactly_its_problem(
    tmp_path: Path, catalogue: Catalogue, name: str
) -> None:
    data, expected = RULES[name]
    path = write(tmp_path, data)
    assert check_measure_file(path, catalogue) == [f"{path}: {line}" for line in expected]


def test_a_repeated_measure_id_in_one_file_is_reported(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    data = copy.deepcopy(VALID)
    data["measures"].append(copy.deepcopy(data["measures"][0]))
    path = write(tmp_path, data)
    assert check_measure_file(path, catalogue) == [
        f"{path}: measure anytown-rehoused: id: repeats the measure at position 1"
    ]


def test_a_valid_council_file_is_added_after_the_shipped_sets(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    (tmp_path / "outcomes").mkdir()
    write(tmp_path / "outcomes", VALID)
    library = load_measure_templates(catalogue, tmp_path)
    assert tuple(s.id for s in library) == (*SHIPPED_SETS, "anytown")
    ours = library.get("anytown-rehoused")
    assert ours is not None
    assert ours.set_id == "anytown"
    assert ours.default_target == Decimal("80")
    assert ours.points == (PointLink("lgdss", 1), PointLink("lgdss", 13))


def test_a_council_set_with_a_shipped_id_replaces_it(
    tmp_path: Path, catalogue: Catalogue, library: MeasureLibrary
) -> None:
    # A local edition of the KPIs keeps the ids the standards link to and adds its own.
    (tmp_path / "outcomes").mkdir()
    kpis = library.get_set("govuk-kpis")
    assert kpis is not None
    data = yaml.safe_load((builtin_outcomes_dir() / "govuk-kpis.yml").read_text("utf-8"))
    data["title"] = "Anytown's edition of the KPIs"
    data["measures"].append(copy.deepcopy(VALID["measures"][0]))
    write(tmp_path / "outcomes", data)
    local = load_measure_templates(catalogue, tmp_path)
    assert tuple(s.id for s in local) == SHIPPED_SETS
    replaced = local.get_set("govuk-kpis")
    assert replaced is not None
    assert replaced.title == "Anytown's edition of the KPIs"
    assert [t.id for t in replaced.measures] == [*(t.id for t in kpis.measures), "anytown-rehoused"]


def test_a_council_set_that_drops_a_linked_measure_names_every_broken_link(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    (tmp_path / "outcomes").mkdir()
    data = copy.deepcopy(VALID)
    data["id"] = "govuk-kpis"
    write(tmp_path / "outcomes", data)
    with pytest.raises(MeasureTemplateError) as caught:
        load_measure_templates(catalogue, tmp_path)
    linked = [
        (s.id, p.number, i)
        for s in catalogue
        for p in s.points
        for i, o in enumerate(p.outcomes, 1)
        if o.measure and o.measure.startswith("govuk-kpi-")
    ]
    assert len(caught.value.problems) == len(linked)
    assert (
        "standard lgdss: point 4: outcome 2: measure: 'govuk-kpi-completion-rate' is not a "
        "loaded measure template"
    ) in caught.value.problems


def test_a_link_to_a_template_that_does_not_name_the_point_is_an_error(
    library: MeasureLibrary,
) -> None:
    point = Point(
        number=15,
        title="Test with senior manager",
        title_source="published",
        summary="s",
        questions=(),
        evidence=(),
        outcomes=(Outcome("Children wait less", "people", "adoption-a1-care-to-adoptive-family"),),
    )
    lgdss = load_catalogue().get("lgdss")
    assert lgdss is not None
    edited = Standard(**{**lgdss.__dict__, "points": (*lgdss.points[:14], point)})
    assert check_outcome_links(Catalogue((edited,)), library) == [
        "standard lgdss: point 15: outcome 1: measure: 'adoption-a1-care-to-adoptive-family' "
        "does not list lgdss point 15 among the points it is evidence for; add it to the "
        "template's points in adoption-scorecard"
    ]


def test_a_council_measure_reusing_a_shipped_id_is_an_error(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    (tmp_path / "outcomes").mkdir()
    path = write(tmp_path / "outcomes", measure_with(id="govuk-kpi-completion-rate"))
    with pytest.raises(MeasureTemplateError) as caught:
        load_measure_templates(catalogue, tmp_path)
    assert caught.value.problems == (
        f"{path}: measure govuk-kpi-completion-rate: id: already used in "
        f"{builtin_outcomes_dir() / 'govuk-kpis.yml'}",
    )


def test_a_standards_dir_without_outcomes_adds_nothing(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    assert load_measure_templates(catalogue, tmp_path) == load_measure_templates(catalogue)


def test_links_are_checked_against_the_catalogue_given() -> None:
    # Without lgdss loaded, the shipped links to its points cannot stand: the loader
    # says so rather than linking a reading to a point nobody can assess.
    catalogue = load_catalogue()
    small = Catalogue(tuple(s for s in catalogue if s.id != "lgdss"))
    with pytest.raises(MeasureTemplateError) as caught:
        load_measure_templates(small)
    assert any(
        "points: lgdss: no standard with this id is loaded" in p for p in caught.value.problems
    )
