"""Tests for the standard files we ship and for the loader that guards them.

The loader is the only thing standing between a council's hand-edited YAML and Slack, so
most tests here write a broken file and check the exact problem line an editor would see.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from standards import (
    PHASES,
    Catalogue,
    Outcome,
    Point,
    Question,
    Standard,
    StandardFileError,
    builtin_standards_dir,
    check_standard_file,
    load_catalogue,
    load_measure_templates,
    load_standard_file,
)
from standards.stats import (
    MIN_PER_PHASE,
    built_thing_words,
    needs_phases,
    standard_stats,
    stats_table,
    unmarked_repeats,
)

FIXTURES = Path(__file__).parent / "data" / "standards"
POINT_COUNTS = {"lgdss": 15, "govuk-2019": 14, "gds-2015": 18, "nhs": 17, "wales-dss": 12}

# Published titles, copied from each publisher's pages (localgov.digital, the GOV.UK and
# NHS service manuals, and the Centre for Digital Public Services' English and Welsh
# pages for the Welsh standards), so the tests need nothing outside the project.
PUBLISHED_TITLES: dict[str, dict[int, str]] = {
    "lgdss": {
        1: "Understand user needs",
        2: "Have a multidisciplinary team",
        3: "Use agile methods",
        4: "Iterate and improve regularly",
        5: "Evaluate appropriate tools and systems",
        6: "Evaluate what user data and information",
        7: "Use open standards",
        8: "Test the end-to-end service",
        9: "Make a plan for being offline",
        15: "Test with senior manager",
    },
    "govuk-2019": {
        1: "Understand users and their needs",
        2: "Solve a whole problem for users",
        3: "Provide a joined up experience across all channels",
        4: "Make the service simple to use",
        5: "Make sure everyone can use the service",
        6: "Have a multidisciplinary team",
        7: "Use agile ways of working",
        8: "Iterate and improve frequently",
        9: "Create a secure service which protects users' privacy",
        10: "Define what success looks like and publish performance data",
        11: "Choose the right tools and technology",
        12: "Make new source code open",
        13: "Use and contribute to open standards, common components and patterns",
        14: "Operate a reliable service",
    },
    "gds-2015": {
        1: "Understand user needs",
        2: "Do ongoing user research",
        3: "Have a multidisciplinary team",
        4: "Use agile methods",
        5: "Iterate and improve frequently",
        6: "Evaluate tools and systems",
        7: "Understand security and privacy issues",
        8: "Make all new source code open",
        9: "Use open standards and common platforms",
        10: "Test the end-to-end service",
        11: "Make a plan for being offline",
        12: "Make sure users succeed first time",
        13: "Make the user experience consistent with GOV.UK",
        14: "Encourage everyone to use the digital service",
        15: "Collect performance data",
        16: "Identify performance indicators",
        17: "Report performance data on the Performance Platform",
        18: "Test with the minister",
    },
    "nhs": {
        1: "Understand users and their needs in the context of health and care",
        2: "Work towards solving a whole problem for users",
        3: "Provide a joined up experience across all channels",
        4: "Make the service simple to use",
        5: "Make sure everyone can use the service",
        6: "Create a team that includes multidisciplinary skills and perspectives",
        7: "Use agile ways of working",
        8: "Iterate and improve frequently",
        9: "Create a secure service which protects people's privacy",
        10: "Define what success looks like and be open about how your service is performing",
        11: "Choose the right tools and technology",
        12: "Make new source code open",
        13: "Use and contribute to open standards, common components and patterns",
        14: "Operate a reliable service",
        15: "Support a culture of care",
        16: "Make your service clinically safe",
        17: "Make your service interoperable",
    },
    "wales-dss": {
        1: "Focus on current and future wellbeing of people in Wales",
        2: "Promote the Welsh language",
        3: "Understand users and their needs",
        4: "Provide a joined up experience",
        5: "Make sure everyone can use the service",
        6: "Have an empowered service owner",
        7: "Have a multidisciplinary team",
        8: "Iterate and improve frequently",
        9: "Work in the open",
        10: "Use scalable technology",
        11: "Consider ethics, privacy and security throughout",
        12: "Use data to make decisions",
    },
}

# The Welsh titles as published on gwasanaethaucyhoeddusdigidol.llyw.cymru.
WELSH_TITLES: dict[int, str] = {
    1: "Canolbwyntio ar les pobl yng Nghymru yn awr ac yn y dyfodol",
    2: "Hyrwyddo’r Gymraeg",
    3: "Deall defnyddwyr a’u hanghenion",
    4: "Darparu profiad cydgysylltiedig",
    5: "Sicrhau bod pawb yn gallu defnyddio’r gwasanaeth",
    6: "Bod â pherchennog gwasanaeth wedi’i rymuso",
    7: "Bod â thîm amlddisgyblaethol",
    8: "Ailadrodd a gwella’n aml",
    9: "Gweithio’n agored",
    10: "Defnyddio technoleg y gellir addasu ei graddfa",
    11: "Ystyried moeseg, preifatrwydd a diogelwch drwy’r amser",
    12: "Defnyddio data i wneud penderfyniadau",
}
WALES_GROUPS = {
    "Meeting user needs": [1, 2, 3, 4, 5],
    "Creating good digital teams": [6, 7, 8, 9],
    "Using the right technology": [10, 11, 12],
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


# --- the shipped standards -------------------------------------------------------------


def shipped_files() -> list[Path]:
    return sorted(builtin_standards_dir().glob("*.yml"))


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_every_shipped_file_loads_without_problems(path: Path) -> None:
    assert check_standard_file(path) == []
    assert load_standard_file(path).id == path.stem


def test_shipped_files_are_all_yml_so_packaging_includes_them() -> None:
    # pyproject.toml ships standards/*.yml as package data; a .yaml file would be dropped.
    assert not list(builtin_standards_dir().glob("*.yaml"))


def test_catalogue_has_the_five_standards_with_their_point_counts(catalogue: Catalogue) -> None:
    assert sorted(catalogue.ids()) == sorted(POINT_COUNTS)
    assert {s.id: s.point_count for s in catalogue} == POINT_COUNTS


def test_points_are_numbered_in_order(catalogue: Catalogue) -> None:
    for standard in catalogue:
        assert [p.number for p in standard.points] == list(range(1, standard.point_count + 1))


@pytest.mark.parametrize(
    ("standard_id", "number", "title"),
    [
        (standard_id, number, title)
        for standard_id, titles in PUBLISHED_TITLES.items()
        for number, title in titles.items()
    ],
)
def test_published_titles_are_exact(
    catalogue: Catalogue, standard_id: str, number: int, title: str
) -> None:
    standard = catalogue.get(standard_id)
    assert standard is not None
    point = standard.point(number)
    assert point.title == title
    assert point.title_source == "published"


def test_spot_checks_from_the_brief(catalogue: Catalogue) -> None:
    def title(standard_id: str, number: int) -> str:
        standard = catalogue.get(standard_id)
        assert standard is not None
        return standard.point(number).title

    assert title("lgdss", 9) == "Make a plan for being offline"
    assert title("govuk-2019", 5) == "Make sure everyone can use the service"
    assert title("nhs", 16) == "Make your service clinically safe"
    assert title("gds-2015", 18) == "Test with the minister"


def test_lgdss_unverified_titles_are_marked_as_paraphrase(catalogue: Catalogue) -> None:
    lgdss = catalogue.get("lgdss")
    assert lgdss is not None
    paraphrased = {p.number for p in lgdss.points if p.title_source == "paraphrase"}
    assert paraphrased == {10, 11, 12, 13, 14}


def test_only_lgdss_has_paraphrased_titles(catalogue: Catalogue) -> None:
    for standard in catalogue:
        if standard.id != "lgdss":
            assert {p.title_source for p in standard.points} == {"published"}


def test_every_point_has_questions_for_discovery_and_live(catalogue: Catalogue) -> None:
    for standard in catalogue:
        for point in standard.points:
            for phase in ("discovery", "live"):
                assert point.questions_for(phase), f"{standard.id} {point.number} {phase}"


def test_every_standard_has_questions_that_only_fit_discovery_or_live(
    catalogue: Catalogue,
) -> None:
    for standard in catalogue:
        phase_sets = {q.phases for p in standard.points for q in p.questions}
        assert frozenset({"discovery"}) in phase_sets, standard.id
        assert frozenset({"live"}) in phase_sets, standard.id


def test_shipped_content_keeps_to_the_house_style(catalogue: Catalogue) -> None:
    # Tighter than the loader's limits: these are our editorial rules for shipped content,
    # not rules a council's local edition has to follow.
    for standard in catalogue:
        assert standard.licence == "Open Government Licence v3.0"
        assert standard.source.startswith("https://")
        for p in standard.points:
            where = f"{standard.id} point {p.number}"
            assert len(p.summary) <= 300, where
            assert 3 <= len(p.questions) <= 8, where
            assert all(len(q.text) <= 200 for q in p.questions), where
            assert 2 <= len(p.evidence) <= 5, where
            assert 2 <= len(p.outcomes) <= 3, where
            assert all(q.text.endswith("?") for q in p.questions), where


# --- content a head of digital can trust ------------------------------------------------


@pytest.mark.parametrize("standard_id", sorted(POINT_COUNTS))
def test_every_point_has_at_least_three_questions_in_every_phase(
    catalogue: Catalogue, standard_id: str
) -> None:
    standard = catalogue.get(standard_id)
    assert standard is not None
    thin = [
        (p.number, phase, len(p.questions_for(phase)))
        for p in standard.points
        for phase in PHASES
        if len(p.questions_for(phase)) < MIN_PER_PHASE
    ]
    assert thin == []


def test_no_unphased_question_is_about_something_built_unless_marked(
    catalogue: Catalogue,
) -> None:
    unmarked = [
        (s.id, p.number, q.text)
        for s in catalogue
        for p in s.points
        for q in p.questions
        if needs_phases(q)
    ]
    assert unmarked == []
    # Deliberate exceptions are few, and each still mentions a built thing (or the mark
    # would be noise).
    marked = [q for s in catalogue for p in s.points for q in p.questions if q.all_phases]
    assert 0 < len(marked) <= 10
    assert all(built_thing_words(q.text) for q in marked)


@pytest.mark.parametrize(
    "text",
    [
        "Where is your code published, and under what licence?",
        "How do you monitor the service, and who responds out of hours?",
        "Is your accessibility statement accurate?",
        "Do you have a test environment like the live one?",
    ],
)
def test_the_built_thing_words_catch_the_questions_the_review_found(text: str) -> None:
    assert needs_phases(Question(text, frozenset()))
    assert not needs_phases(Question(text, frozenset({"beta", "live"})))
    assert not needs_phases(Question(text, frozenset(), all_phases=True))


def test_every_outcome_is_linked_to_a_template_or_says_how_to_measure_it(
    catalogue: Catalogue,
) -> None:
    library = load_measure_templates(catalogue)  # raises if any link is broken
    for standard in catalogue:
        for point in standard.points:
            for outcome in point.outcomes:
                where = f"{standard.id} {point.number}: {outcome.text}"
                if outcome.measure is not None:
                    template = library.get(outcome.measure)
                    assert template is not None, where
                    assert template.is_evidence_for(standard.id, point.number), where
                    assert outcome.how == ""
                else:
                    assert outcome.source and outcome.counts, where
                    assert outcome.how.startswith("Counts "), where


def test_outcomes_are_about_people_or_plainly_organisational(catalogue: Catalogue) -> None:
    for standard in catalogue:
        stats = standard_stats(standard)
        assert stats.outcomes_people > 2 * stats.outcomes_organisation, standard.id
        for point in standard.points:
            assert any(o.about_people for o in point.outcomes) or all(
                o.text.startswith("Organisational:") for o in point.outcomes
            ), f"{standard.id} {point.number}"
            for outcome in point.outcomes:
                labelled = outcome.text.startswith("Organisational:")
                assert labelled == (outcome.about == "organisation"), outcome.text


def test_every_standard_links_some_outcomes_to_published_measures(catalogue: Catalogue) -> None:
    for standard in catalogue:
        assert sum(len(p.measure_ids()) for p in standard.points) >= 5, standard.id


def test_every_standard_names_its_licence_and_attribution(catalogue: Catalogue) -> None:
    for standard in catalogue:
        assert standard.licence_url.startswith("https://www.nationalarchives.gov.uk/"), standard.id
        assert "Open Government Licence v3.0" in standard.attribution, standard.id
        assert standard.publisher in standard.attribution, standard.id
        line = standard.attribution_line
        assert standard.title in line and standard.source in line and standard.licence_url in line


def test_gds_2015_points_at_the_page_that_keeps_it(catalogue: Catalogue) -> None:
    gds = catalogue.get("gds-2015")
    assert gds is not None
    assert gds.source == (
        "https://www.gov.uk/service-manual/service-assessments/pre-july-2019-digital-service-standard"
    )


def test_no_question_repeats_across_points_or_standards_unless_marked(
    catalogue: Catalogue,
) -> None:
    assert unmarked_repeats(catalogue) == []
    shared = [q.text for s in catalogue for p in s.points for q in p.questions if q.shared]
    assert all(shared.count(text) >= 2 for text in shared), "a lone shared: true marks nothing"


def test_a_repeat_across_standards_is_found_and_a_marked_one_allowed() -> None:
    first, second = make_standard("one"), make_standard("two")
    problems = unmarked_repeats([first, second])
    assert problems[0] == (
        "two point 1: 'Who are the users?' repeats one point 1; reword it or mark both "
        "copies shared: true"
    )
    marked = Point(
        number=1,
        title="t",
        title_source="published",
        summary="s",
        questions=(Question("Who are the users?", frozenset(), shared=True),),
        evidence=("e",),
        outcomes=(),
    )
    one = Standard(**{**first.__dict__, "points": (marked,)})
    two = Standard(**{**second.__dict__, "id": "two", "points": (marked,)})
    assert unmarked_repeats([one, two]) == []


# The points where relational services most need their own questions: user needs, the
# whole problem, assisted and offline routes, privacy and safeguarding, and success.
RELATIONAL_POINTS: dict[str, dict[str, tuple[int, ...]]] = {
    "lgdss": {"needs": (1,), "whole": (8,), "routes": (9, 12), "safe": (6,), "success": (13,)},
    "govuk-2019": {"needs": (1,), "whole": (2,), "routes": (5, 14), "safe": (9,), "success": (10,)},
    "gds-2015": {"needs": (1,), "whole": (10,), "routes": (11, 14), "safe": (7,), "success": (16,)},
    "nhs": {"needs": (1,), "whole": (2,), "routes": (5, 14), "safe": (9,), "success": (10,)},
    "wales-dss": {"needs": (3,), "whole": (4,), "routes": (5,), "safe": (11,), "success": (12,)},
}


@pytest.mark.parametrize("standard_id", sorted(RELATIONAL_POINTS))
def test_relational_questions_where_they_matter_most(
    catalogue: Catalogue, standard_id: str
) -> None:
    standard = catalogue.get(standard_id)
    assert standard is not None
    for topic, numbers in RELATIONAL_POINTS[standard_id].items():
        relational = [q for n in numbers for q in standard.point(n).questions if q.relational]
        assert relational, f"{standard_id} has no relational question on {topic} {numbers}"


def test_relational_questions_draw_on_the_services_councils_run(catalogue: Catalogue) -> None:
    text = " ".join(
        q.text.lower() for s in catalogue for p in s.points for q in p.questions if q.relational
    )
    for words in (
        ("social care", "social worker"),
        ("leaves care", "leaving care", "care leavers", "care-experienced"),
        ("supporting families", "family worker"),
        ("adopt", "adoption scorecard"),
        ("lonely", "isolated", "less alone"),
        ("safeguarding",),
    ):
        assert any(w in text for w in words), words
    nhs = catalogue.get("nhs")
    assert nhs is not None
    assert "social care" in " ".join(q.text for p in nhs.points for q in p.questions)


def test_relational_questions_come_first_for_relational_services() -> None:
    point = Point(
        number=1,
        title="t",
        title_source="published",
        summary="s",
        questions=(
            Question("First?", frozenset()),
            Question("Care?", frozenset(), relational=True),
            Question("Live only?", frozenset({"live"})),
            Question("Casework?", frozenset({"discovery"}), relational=True),
        ),
        evidence=("e",),
        outcomes=(),
    )
    assert point.questions_for("discovery") == ("First?", "Care?", "Casework?")
    assert point.questions_for("discovery", "relational") == ("Care?", "Casework?", "First?")
    assert point.questions_for("live", "transactional") == ("First?", "Care?", "Live only?")


KPIS = ("cost per transaction", "user satisfaction", "completion rate", "digital take-up")


@pytest.mark.parametrize(("standard_id", "number"), [("govuk-2019", 10), ("lgdss", 13)])
def test_the_four_kpis_are_named_with_their_status_and_limits(
    catalogue: Catalogue, standard_id: str, number: int
) -> None:
    standard = catalogue.get(standard_id)
    assert standard is not None
    point = standard.point(number)
    text = " ".join([point.summary, *(q.text for q in point.questions)]).lower()
    for kpi in KPIS:
        assert kpi in text, kpi
    assert "central government must publish" in text
    caveat = [q for q in point.questions if q.relational and "four kpis" in q.text.lower()]
    assert caveat, "no question says the four KPIs fit relational services poorly"


def test_lgdss_names_the_accessibility_regulations_that_bind_councils(
    catalogue: Catalogue,
) -> None:
    lgdss = catalogue.get("lgdss")
    assert lgdss is not None
    regulations = (
        "Public Sector Bodies (Websites and Mobile Applications) (No. 2) "
        "Accessibility Regulations 2018"
    )
    texts = [q.text for n in (5, 6) for q in lgdss.point(n).questions]
    assert any(regulations in t for t in texts)


def test_wales_titles_in_welsh_and_groups_as_published(catalogue: Catalogue) -> None:
    wales = catalogue.get("wales-dss")
    assert wales is not None
    assert wales.title_cy == "Safonau Gwasanaeth Digidol Cymru"
    assert {p.number: p.title_cy for p in wales.points} == WELSH_TITLES
    groups: dict[str, list[int]] = {}
    for point in wales.points:
        groups.setdefault(point.group, []).append(point.number)
    assert groups == WALES_GROUPS


def test_wales_point_2_asks_what_a_welsh_council_would_recognise(catalogue: Catalogue) -> None:
    wales = catalogue.get("wales-dss")
    assert wales is not None
    point = wales.point(2)
    assert point.title == "Promote the Welsh language"
    text = " ".join(q.text for q in point.questions)
    assert "Welsh Language Standards" in text
    assert "designed together" in text and "translated" in text
    assert "Welsh speakers have you researched with" in text
    for phase in PHASES:
        assert len(point.questions_for(phase)) >= 4, phase


def test_stats_table_reports_each_standard(catalogue: Catalogue) -> None:
    stats = [standard_stats(s) for s in catalogue]
    table = stats_table(stats).splitlines()
    assert len(table) == 2 + len(catalogue)
    lgdss = next(s for s in stats if s.standard_id == "lgdss")
    assert lgdss.thin_combinations == 0 and lgdss.unmarked_built_thing == 0
    lgdss_standard = catalogue.get("lgdss")
    assert lgdss_standard is not None
    assert lgdss.questions == sum(len(p.questions) for p in lgdss_standard.points)
    row = next(line for line in table if line.startswith("| lgdss |"))
    assert f"| {lgdss.per_phase['beta']} |" in row
    assert f"{lgdss.outcomes_people} / {lgdss.outcomes_organisation}" in row


US_SPELLINGS = re.compile(
    r"\b\w*(organiz|prioritiz|recogniz|analyz|behavior|color|favor|center|catalog\b)\w*",
    re.IGNORECASE,
)


def test_shipped_content_uses_uk_spelling() -> None:
    for path in shipped_files():
        found = US_SPELLINGS.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: {found}"


# --- the model's behaviour ---------------------------------------------------------------


def make_point(number: int = 1) -> Point:
    return Point(
        number=number,
        title="Understand user needs",
        title_source="published",
        summary="Find out who the users are.",
        questions=(
            Question("Who are the users?", frozenset()),
            Question("What did discovery find?", frozenset({"discovery"})),
            Question("What does live research say?", frozenset({"beta", "live"})),
        ),
        evidence=("Research findings",),
        outcomes=(
            Outcome("People say it met their need", "people", "govuk-kpi-user-satisfaction"),
        ),
    )


def make_standard(standard_id: str = "test", numbers: tuple[int, ...] = (1,)) -> Standard:
    return Standard(
        id=standard_id,
        title="Test standard",
        short_title="Test",
        version="1",
        publisher="Tests",
        source="https://example.org",
        licence="MIT",
        description="For tests.",
        points=tuple(make_point(n) for n in numbers),
    )


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("discovery", ("Who are the users?", "What did discovery find?")),
        ("alpha", ("Who are the users?",)),
        ("beta", ("Who are the users?", "What does live research say?")),
        ("live", ("Who are the users?", "What does live research say?")),
    ],
)
def test_questions_for_filters_by_phase(phase: str, expected: tuple[str, ...]) -> None:
    assert make_point().questions_for(phase) == expected


def test_questions_for_rejects_an_unknown_phase() -> None:
    with pytest.raises(ValueError, match="private beta"):
        make_point().questions_for("private beta")


def test_an_outcome_says_how_to_measure_it_in_one_line() -> None:
    described = Outcome(
        "People tell their story once",
        "people",
        source="A question at case closure",
        counts="Share who had to repeat their story",
    )
    assert (
        described.how
        == "Counts share who had to repeat their story; from a question at case closure"
    )
    assert described.about_people
    acronym = Outcome("Feel safe", "people", source="ASCS return", counts="SACE answers")
    assert acronym.how == "Counts SACE answers; from ASCS return"
    linked = Outcome("Satisfied", "people", measure="govuk-kpi-user-satisfaction")
    assert linked.how == ""
    assert not Outcome("Quick", "organisation", source="s", counts="c").about_people


def test_a_point_lists_the_measures_its_outcomes_link_to() -> None:
    point = make_point()
    assert point.measure_ids() == ("govuk-kpi-user-satisfaction",)


def test_attribution_line_falls_back_to_title_and_publisher() -> None:
    standard = make_standard()
    assert standard.attribution_line == (
        "Test standard, Tests. Source: https://example.org Licence: MIT"
    )
    attributed = Standard(
        **{
            **standard.__dict__,
            "licence_url": "https://opensource.org/license/mit",
            "attribution": "From the tests.",
        }
    )
    assert attributed.attribution_line == (
        "From the tests. Source: https://example.org Licence: https://opensource.org/license/mit"
    )


def test_phases_constant_is_in_delivery_order() -> None:
    assert PHASES == ("discovery", "alpha", "beta", "live")


def test_point_lookup_by_number() -> None:
    standard = make_standard(numbers=(1, 2))
    assert standard.point(2).number == 2
    assert standard.point_count == 2
    with pytest.raises(KeyError):
        standard.point(3)


def test_catalogue_lookup_iteration_and_length() -> None:
    first, second = make_standard("one"), make_standard("two")
    catalogue = Catalogue((first, second))
    assert catalogue.get("two") is second
    assert catalogue.get("three") is None
    assert list(catalogue) == [first, second]
    assert len(catalogue) == 2
    assert catalogue.ids() == ("one", "two")


def test_catalogue_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="one"):
        Catalogue((make_standard("one"), make_standard("one")))


def test_loaded_objects_are_frozen(catalogue: Catalogue) -> None:
    standard = catalogue.standards[0]
    with pytest.raises(AttributeError):
        standard.title = "changed"  # type: ignore[misc]


# --- validation: one file, several mistakes ----------------------------------------------


def test_fixture_with_three_mistakes_reports_every_one() -> None:
    path = FIXTURES / "three-mistakes.yml"
    problems = check_standard_file(path)
    assert problems == [
        f"{path}: point 2: title: must not be empty",
        f"{path}: point 3: guidance: unknown key",
        f"{path}: point 1: number: used more than once (positions 1 and 4)",
        f"{path}: points: numbers must run from 1 to 4 with no gaps; missing 4",
    ]


def test_load_standard_file_raises_with_all_the_problems() -> None:
    path = FIXTURES / "three-mistakes.yml"
    with pytest.raises(StandardFileError) as caught:
        load_standard_file(path)
    assert caught.value.problems == tuple(check_standard_file(path))
    assert str(caught.value) == "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 4


# --- validation: one rule at a time --------------------------------------------------------


def valid_point(number: int) -> dict[str, Any]:
    return {
        "number": number,
        "title": f"Point {number}",
        "summary": "What this point is about.",
        "questions": [
            "Who are the users?",
            {"text": "What did discovery find?", "phases": ["discovery"]},
            {"text": "What does the live service show?", "phases": ["beta", "live"]},
        ],
        "evidence": ["Research findings", "Team chart"],
        "outcomes": [
            {"text": "People say it met their need", "about": "people", "measure": "our-survey"},
            {
                "text": "Organisational: decisions are quick",
                "about": "organisation",
                "source": "Decision log",
                "counts": "Days to a decision",
            },
        ],
    }


VALID: dict[str, Any] = {
    "id": "test-standard",
    "title": "Test standard",
    "short_title": "Test",
    "version": "2016",
    "publisher": "Tests",
    "source": "https://example.org/standard",
    "licence": "Open Government Licence v3.0",
    "licence_url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "attribution": "Contains public sector information licensed under the OGL v3.0.",
    "description": "A standard for tests.",
    "points": [valid_point(1), valid_point(2), valid_point(3)],
}

Mutation = Callable[[dict[str, Any]], None]


def setter(*keys: str | int, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def deleter(*keys: str | int) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return mutate


def renumber(*numbers: int) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["points"] = [valid_point(1) for _ in numbers]
        for point, number in zip(data["points"], numbers, strict=True):
            point["number"] = number

    return mutate


def write(tmp_path: Path, data: object, name: str = "standard.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_the_valid_base_document_has_no_problems(tmp_path: Path) -> None:
    assert check_standard_file(write(tmp_path, VALID)) == []


# Each case: a mutation of VALID and the problems expected, without the "FILE: " prefix.
RULES: dict[str, tuple[Mutation, list[str]]] = {
    # top level
    "unknown top-level key": (setter("colour", value="blue"), ["colour: unknown key"]),
    "misspelt key suggests the right one": (
        lambda d: d.update(license=d.pop("licence")),
        ["license: unknown key (did you mean 'licence'?)", "licence: missing"],
    ),
    "missing top-level key": (deleter("publisher"), ["publisher: missing"]),
    "missing points": (deleter("points"), ["points: missing"]),
    "number where text is expected": (
        setter("version", value=2016),
        ["version: expected text, got a number (2016); put it in quotes"],
    ),
    "list where text is expected": (
        setter("title", value=["a"]),
        ["title: expected text, got a list"],
    ),
    "empty text": (setter("publisher", value=""), ["publisher: must not be empty"]),
    "whitespace-only text": (setter("title", value="  \n "), ["title: must not be empty"]),
    "title on two lines": (setter("title", value="Two\nlines"), ["title: must be on one line"]),
    "title with a control character": (
        setter("title", value="Tab\there"),
        ["title: must not contain control characters"],
    ),
    "id too long": (
        setter("id", value="a" * 41),
        ["id: is 41 characters long; the limit is 40"],
    ),
    "id with capitals": (
        setter("id", value="LGDSS"),
        ["id: use only lower-case letters, digits and hyphens (a-z, 0-9, -)"],
    ),
    "id starting with a hyphen": (
        setter("id", value="-lgdss"),
        ["id: use only lower-case letters, digits and hyphens (a-z, 0-9, -)"],
    ),
    "title too long": (
        setter("title", value="t" * 151),
        ["title: is 151 characters long; the limit is 150"],
    ),
    "short title too long": (
        setter("short_title", value="s" * 21),
        ["short_title: is 21 characters long; the limit is 20"],
    ),
    "description too long": (
        setter("description", value="d" * 601),
        ["description: is 601 characters long; the limit is 600"],
    ),
    "source that is not a web address": (
        setter("source", value="localgov.digital/service-standard"),
        ["source: must be a web address starting with https://"],
    ),
    "points not a list": (
        setter("points", value="none"),
        ["points: expected a list, got text ('none')"],
    ),
    "no points": (setter("points", value=[]), ["points: has 0 points; expected between 1 and 50"]),
    "more than 50 points": (
        renumber(*range(1, 52)),
        [
            "points: has 51 points; expected between 1 and 50",
            "point at position 51: number: must be between 1 and 50",
        ],
    ),
    # point level
    "unknown point key": (
        setter("points", 1, "colour", value="red"),
        ["point 2: colour: unknown key"],
    ),
    "missing point key": (deleter("points", 1, "summary"), ["point 2: summary: missing"]),
    "point that is not a mapping": (
        setter("points", 2, value="Point three"),
        [
            "point at position 3: expected a mapping of point fields, got text ('Point three')",
            "points: numbers must run from 1 to 3 with no gaps; missing 3",
        ],
    ),
    "number as text": (
        setter("points", 1, "number", value="2"),
        [
            "point at position 2: number: expected a whole number, got text ('2')",
            "points: numbers must run from 1 to 3 with no gaps; missing 2",
        ],
    ),
    "number as true/false": (
        setter("points", 1, "number", value=True),
        [
            "point at position 2: number: expected a whole number, got true/false (true)",
            "points: numbers must run from 1 to 3 with no gaps; missing 2",
        ],
    ),
    "number zero": (
        setter("points", 0, "number", value=0),
        [
            "point at position 1: number: must be between 1 and 50",
            "points: numbers must run from 1 to 3 with no gaps; missing 1",
        ],
    ),
    "duplicate number": (
        setter("points", 2, "number", value=2),
        [
            "point 2: number: used more than once (positions 2 and 3)",
            "points: numbers must run from 1 to 3 with no gaps; missing 3",
        ],
    ),
    "gap in numbers": (
        renumber(1, 2, 5),
        ["points: numbers must run from 1 to 5 with no gaps; missing 3, 4"],
    ),
    "empty point title": (
        setter("points", 1, "title", value=""),
        ["point 2: title: must not be empty"],
    ),
    "point title too long for a Slack header": (
        setter("points", 1, "title", value="t" * 151),
        ["point 2: title: is 151 characters long; the limit is 150"],
    ),
    "summary too long": (
        setter("points", 1, "summary", value="s" * 601),
        ["point 2: summary: is 601 characters long; the limit is 600"],
    ),
    "unknown title_source": (
        setter("points", 1, "title_source", value="guess"),
        ["point 2: title_source: expected published or paraphrase, got text ('guess')"],
    ),
    # questions
    "too few questions": (
        setter("points", 1, "questions", value=["One?", "Two?"]),
        ["point 2: questions: has 2 questions; expected between 3 and 8"],
    ),
    "too many questions": (
        setter("points", 1, "questions", value=[f"Question {n}?" for n in range(9)]),
        ["point 2: questions: has 9 questions; expected between 3 and 8"],
    ),
    "questions not a list": (
        setter("points", 1, "questions", value="Who?"),
        ["point 2: questions: expected a list, got text ('Who?')"],
    ),
    "question too long": (
        setter("points", 1, "questions", 0, value="q" * 301),
        ["point 2: question 1: is 301 characters long; the limit is 300"],
    ),
    "empty question": (
        setter("points", 1, "questions", 0, value=" "),
        ["point 2: question 1: must not be empty"],
    ),
    "question of the wrong type": (
        setter("points", 1, "questions", 0, value=5),
        ["point 2: question 1: expected text, or a mapping with text and phases, got a number (5)"],
    ),
    "unknown question key": (
        setter("points", 1, "questions", 1, value={"text": "Why?", "phase": ["alpha"]}),
        ["point 2: question 2: phase: unknown key (did you mean 'phases'?)"],
    ),
    "question without text": (
        setter("points", 1, "questions", 1, value={"phases": ["alpha"]}),
        ["point 2: question 2: text: missing"],
    ),
    "unknown phase": (
        setter("points", 1, "questions", 1, "phases", value=["alpha", "betta"]),
        ["point 2: question 2: phases: 'betta' is not a phase; use discovery, alpha, beta or live"],
    ),
    "phase of the wrong type": (
        setter("points", 1, "questions", 1, "phases", value=[1]),
        [
            "point 2: question 2: phases: a number (1) is not a phase; "
            "use discovery, alpha, beta or live"
        ],
    ),
    "phases not a list": (
        setter("points", 1, "questions", 1, "phases", value="alpha"),
        [
            "point 2: question 2: phases: expected a list such as [discovery, alpha], "
            "got text ('alpha')"
        ],
    ),
    "empty phases": (
        setter("points", 1, "questions", 1, "phases", value=[]),
        [
            "point 2: question 2: phases: must name at least one phase; "
            "leave phases out to mean every phase"
        ],
    ),
    "phase listed twice": (
        setter("points", 1, "questions", 1, "phases", value=["beta", "beta"]),
        ["point 2: question 2: phases: beta is listed twice"],
    ),
    "repeated question": (
        setter("points", 1, "questions", 2, value="Who are the users?"),
        ["point 2: question 3: repeats question 1"],
    ),
    # evidence and outcomes
    "no evidence": (
        setter("points", 1, "evidence", value=[]),
        ["point 2: evidence: has 0 items; expected between 1 and 10"],
    ),
    "evidence not a list": (
        setter("points", 1, "evidence", value="Research"),
        ["point 2: evidence: expected a list, got text ('Research')"],
    ),
    "evidence item too long": (
        setter("points", 1, "evidence", 1, value="e" * 301),
        ["point 2: evidence 2: is 301 characters long; the limit is 300"],
    ),
    "repeated evidence": (
        setter("points", 1, "evidence", 1, value="Research findings"),
        ["point 2: evidence 2: repeats evidence 1"],
    ),
    "too many outcomes": (
        setter(
            "points",
            1,
            "outcomes",
            value=[{"text": f"Outcome {n}", "about": "people", "measure": "m"} for n in range(11)],
        ),
        ["point 2: outcomes: has 11 items; expected between 1 and 10"],
    ),
    "empty outcome": (
        setter("points", 1, "outcomes", 0, "text", value=""),
        ["point 2: outcome 1: text: must not be empty"],
    ),
    "outcome too long": (
        setter("points", 1, "outcomes", 0, "text", value="o" * 301),
        ["point 2: outcome 1: text: is 301 characters long; the limit is 300"],
    ),
    "outcome as a plain sentence": (
        setter("points", 1, "outcomes", 0, value="People say it met their need"),
        [
            "point 2: outcome 1: expected a mapping with text, about, and either measure or "
            "source and counts, got text ('People say it met their need')"
        ],
    ),
    "outcome nobody can measure": (
        deleter("points", 1, "outcomes", 0, "measure"),
        [
            "point 2: outcome 1: needs a measure (a template id), or a source and counts "
            "saying how you would measure it; source and counts missing"
        ],
    ),
    "outcome with a source but no counts": (
        deleter("points", 1, "outcomes", 1, "counts"),
        [
            "point 2: outcome 2: needs a measure (a template id), or a source and counts "
            "saying how you would measure it; counts missing"
        ],
    ),
    "outcome with a measure and a source": (
        setter("points", 1, "outcomes", 0, "source", value="A survey"),
        [
            "point 2: outcome 1: names a measure and also says how to measure it; the "
            "template already says where the figure comes from, so keep one or the other"
        ],
    ),
    "outcome about nobody in particular": (
        setter("points", 1, "outcomes", 0, "about", value="users"),
        ["point 2: outcome 1: about: expected people or organisation, got text ('users')"],
    ),
    "outcome without about": (
        deleter("points", 1, "outcomes", 0, "about"),
        ["point 2: outcome 1: about: missing"],
    ),
    "measure id with spaces": (
        setter("points", 1, "outcomes", 0, "measure", value="Completion rate"),
        [
            "point 2: outcome 1: measure: expected a measure template id such as "
            "govuk-kpi-completion-rate"
        ],
    ),
    "relational flag as text": (
        setter("points", 1, "questions", 1, "relational", value="yes"),
        ["point 2: question 2: relational: expected true or false, got text ('yes')"],
    ),
    "all_phases with phases": (
        setter("points", 1, "questions", 1, "all_phases", value=True),
        [
            "point 2: question 2: all_phases: says every phase, but phases lists some; keep "
            "one or the other"
        ],
    ),
    "licence_url that is not a web address": (
        setter("licence_url", value="the OGL"),
        ["licence_url: must be a web address starting with https://"],
    ),
    "missing attribution": (deleter("attribution"), ["attribution: missing"]),
    "missing outcomes": (deleter("points", 1, "outcomes"), ["point 2: outcomes: missing"]),
}


@pytest.mark.parametrize("name", list(RULES))
def test_each_rule_reports_exactly_its_problem(tmp_path: Path, name: str) -> None:
    mutate, expected = RULES[name]
    data = copy.deepcopy(VALID)
    mutate(data)
    path = write(tmp_path, data)
    assert check_standard_file(path) == [f"{path}: {line}" for line in expected]


def test_length_limits_are_inclusive(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID)
    data["id"] = "a" * 40
    data["short_title"] = "s" * 20
    data["points"][0]["title"] = "t" * 150
    data["points"][0]["summary"] = "s" * 600
    data["points"][0]["questions"][0] = "q" * 300
    assert check_standard_file(write(tmp_path, data)) == []


def test_surrounding_whitespace_is_trimmed(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID)
    data["points"][0]["summary"] = "  Folded text.\n"
    standard = load_standard_file(write(tmp_path, data))
    assert standard.points[0].summary == "Folded text."


def test_points_listed_out_of_order_are_sorted(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID)
    data["points"].reverse()
    standard = load_standard_file(write(tmp_path, data))
    assert [p.number for p in standard.points] == [1, 2, 3]


def test_title_source_defaults_to_published(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID)
    data["points"][1]["title_source"] = "paraphrase"
    standard = load_standard_file(write(tmp_path, data))
    assert [p.title_source for p in standard.points] == ["published", "paraphrase", "published"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "top level: the file is empty"),
        ("- just\n- a list\n", "top level: expected a mapping of standard fields, got a list"),
    ],
)
def test_a_document_that_is_not_a_mapping(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "odd.yml"
    path.write_text(content, encoding="utf-8")
    assert check_standard_file(path) == [f"{path}: {expected}"]


def test_yaml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("id: broken\ntitle: Broken\npoints:\n  - number: 1\n   title: x\n")
    problems = check_standard_file(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: line 5, column 4: YAML syntax error: ")


def test_a_repeated_yaml_key_is_reported_with_both_lines(tmp_path: Path) -> None:
    text = yaml.safe_dump(VALID, sort_keys=False)
    text = text.replace("title: Test standard\n", "title: Test standard\ntitle: Again\n", 1)
    path = tmp_path / "repeated.yml"
    path.write_text(text, encoding="utf-8")
    assert check_standard_file(path) == [
        f"{path}: line 3: title: repeats the key on line 2; "
        "YAML would silently keep only the last one"
    ]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "absent.yml"
    problems = check_standard_file(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: cannot read file: ")


def test_a_file_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes("title: Caf\u00e9\n".encode("latin-1"))
    problems = check_standard_file(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: cannot read file: ")


def test_yaml_tags_that_build_python_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "unsafe.yml"
    path.write_text("id: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    problems = check_standard_file(path)
    assert len(problems) == 1
    assert "YAML syntax error" in problems[0]


# --- the catalogue with a council's own files ----------------------------------------------


def local_edition(standard_id: str, title: str) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    data["id"] = standard_id
    data["title"] = title
    return data


def test_extra_dir_adds_a_standard(tmp_path: Path) -> None:
    write(tmp_path, local_edition("our-standard", "Our council's standard"), "ours.yml")
    catalogue = load_catalogue(tmp_path)
    builtin = load_catalogue()
    assert catalogue.ids() == (*builtin.ids(), "our-standard")
    ours = catalogue.get("our-standard")
    assert ours is not None
    assert ours.title == "Our council's standard"


def test_extra_dir_reads_yaml_suffix_too(tmp_path: Path) -> None:
    write(tmp_path, local_edition("from-yaml", "Loaded from .yaml"), "other.yaml")
    assert load_catalogue(tmp_path).get("from-yaml") is not None


def test_extra_dir_ignores_other_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not a standard", encoding="utf-8")
    assert load_catalogue(tmp_path).ids() == load_catalogue().ids()


def test_extra_file_with_a_builtin_id_replaces_the_builtin_in_place(tmp_path: Path) -> None:
    write(tmp_path, local_edition("lgdss", "Our council's LGDSS edition"), "lgdss-local.yml")
    builtin = load_catalogue()
    catalogue = load_catalogue(tmp_path)
    assert catalogue.ids() == builtin.ids()
    lgdss = catalogue.get("lgdss")
    assert lgdss is not None
    assert lgdss.title == "Our council's LGDSS edition"
    assert lgdss.point_count == 3


def test_broken_extra_file_raises_naming_the_file(tmp_path: Path) -> None:
    broken = copy.deepcopy(VALID)
    broken["points"][0]["title"] = ""
    path = write(tmp_path, broken, "broken.yml")
    with pytest.raises(StandardFileError) as caught:
        load_catalogue(tmp_path)
    assert str(path) in str(caught.value)
    assert caught.value.problems == (f"{path}: point 1: title: must not be empty",)


def test_every_broken_extra_file_is_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("id: [\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("", encoding="utf-8")
    with pytest.raises(StandardFileError) as caught:
        load_catalogue(tmp_path)
    assert [p.split(": ")[0] for p in caught.value.problems] == [
        str(tmp_path / "a.yml"),
        str(tmp_path / "b.yml"),
    ]


def test_two_extra_files_with_the_same_id_are_an_error(tmp_path: Path) -> None:
    first = write(tmp_path, local_edition("ours", "First"), "a.yml")
    second = write(tmp_path, local_edition("ours", "Second"), "b.yaml")
    with pytest.raises(StandardFileError) as caught:
        load_catalogue(tmp_path)
    assert caught.value.problems == (f"{second}: id: 'ours' is already used by {first}",)


def test_missing_extra_dir_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(StandardFileError, match="nowhere"):
        load_catalogue(missing)
