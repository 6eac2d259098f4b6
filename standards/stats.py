"""Counts that say whether a standard's content is fit to assess with, phase by phase.

The numbers a reviewer of a standard file asks for: how many questions each phase gets,
how many are asked in every phase, which of those mention something that only exists
once a service is built, how many outcomes are about people rather than the
organisation, and how many questions are written for relational services. The tests
hold the shipped files to these; ``assessbot standards stats`` prints them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from standards.model import PHASES, Question, Standard

MIN_PER_PHASE = 3

# Words that usually mean a question is about something already built or running. A
# question using one must either name its phases or say ``all_phases: true``.
BUILT_THING_WORDS: tuple[str, ...] = (
    "published",
    "publish",
    "monitor",
    "monitoring",
    "live",
    "statement",
    "code",
    "test environment",
    "release",
    "released",
    "dashboard",
    "launch",
    "since launch",
    "analytics",
    "outage",
    "uptime",
    "go-live",
    "deployed",
    "incident",
    "in use",
)
_BUILT = re.compile(r"\b(" + "|".join(re.escape(w) for w in BUILT_THING_WORDS) + r")\b", re.I)


def built_thing_words(text: str) -> tuple[str, ...]:
    """The built-thing words in ``text``, lower-cased, in order of appearance."""
    return tuple(match.group(1).lower() for match in _BUILT.finditer(text))


def needs_phases(question: Question) -> bool:
    """Say whether a question is asked in every phase without anyone having meant it.

    True when the question has no phases, mentions something built or live, and is not
    marked ``all_phases``: the shape of "Where is your code published?" asked in discovery.
    """
    return (
        not question.phases and not question.all_phases and bool(built_thing_words(question.text))
    )


def unmarked_repeats(standards: Iterable[Standard]) -> list[str]:
    """Questions asked word for word in more than one point, in one file or across files.

    A team assessed against two standards, or two points of one, should not meet the
    same question twice by accident. A repeat is allowed only where every copy says
    ``shared: true``; each other copy is named against the first place it appeared.
    """
    first: dict[str, tuple[str, int, bool]] = {}
    problems: list[str] = []
    for standard in standards:
        for point in standard.points:
            for question in point.questions:
                seen = first.get(question.text)
                if seen is None:
                    first[question.text] = (standard.id, point.number, question.shared)
                elif seen[:2] != (standard.id, point.number) and not (seen[2] and question.shared):
                    problems.append(
                        f"{standard.id} point {point.number}: {question.text!r} repeats "
                        f"{seen[0]} point {seen[1]}; reword it or mark both copies shared: true"
                    )
    return problems


@dataclass(frozen=True)
class StandardStats:
    """The review counts for one standard."""

    standard_id: str
    points: int
    questions: int
    per_phase: dict[str, int]
    thinnest: int
    thin_combinations: int
    unphased: int
    unphased_on_purpose: int
    unmarked_built_thing: int
    relational: int
    outcomes_people: int
    outcomes_organisation: int
    outcomes_linked: int
    outcomes_described: int


def standard_stats(standard: Standard) -> StandardStats:
    questions = [q for p in standard.points for q in p.questions]
    outcomes = [o for p in standard.points for o in p.outcomes]
    counts = [len(p.questions_for(phase)) for p in standard.points for phase in PHASES]
    return StandardStats(
        standard_id=standard.id,
        points=standard.point_count,
        questions=len(questions),
        per_phase={
            phase: sum(len(p.questions_for(phase)) for p in standard.points) for phase in PHASES
        },
        thinnest=min(counts, default=0),
        thin_combinations=sum(1 for c in counts if c < MIN_PER_PHASE),
        unphased=sum(1 for q in questions if not q.phases),
        unphased_on_purpose=sum(1 for q in questions if q.all_phases),
        unmarked_built_thing=sum(1 for q in questions if needs_phases(q)),
        relational=sum(1 for q in questions if q.relational),
        outcomes_people=sum(1 for o in outcomes if o.about == "people"),
        outcomes_organisation=sum(1 for o in outcomes if o.about == "organisation"),
        outcomes_linked=sum(1 for o in outcomes if o.measure is not None),
        outcomes_described=sum(1 for o in outcomes if o.measure is None),
    )


def stats_table(stats: list[StandardStats]) -> str:
    """A Markdown table of the counts, one row per standard, for notes and issue comments."""
    header = (
        "| standard | points | questions | discovery | alpha | beta | live | fewest in a "
        "point/phase | point/phases under 3 | unphased (on purpose) | unmarked built-thing "
        "| relational | outcomes people / organisation | linked / described |"
    )
    rule = "|" + "---|" * 14
    rows = [
        f"| {s.standard_id} | {s.points} | {s.questions} | "
        + " | ".join(str(s.per_phase[phase]) for phase in PHASES)
        + f" | {s.thinnest} | {s.thin_combinations} | {s.unphased} ({s.unphased_on_purpose}) | "
        f"{s.unmarked_built_thing} | {s.relational} | {s.outcomes_people} / "
        f"{s.outcomes_organisation} | {s.outcomes_linked} / {s.outcomes_described} |"
        for s in stats
    ]
    return "\n".join([header, rule, *rows])
