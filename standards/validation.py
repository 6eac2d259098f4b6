"""Check a parsed standard document and build it, collecting every problem on the way.

The person fixing a standard file is often not a developer, so each problem is worded as
``FILE: point N: FIELD: PROBLEM`` (or ``FILE: FIELD: PROBLEM`` at the top level), names
values the way they look in YAML, and never stops at the first mistake.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Mapping

import yaml

from standards.model import OUTCOME_ABOUT, PHASES, TITLE_SOURCES, Outcome, Point, Question, Standard

MIN_POINTS = 1
# Far above any real standard (the longest has 18 points) and keeps a one-block-per-point
# overview inside Slack's limit of 50 blocks in a message.
MAX_POINTS = 50
MIN_QUESTIONS = 3
# Room for three questions in every phase plus the ones written for relational services,
# while one point's questions still read as one short Slack section.
MAX_QUESTIONS = 8
# Lists are bounded so that one point still reads as one short card in Slack.
MAX_LIST_ITEMS = 10

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# Limits on text after surrounding whitespace is stripped. Point titles go into Slack
# header blocks, which Slack caps at 150 characters.
_LIMITS: dict[str, int] = {
    "id": 40,
    "title": 150,
    "short_title": 20,
    "version": 20,
    "publisher": 150,
    "source": 500,
    "licence": 150,
    "licence_url": 500,
    "attribution": 400,
    "title_cy": 150,
    "description": 600,
    "point title": 150,
    "summary": 600,
    "question": 300,
    "list item": 300,
    "outcome source": 300,
    "outcome counts": 300,
    "measure": 60,
    "group": 60,
}

_TOP_REQUIRED = (
    "id",
    "title",
    "short_title",
    "version",
    "publisher",
    "source",
    "licence",
    "licence_url",
    "attribution",
    "description",
    "points",
)
_TOP_OPTIONAL = ("title_cy",)
_POINT_REQUIRED = ("number", "title", "summary", "questions", "evidence", "outcomes")
_POINT_OPTIONAL = ("title_source", "title_cy", "group")
_QUESTION_REQUIRED = ("text",)
_QUESTION_FLAGS = ("relational", "all_phases", "shared")
_QUESTION_OPTIONAL = ("phases", *_QUESTION_FLAGS)
_OUTCOME_REQUIRED = ("text", "about")
_OUTCOME_OPTIONAL = ("measure", "source", "counts")
_MEASURE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def validate(file: str, text: str, data: object) -> tuple[Standard | None, list[str]]:
    """Build a standard from ``data`` (parsed from ``text``), or explain why it cannot be.

    ``text`` is needed as well as ``data`` because some mistakes, such as a key written
    twice, vanish during parsing and can only be seen in the original.
    """
    checker = _Checker(file)
    checker.duplicate_keys(text)
    standard = checker.standard(data)
    if checker.problems:
        return None, checker.problems
    return standard, []


def _describe(value: object) -> str:
    """Name a YAML value the way someone editing the file would recognise it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, datetime.date):
        return f"a date ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Checker:
    """Walks parsed YAML, building the dataclasses and noting every problem on the way."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.problems.append(f"{self.file}: {where}: {problem}")

    def duplicate_keys(self, text: str) -> None:
        # safe_load keeps the last of two identical keys without a word, which hides
        # copy-and-paste mistakes, so walk the node tree (in file order) for repeats.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            self._duplicate_keys(root, set())

    def _duplicate_keys(self, node: yaml.Node, visited: set[int]) -> None:
        if id(node) in visited:  # an alias can point back at a node already checked
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key, line = str(key_node.value), key_node.start_mark.line + 1
                    if key in seen:
                        self.add(
                            f"line {line}",
                            f"{key}: repeats the key on line {seen[key]}; "
                            "YAML would silently keep only the last one",
                        )
                    else:
                        seen[key] = line
                self._duplicate_keys(value_node, visited)
        elif isinstance(node, yaml.SequenceNode):
            for child in node.value:
                self._duplicate_keys(child, visited)

    def keys(
        self,
        data: Mapping[object, object],
        where: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> None:
        allowed = required + optional
        prefix = f"{where}: " if where else ""
        for key in data:
            if key in allowed:
                continue
            # A high cutoff: a wrong guess ("guidance" -> "evidence") misleads more than none.
            hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            self.add(f"{prefix}{key}", f"unknown key{suggestion}")
        for key in required:
            if key not in data:
                self.add(f"{prefix}{key}", "missing")

    def text(self, value: object, where: str, limit: int, *, one_line: bool = False) -> str:
        if not isinstance(value, str):
            quote = "; put it in quotes" if isinstance(value, int | float | datetime.date) else ""
            self.add(where, f"expected text, got {_describe(value)}{quote}")
            return ""
        text = value.strip()
        if not text:
            self.add(where, "must not be empty")
            return ""
        if len(text) > limit:
            self.add(where, f"is {len(text)} characters long; the limit is {limit}")
        if one_line and "\n" in text:
            self.add(where, "must be on one line")
        elif one_line and any(ord(character) < 32 for character in text):
            # Control characters have no place in a heading, and the summary's load joins
            # point titles with one of them (storage.summary_queries.POINT_SEPARATOR).
            self.add(where, "must not contain control characters")
        return text

    def items(self, value: object, where: str, low: int, high: int, noun: str) -> list[object]:
        if not isinstance(value, list):
            self.add(where, f"expected a list, got {_describe(value)}")
            return []
        if not low <= len(value) <= high:
            self.add(where, f"has {len(value)} {noun}; expected between {low} and {high}")
        return value

    def text_list(self, value: object, label: str, field: str, item: str) -> tuple[str, ...]:
        where = f"{label}: {field}"
        texts: list[str] = []
        for index, entry in enumerate(self.items(value, where, 1, MAX_LIST_ITEMS, "items"), 1):
            texts.append(self.text(entry, f"{label}: {item} {index}", _LIMITS["list item"]))
        self.repeats(texts, label, item)
        return tuple(texts)

    def repeats(self, texts: list[str], label: str, item: str) -> None:
        seen: dict[str, int] = {}
        for index, text in enumerate(texts, 1):
            if not text:
                continue
            if text in seen:
                self.add(f"{label}: {item} {index}", f"repeats {item} {seen[text]}")
            else:
                seen[text] = index

    def standard(self, data: object) -> Standard | None:
        if data is None:
            self.add("top level", "the file is empty")
            return None
        if not isinstance(data, dict):
            self.add("top level", f"expected a mapping of standard fields, got {_describe(data)}")
            return None
        self.keys(data, "", _TOP_REQUIRED, _TOP_OPTIONAL)

        def field(name: str, *, one_line: bool = True) -> str:
            if name not in data:
                return ""
            return self.text(data[name], name, _LIMITS[name], one_line=one_line)

        standard_id = field("id")
        if standard_id and not _ID_PATTERN.match(standard_id):
            self.add("id", "use only lower-case letters, digits and hyphens (a-z, 0-9, -)")
        source = field("source")
        for name, value in (("source", source), ("licence_url", field("licence_url"))):
            if value and not re.match(r"^https?://[^\s/]+", value):
                self.add(name, "must be a web address starting with https://")
        standard = Standard(
            id=standard_id,
            title=field("title"),
            short_title=field("short_title"),
            version=field("version"),
            publisher=field("publisher"),
            source=source,
            licence=field("licence"),
            description=field("description", one_line=False),
            points=self.points(data["points"]) if "points" in data else (),
            licence_url=field("licence_url"),
            attribution=field("attribution", one_line=False),
            title_cy=field("title_cy"),
        )
        return None if self.problems else standard

    def points(self, value: object) -> tuple[Point, ...]:
        items = self.items(value, "points", MIN_POINTS, MAX_POINTS, "points")
        built: list[Point] = []
        positions: dict[int, list[int]] = {}
        for position, item in enumerate(items, 1):
            number = _point_number(item)
            if number is None:
                label = f"point at position {position}"
            else:
                label = f"point {number}"
                positions.setdefault(number, []).append(position)
            point = self.point(item, label)
            if point is not None:
                built.append(point)
        for number, seen_at in sorted(positions.items()):
            if len(seen_at) > 1:
                listed = " and ".join(str(p) for p in seen_at)
                self.add(f"point {number}: number", f"used more than once (positions {listed})")
        if positions:
            top = max(max(positions), min(len(items), MAX_POINTS))
            missing = sorted(set(range(1, top + 1)) - set(positions))
            if missing:
                listed = ", ".join(str(n) for n in missing)
                self.add(
                    "points", f"numbers must run from 1 to {top} with no gaps; missing {listed}"
                )
        return tuple(sorted(built, key=lambda p: p.number))

    def point(self, item: object, label: str) -> Point | None:
        if not isinstance(item, dict):
            self.add(label, f"expected a mapping of point fields, got {_describe(item)}")
            return None
        self.keys(item, label, _POINT_REQUIRED, _POINT_OPTIONAL)
        number = item.get("number")
        if "number" in item and _point_number(item) is None:
            if isinstance(number, int) and not isinstance(number, bool):
                self.add(f"{label}: number", f"must be between 1 and {MAX_POINTS}")
            else:
                self.add(f"{label}: number", f"expected a whole number, got {_describe(number)}")
        title_source = item.get("title_source", "published")
        if title_source not in TITLE_SOURCES:
            self.add(
                f"{label}: title_source",
                f"expected {' or '.join(TITLE_SOURCES)}, got {_describe(title_source)}",
            )

        def field(name: str, limit: int, *, one_line: bool = False) -> str:
            if name not in item:
                return ""
            return self.text(item[name], f"{label}: {name}", limit, one_line=one_line)

        point = Point(
            number=number if isinstance(number, int) else 0,
            title=field("title", _LIMITS["point title"], one_line=True),
            title_source=str(title_source),
            summary=field("summary", _LIMITS["summary"]),
            questions=self.questions(item["questions"], label) if "questions" in item else (),
            evidence=self.text_list(item.get("evidence"), label, "evidence", "evidence")
            if "evidence" in item
            else (),
            outcomes=self.outcomes(item["outcomes"], label) if "outcomes" in item else (),
            title_cy=field("title_cy", _LIMITS["title_cy"], one_line=True),
            group=field("group", _LIMITS["group"], one_line=True),
        )
        return point if _point_number(item) is not None else None

    def questions(self, value: object, label: str) -> tuple[Question, ...]:
        where = f"{label}: questions"
        items = self.items(value, where, MIN_QUESTIONS, MAX_QUESTIONS, "questions")
        built: list[Question] = []
        for index, item in enumerate(items, 1):
            where = f"{label}: question {index}"
            if isinstance(item, str):
                built.append(Question(self.text(item, where, _LIMITS["question"]), frozenset()))
            elif isinstance(item, dict):
                self.keys(item, where, _QUESTION_REQUIRED, _QUESTION_OPTIONAL)
                text = ""
                if "text" in item:
                    text = self.text(item["text"], f"{where}: text", _LIMITS["question"])
                phases = self.phases(item["phases"], where) if "phases" in item else frozenset()
                flags = {name: self.flag(item, where, name) for name in _QUESTION_FLAGS}
                if flags["all_phases"] and "phases" in item:
                    self.add(
                        f"{where}: all_phases",
                        "says every phase, but phases lists some; keep one or the other",
                    )
                built.append(Question(text, phases, **flags))
            else:
                self.add(
                    where,
                    f"expected text, or a mapping with text and phases, got {_describe(item)}",
                )
        self.repeats([q.text for q in built], label, "question")
        return tuple(built)

    def flag(self, item: Mapping[object, object], where: str, name: str) -> bool:
        value = item.get(name, False)
        if not isinstance(value, bool):
            self.add(f"{where}: {name}", f"expected true or false, got {_describe(value)}")
            return False
        return value

    def outcomes(self, value: object, label: str) -> tuple[Outcome, ...]:
        items = self.items(value, f"{label}: outcomes", 1, MAX_LIST_ITEMS, "items")
        built: list[Outcome] = []
        for index, item in enumerate(items, 1):
            outcome = self.outcome(item, f"{label}: outcome {index}")
            if outcome is not None:
                built.append(outcome)
        self.repeats([o.text for o in built], label, "outcome")
        return tuple(built)

    def outcome(self, item: object, where: str) -> Outcome | None:
        if not isinstance(item, dict):
            self.add(
                where,
                "expected a mapping with text, about, and either measure or source and "
                f"counts, got {_describe(item)}",
            )
            return None
        self.keys(item, where, _OUTCOME_REQUIRED, _OUTCOME_OPTIONAL)

        def field(name: str, limit: int) -> str | None:
            if name not in item:
                return None
            return self.text(item[name], f"{where}: {name}", limit, one_line=name == "measure")

        text = field("text", _LIMITS["list item"]) or ""
        about = item.get("about")
        if "about" in item and about not in OUTCOME_ABOUT:
            self.add(
                f"{where}: about", f"expected {' or '.join(OUTCOME_ABOUT)}, got {_describe(about)}"
            )
        measure = field("measure", _LIMITS["measure"])
        if measure and not _MEASURE_ID.match(measure):
            self.add(
                f"{where}: measure",
                "expected a measure template id such as govuk-kpi-completion-rate",
            )
        source = field("source", _LIMITS["outcome source"])
        counts = field("counts", _LIMITS["outcome counts"])
        if measure is not None and (source is not None or counts is not None):
            self.add(
                where,
                "names a measure and also says how to measure it; the template already says "
                "where the figure comes from, so keep one or the other",
            )
        elif measure is None and (source is None or counts is None):
            missing = " and ".join(
                n for n, v in (("source", source), ("counts", counts)) if v is None
            )
            self.add(
                where,
                "needs a measure (a template id), or a source and counts saying how you would "
                f"measure it; {missing} missing",
            )
        return Outcome(text, str(about), measure, source, counts)

    def phases(self, value: object, where: str) -> frozenset[str]:
        where = f"{where}: phases"
        if not isinstance(value, list):
            self.add(where, f"expected a list such as [discovery, alpha], got {_describe(value)}")
            return frozenset()
        if not value:
            self.add(where, "must name at least one phase; leave phases out to mean every phase")
        names: set[str] = set()
        for phase in value:
            if not isinstance(phase, str) or phase not in PHASES:
                shown = repr(phase) if isinstance(phase, str) else _describe(phase)
                self.add(where, f"{shown} is not a phase; use {', '.join(PHASES[:-1])} or live")
            elif phase in names:
                self.add(where, f"{phase} is listed twice")
            else:
                names.add(phase)
        return frozenset(names)


def _point_number(item: object) -> int | None:
    """The point's number if it is usable as a label, so problems name the point as teams do."""
    if not isinstance(item, dict):
        return None
    number = item.get("number")
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= MAX_POINTS:
        return number
    return None
