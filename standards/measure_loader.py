"""Load measure templates from YAML and refuse anything malformed, as strictly as standards.

Template files sit in ``standards/outcomes/`` (shipped) and in ``outcomes/`` inside
``ASSESSBOT_STANDARDS_DIR`` (a council's own). Every mistake in every file is reported
at once, each worded ``FILE: measure ID: FIELD: PROBLEM``, and a template that names a
point its standard lacks is refused, because a reading linked to a point nobody can
assess would sit beside the wrong self-assessment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from standards.loader import StandardFileError, builtin_standards_dir, read_yaml_file
from standards.measures import (
    SERVICE_TYPES,
    BetterWhen,
    Frequency,
    MeasureLibrary,
    MeasureTemplate,
    MeasureTemplateSet,
    PointLink,
    Unit,
)
from standards.model import Catalogue
from standards.validation import _Checker, _describe

__all__ = [
    "MeasureTemplateError",
    "builtin_outcomes_dir",
    "check_measure_file",
    "check_outcome_links",
    "load_measure_templates",
]

OUTCOMES_DIR = "outcomes"
# Shipped sets in the order a team choosing a template should meet them: the KPIs every
# service knows first, then the relational frameworks. Unlisted files follow by name.
SHIPPED_ORDER: tuple[str, ...] = (
    "govuk-kpis",
    "ascof",
    "making-safeguarding-personal",
    "adoption-scorecard",
    "ons-loneliness",
)
MAX_MEASURES = 30

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_URL_PATTERN = re.compile(r"^https?://[^\s/]+")

# A template's name is offered in a Slack select menu, whose options Slack caps at 75
# characters; the published wording, when longer, goes in ``counts``.
_LIMITS: dict[str, int] = {
    "id": 60,
    "title": 150,
    "publisher": 150,
    "source_url": 500,
    "licence": 150,
    "licence_url": 500,
    "attribution": 300,
    "name": 75,
    "counts": 600,
    "source": 300,
}

_TOP_REQUIRED = (
    "id",
    "title",
    "publisher",
    "source_url",
    "licence",
    "licence_url",
    "attribution",
    "measures",
)
_MEASURE_REQUIRED = (
    "id",
    "name",
    "counts",
    "unit",
    "better_when",
    "frequency",
    "source",
    "service_types",
    "points",
)
_MEASURE_OPTIONAL = ("default_target",)


_Choice = TypeVar("_Choice", Unit, BetterWhen, Frequency)


class MeasureTemplateError(StandardFileError):
    """One or more measure template files are unusable; ``problems`` lists every reason."""


def builtin_outcomes_dir() -> Path:
    """Where the shipped templates live: package data beside the shipped standards."""
    return builtin_standards_dir() / OUTCOMES_DIR


def check_measure_file(path: Path, catalogue: Catalogue) -> list[str]:
    """List every problem with one template file, or nothing if it is usable."""
    return _read(path, catalogue)[1]


def load_measure_templates(catalogue: Catalogue, extra_dir: Path | None = None) -> MeasureLibrary:
    """Load the shipped templates plus a council's own from ``extra_dir/outcomes``.

    ``extra_dir`` is the same folder as ``ASSESSBOT_STANDARDS_DIR`` (what
    ``load_catalogue`` takes); a council without an ``outcomes`` folder in it simply
    adds no templates. A council set whose ``id`` matches a shipped set replaces it in
    place, as a local edition of a standard does. Point links are checked against
    ``catalogue``, so load the catalogue first.

    Raises ``MeasureTemplateError`` listing every problem in every file.
    """
    problems: list[str] = []
    shipped = _load_dir(builtin_outcomes_dir(), (".yml",), catalogue, problems)
    rank = {set_id: index for index, set_id in enumerate(SHIPPED_ORDER)}
    found = dict(sorted(shipped.items(), key=lambda item: rank.get(item[0], len(rank))))
    if extra_dir is not None:
        local = extra_dir / OUTCOMES_DIR
        if local.exists() and not local.is_dir():
            problems.append(f"{local}: not a directory of measure template files")
        elif local.is_dir():
            for set_id, entry in _load_dir(local, (".yml", ".yaml"), catalogue, problems).items():
                found[set_id] = entry
    _check_unique_measure_ids(found, problems)
    if problems:
        raise MeasureTemplateError(problems)
    library = MeasureLibrary(tuple(template_set for _, template_set in found.values()))
    problems.extend(check_outcome_links(catalogue, library))
    if problems:
        raise MeasureTemplateError(problems)
    return library


def check_outcome_links(catalogue: Catalogue, library: MeasureLibrary) -> list[str]:
    """List every standard outcome whose ``measure`` the library cannot back up.

    A link must name a loaded template, and that template must list the point among
    those it is evidence for, so the card and the summary agree on which readings belong
    beside which point.
    """
    problems: list[str] = []
    for standard in catalogue:
        for point in standard.points:
            for index, outcome in enumerate(point.outcomes, 1):
                if outcome.measure is None:
                    continue
                where = f"standard {standard.id}: point {point.number}: outcome {index}: measure"
                template = library.get(outcome.measure)
                if template is None:
                    problems.append(
                        f"{where}: {outcome.measure!r} is not a loaded measure template"
                    )
                elif not template.is_evidence_for(standard.id, point.number):
                    problems.append(
                        f"{where}: {outcome.measure!r} does not list {standard.id} point "
                        f"{point.number} among the points it is evidence for; add it to the "
                        f"template's points in {template.set_id}"
                    )
    return problems


def _load_dir(
    directory: Path, suffixes: tuple[str, ...], catalogue: Catalogue, problems: list[str]
) -> dict[str, tuple[Path, MeasureTemplateSet]]:
    found: dict[str, tuple[Path, MeasureTemplateSet]] = {}
    if not directory.is_dir():
        return found
    paths = sorted(p for p in directory.iterdir() if p.suffix in suffixes and p.is_file())
    for path in paths:
        template_set, file_problems = _read(path, catalogue)
        problems.extend(file_problems)
        if template_set is None:
            continue
        if template_set.id in found:
            first = found[template_set.id][0]
            problems.append(f"{path}: id: {template_set.id!r} is already used by {first}")
            continue
        found[template_set.id] = (path, template_set)
    return found


def _check_unique_measure_ids(
    found: Mapping[str, tuple[Path, MeasureTemplateSet]], problems: list[str]
) -> None:
    # Readings are stored against a template id, so two sets offering the same id
    # would make a reading mean different things depending on which file loaded last.
    owner: dict[str, Path] = {}
    for path, template_set in found.values():
        for template in template_set.measures:
            if template.id in owner:
                problems.append(
                    f"{path}: measure {template.id}: id: already used in {owner[template.id]}"
                )
            else:
                owner[template.id] = path


def _read(path: Path, catalogue: Catalogue) -> tuple[MeasureTemplateSet | None, list[str]]:
    file = str(path)
    read = read_yaml_file(path)
    if isinstance(read, str):
        return None, [read]
    text, data = read
    checker = _MeasureChecker(file, catalogue)
    checker.duplicate_keys(text)
    template_set = checker.template_set(data)
    if checker.problems:
        return None, checker.problems
    return template_set, []


class _MeasureChecker(_Checker):
    """The standards checker's rules and wording, applied to a template file."""

    def __init__(self, file: str, catalogue: Catalogue) -> None:
        super().__init__(file)
        self.catalogue = catalogue

    def template_set(self, data: object) -> MeasureTemplateSet | None:
        if data is None:
            self.add("top level", "the file is empty")
            return None
        if not isinstance(data, dict):
            self.add(
                "top level", f"expected a mapping of template set fields, got {_describe(data)}"
            )
            return None
        self.keys(data, "", _TOP_REQUIRED)

        def field(name: str) -> str:
            if name not in data:
                return ""
            return self.text(data[name], name, _LIMITS[name], one_line=name != "attribution")

        set_id = field("id")
        if set_id and not _ID_PATTERN.match(set_id):
            self.add("id", "use only lower-case letters, digits and hyphens (a-z, 0-9, -)")
        for name in ("source_url", "licence_url"):
            value = field(name)
            if value and not _URL_PATTERN.match(value):
                self.add(name, "must be a web address starting with https://")
        measures = self.measures(data["measures"], set_id) if "measures" in data else ()
        return MeasureTemplateSet(
            id=set_id,
            title=field("title"),
            publisher=field("publisher"),
            source_url=field("source_url"),
            licence=field("licence"),
            licence_url=field("licence_url"),
            attribution=field("attribution"),
            measures=measures,
        )

    def measures(self, value: object, set_id: str) -> tuple[MeasureTemplate, ...]:
        items = self.items(value, "measures", 1, MAX_MEASURES, "measures")
        built: list[MeasureTemplate] = []
        seen: dict[str, int] = {}
        for position, item in enumerate(items, 1):
            template_id = _measure_id(item)
            label = f"measure {template_id}" if template_id else f"measure at position {position}"
            if template_id in seen:
                self.add(f"{label}: id", f"repeats the measure at position {seen[template_id]}")
            elif template_id:
                seen[template_id] = position
            template = self.measure(item, label, set_id)
            if template is not None:
                built.append(template)
        return tuple(built)

    def measure(self, item: object, label: str, set_id: str) -> MeasureTemplate | None:
        if not isinstance(item, dict):
            self.add(label, f"expected a mapping of measure fields, got {_describe(item)}")
            return None
        self.keys(item, label, _MEASURE_REQUIRED, _MEASURE_OPTIONAL)

        def field(name: str, *, one_line: bool = True) -> str:
            if name not in item:
                return ""
            return self.text(item[name], f"{label}: {name}", _LIMITS[name], one_line=one_line)

        template_id = field("id")
        if template_id and not _ID_PATTERN.match(template_id):
            self.add(
                f"{label}: id", "use only lower-case letters, digits and hyphens (a-z, 0-9, -)"
            )
        unit = self.choice(item, label, "unit", Unit)
        better_when = self.choice(item, label, "better_when", BetterWhen)
        frequency = self.choice(item, label, "frequency", Frequency)
        target = self.target(item, label, unit)
        service_types = self.service_types(item, label)
        points = self.links(item["points"], label) if "points" in item else ()
        if unit is None or better_when is None or frequency is None:
            return None
        return MeasureTemplate(
            id=template_id,
            set_id=set_id,
            name=field("name"),
            counts=field("counts", one_line=False),
            unit=unit,
            better_when=better_when,
            frequency=frequency,
            default_target=target,
            source=field("source", one_line=False),
            service_types=service_types,
            points=points,
        )

    def choice(
        self, item: Mapping[object, object], label: str, name: str, kind: type[_Choice]
    ) -> _Choice | None:
        if name not in item:
            return None
        value = item[name]
        options = [member.value for member in kind]
        if not isinstance(value, str) or value not in options:
            self.add(
                f"{label}: {name}", f"expected one of {', '.join(options)}, got {_describe(value)}"
            )
            return None
        return kind(value)

    def target(
        self, item: Mapping[object, object], label: str, unit: Unit | None
    ) -> Decimal | None:
        value = item.get("default_target")
        if value is None:
            return None
        where = f"{label}: default_target"
        if isinstance(value, bool) or not isinstance(value, int | float):
            quote = " without quotes" if isinstance(value, str) else ""
            self.add(where, f"expected a number{quote}, got {_describe(value)}")
            return None
        target = Decimal(str(value))
        if not target.is_finite():
            self.add(where, "must be a finite number")
            return None
        if unit is Unit.PERCENT and not 0 <= target <= 100:
            self.add(where, f"is a percentage, so must be from 0 to 100; got {value}")
        elif unit in (Unit.NUMBER, Unit.POUNDS, Unit.DAYS) and target < 0:
            self.add(where, f"must not be negative for a measure in {unit.value}; got {value}")
        return target

    def service_types(self, item: Mapping[object, object], label: str) -> frozenset[str]:
        if "service_types" not in item:
            return frozenset()
        where = f"{label}: service_types"
        value = item["service_types"]
        example = f"[{', '.join(SERVICE_TYPES)}]"
        if not isinstance(value, list):
            self.add(where, f"expected a list such as {example}, got {_describe(value)}")
            return frozenset()
        if not value:
            self.add(where, f"must name at least one service type: {' or '.join(SERVICE_TYPES)}")
        names: set[str] = set()
        for entry in value:
            if not isinstance(entry, str) or entry not in SERVICE_TYPES:
                shown = repr(entry) if isinstance(entry, str) else _describe(entry)
                self.add(where, f"{shown} is not a service type; use {' or '.join(SERVICE_TYPES)}")
            elif entry in names:
                self.add(where, f"{entry} is listed twice")
            else:
                names.add(entry)
        return frozenset(names)

    def links(self, value: object, label: str) -> tuple[PointLink, ...]:
        where = f"{label}: points"
        if not isinstance(value, dict):
            self.add(
                where,
                f"expected a mapping of standard id to point numbers, such as "
                f"'lgdss: [1, 13]', got {_describe(value)}",
            )
            return ()
        if not value:
            self.add(where, "must name at least one standard point the measure is evidence for")
        links: list[PointLink] = []
        for standard_id, numbers in value.items():
            here = f"{where}: {standard_id}"
            standard = self.catalogue.get(str(standard_id))
            if standard is None:
                loaded = ", ".join(self.catalogue.ids())
                self.add(here, f"no standard with this id is loaded (loaded: {loaded})")
            if not isinstance(numbers, list) or not numbers:
                self.add(
                    here,
                    f"expected a list of point numbers such as [1, 13], got {_describe(numbers)}",
                )
                continue
            for number in numbers:
                if isinstance(number, bool) or not isinstance(number, int):
                    self.add(here, f"expected a point number, got {_describe(number)}")
                    continue
                link = PointLink(str(standard_id), number)
                if link in links:
                    self.add(here, f"point {number} is listed twice")
                    continue
                if standard is not None and number not in {p.number for p in standard.points}:
                    self.add(
                        here,
                        f"{standard_id} has no point {number}; its points run from 1 to "
                        f"{standard.point_count}",
                    )
                    continue
                links.append(link)
        return tuple(links)


def _measure_id(item: object) -> str:
    """The measure's id if it is usable as a label, so problems name the measure."""
    if isinstance(item, dict):
        value = item.get("id")
        if isinstance(value, str) and value.strip() and "\n" not in value:
            return value.strip()
    return ""
