"""The frozen objects a loaded standard becomes.

Everything downstream (Block Kit builders, the assessment flow, exports) works from these
rather than from raw YAML, so a standard is validated once at start-up and can then be
passed around and shared between threads without anyone changing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

PHASES: tuple[str, ...] = ("discovery", "alpha", "beta", "live")
TITLE_SOURCES: tuple[str, ...] = ("published", "paraphrase")


@dataclass(frozen=True)
class Question:
    """A guidance question; ``phases`` is empty when it applies to every phase."""

    text: str
    phases: frozenset[str]

    def applies_to(self, phase: str) -> bool:
        """Say whether to ask this question of a team in ``phase``."""
        return not self.phases or phase in self.phases


@dataclass(frozen=True)
class Point:
    """One numbered point of a standard, with our guidance for assessing it."""

    number: int
    title: str
    title_source: str
    summary: str
    questions: tuple[Question, ...]
    evidence: tuple[str, ...]
    outcomes: tuple[str, ...]

    def questions_for(self, phase: str) -> tuple[str, ...]:
        """Return only the questions worth asking at ``phase``.

        A live service asked about its discovery research, or a discovery team asked
        about uptime, loses trust in the tool; an unknown phase is a programming error,
        so it raises ``ValueError`` rather than quietly returning nothing.
        """
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; expected one of {', '.join(PHASES)}")
        return tuple(q.text for q in self.questions if q.applies_to(phase))


@dataclass(frozen=True)
class Standard:
    """A whole service standard, as loaded from one YAML file."""

    id: str
    title: str
    short_title: str
    version: str
    publisher: str
    source: str
    licence: str
    description: str
    points: tuple[Point, ...]

    def point(self, number: int) -> Point:
        """Find a point by its published number, which is how teams refer to points.

        Raises ``KeyError`` when the standard has no such point, so a stale number
        stored against an assessment fails loudly instead of showing the wrong point.
        """
        for point in self.points:
            if point.number == number:
                return point
        raise KeyError(f"{self.id} has no point {number}")

    @property
    def point_count(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class Catalogue:
    """The standards a running bot offers, in a stable order for menus."""

    standards: tuple[Standard, ...]

    def __post_init__(self) -> None:
        ids = [s.id for s in self.standards]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"standard ids must be unique; repeated: {', '.join(duplicates)}")

    def get(self, standard_id: str) -> Standard | None:
        """Look a standard up by id; ``None`` lets callers answer an unknown id politely."""
        for standard in self.standards:
            if standard.id == standard_id:
                return standard
        return None

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.standards)

    def __iter__(self) -> Iterator[Standard]:
        return iter(self.standards)

    def __len__(self) -> int:
        return len(self.standards)
