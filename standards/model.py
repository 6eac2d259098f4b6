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
OUTCOME_ABOUT: tuple[str, ...] = ("people", "organisation")


@dataclass(frozen=True)
class Question:
    """A guidance question; ``phases`` is empty when it applies to every phase.

    ``relational`` marks a question written for care, support and casework services, so
    the card can put it first for them. ``all_phases`` records that a question naming
    something built or live is asked in every phase on purpose; ``shared`` that its
    wording deliberately appears in more than one point or standard.
    """

    text: str
    phases: frozenset[str]
    relational: bool = False
    all_phases: bool = False
    shared: bool = False

    def applies_to(self, phase: str) -> bool:
        """Say whether to ask this question of a team in ``phase``."""
        return not self.phases or phase in self.phases


@dataclass(frozen=True)
class Outcome:
    """What would be true for people (or, plainly labelled, the organisation) if a point works.

    An outcome either names a measure template (``measure``, checked against the loaded
    templates) or says how you would measure it: ``source`` is where the figure comes
    from and ``counts`` what is counted. A sentence nobody can measure is refused.
    """

    text: str
    about: str
    measure: str | None = None
    source: str | None = None
    counts: str | None = None

    @property
    def how(self) -> str:
        """How to measure it in one line, for a card or a report; empty when linked."""
        if self.measure is not None:
            return ""
        return f"Counts {_lower_first(self.counts or '')}; from {_lower_first(self.source or '')}"

    @property
    def about_people(self) -> bool:
        return self.about == "people"


@dataclass(frozen=True)
class Point:
    """One numbered point of a standard, with our guidance for assessing it."""

    number: int
    title: str
    title_source: str
    summary: str
    questions: tuple[Question, ...]
    evidence: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    title_cy: str = ""
    group: str = ""

    def questions_for(self, phase: str, service_type: str | None = None) -> tuple[str, ...]:
        """Return only the questions worth asking at ``phase``.

        A live service asked about its discovery research, or a discovery team asked
        about uptime, loses trust in the tool; an unknown phase is a programming error,
        so it raises ``ValueError`` rather than quietly returning nothing. For a
        ``relational`` service the questions written for care and casework come first.
        """
        return tuple(q.text for q in self.phase_questions(phase, service_type))

    def phase_questions(self, phase: str, service_type: str | None = None) -> tuple[Question, ...]:
        """The questions for ``phase`` as objects, relational ones first where they fit."""
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; expected one of {', '.join(PHASES)}")
        asked = [q for q in self.questions if q.applies_to(phase)]
        if service_type == "relational":
            asked.sort(key=lambda q: not q.relational)  # stable: file order otherwise
        return tuple(asked)

    def measure_ids(self) -> tuple[str, ...]:
        """The measure templates this point's outcomes link to, for the assessment card."""
        return tuple(o.measure for o in self.outcomes if o.measure is not None)


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
    licence_url: str = ""
    attribution: str = ""
    title_cy: str = ""

    @property
    def attribution_line(self) -> str:
        """One line naming the standard, its publisher and licence, for lists, exports and reports.

        The Open Government Licence asks re-users to acknowledge the source and, where
        possible, link to the licence; anything that names a standard can print this.
        """
        licence = self.licence_url or self.licence
        if self.attribution:
            return f"{self.attribution} Source: {self.source} Licence: {licence}"
        return f"{self.title}, {self.publisher}. Source: {self.source} Licence: {licence}"

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


def _lower_first(text: str) -> str:
    """Lower-case a sentence's first letter to run it on, but leave an acronym (ASCS) alone."""
    word = text.split(" ", 1)[0]
    if len(word) > 1 and word.isupper():
        return text
    return text[:1].lower() + text[1:]
