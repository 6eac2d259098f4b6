"""The frozen objects a measure template file becomes.

A measure template is a published outcome measure (a GOV.UK KPI, an ASCOF measure, a
Making Safeguarding Personal count...) described once, so a team can start tracking it
without inventing a definition. Templates link to the standard points they are evidence
for, which is how a reading can sit beside the self-assessment of that point.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

SERVICE_TYPES: tuple[str, ...] = ("transactional", "relational")


class Unit(StrEnum):
    """What a reading is counted in; the value parser and the display both depend on it."""

    PERCENT = "percent"
    NUMBER = "number"
    POUNDS = "pounds"
    DAYS = "days"
    SCORE = "score"


class BetterWhen(StrEnum):
    """Which direction is an improvement, so trends and targets read the right way round."""

    HIGHER = "higher"
    LOWER = "lower"


class Frequency(StrEnum):
    """How often a reading is due."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True)
class PointLink:
    """A standard point a measure is evidence for, named as teams name points."""

    standard_id: str
    point_number: int


@dataclass(frozen=True)
class MeasureTemplate:
    """One outcome measure as published, ready to be adopted by a service."""

    id: str
    set_id: str
    name: str
    counts: str
    unit: Unit
    better_when: BetterWhen
    frequency: Frequency
    default_target: Decimal | None
    source: str
    service_types: frozenset[str]
    points: tuple[PointLink, ...]

    def is_evidence_for(self, standard_id: str, point_number: int) -> bool:
        """Say whether this measure speaks to the given point of the given standard."""
        return PointLink(standard_id, point_number) in self.points


@dataclass(frozen=True)
class MeasureTemplateSet:
    """One file of templates from one publisher, with the licence its wording comes under."""

    id: str
    title: str
    publisher: str
    source_url: str
    licence: str
    licence_url: str
    attribution: str
    measures: tuple[MeasureTemplate, ...]


@dataclass(frozen=True)
class MeasureLibrary:
    """Every template set a running bot offers, in a stable order for menus."""

    sets: tuple[MeasureTemplateSet, ...]

    def __post_init__(self) -> None:
        ids = [t.id for s in self.sets for t in s.measures]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"measure ids must be unique; repeated: {', '.join(duplicates)}")

    def get(self, template_id: str) -> MeasureTemplate | None:
        """Look a template up by id; ``None`` lets callers answer an unknown id politely."""
        for template in self.templates():
            if template.id == template_id:
                return template
        return None

    def get_set(self, set_id: str) -> MeasureTemplateSet | None:
        """Look a template set up by id, for its licence and attribution."""
        for template_set in self.sets:
            if template_set.id == set_id:
                return template_set
        return None

    def templates(self) -> tuple[MeasureTemplate, ...]:
        """Every template, set by set, in file order."""
        return tuple(t for s in self.sets for t in s.measures)

    def for_point(self, standard_id: str, point_number: int) -> tuple[MeasureTemplate, ...]:
        """The templates that are evidence for one point, for the assessment card."""
        return tuple(t for t in self.templates() if t.is_evidence_for(standard_id, point_number))

    def __iter__(self) -> Iterator[MeasureTemplateSet]:
        return iter(self.sets)

    def __len__(self) -> int:
        return len(self.sets)
