"""Load service standards from YAML files and refuse anything malformed.

Standards are content, and councils are expected to edit them and ship local editions. A
bad file must never reach Slack half-loaded, so loading either yields a complete, valid
``Standard`` or raises ``StandardFileError`` listing every problem in every file at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from standards.model import (
    OUTCOME_ABOUT,
    PHASES,
    TITLE_SOURCES,
    Catalogue,
    Outcome,
    Point,
    Question,
    Standard,
)
from standards.validation import validate

__all__ = [
    "OUTCOME_ABOUT",
    "PHASES",
    "TITLE_SOURCES",
    "Catalogue",
    "Outcome",
    "Point",
    "Question",
    "Standard",
    "StandardFileError",
    "builtin_standards_dir",
    "check_standard_file",
    "load_catalogue",
    "load_standard_file",
]


class StandardFileError(Exception):
    """One or more standard files are unusable; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


def builtin_standards_dir() -> Path:
    """Where the shipped standards live; they are package data, installed beside this module."""
    return Path(__file__).resolve().parent


def check_standard_file(path: Path) -> list[str]:
    """List every problem with a standard file, or nothing if it is usable.

    Never raises for anything wrong with the file itself (missing, unreadable, bad YAML,
    bad content), so an editor or a CI check can show all the problems at once.
    """
    return _read(path)[1]


def load_standard_file(path: Path) -> Standard:
    """Load one standard file, refusing it with all its problems if any are found."""
    standard, problems = _read(path)
    if standard is None or problems:
        raise StandardFileError(problems)
    return standard


def load_catalogue(extra_dir: Path | None = None) -> Catalogue:
    """Load the shipped standards plus any in ``extra_dir``.

    Every ``*.yml`` and ``*.yaml`` file in ``extra_dir`` is loaded. An extra file whose
    ``id`` matches a shipped standard replaces that standard (keeping its place in the
    order), so a council can ship a local edition of, say, ``lgdss`` without forking the
    bot. Other extra standards follow the shipped ones, in file-name order.

    Raises ``StandardFileError`` naming each broken file, and when two files in the same
    place share an id, because silently picking one would hide a mistake.
    """
    catalogue = _load_dir(builtin_standards_dir(), (".yml",))
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise StandardFileError([f"{extra_dir}: not a directory of standard files"])
        for standard in _load_dir(extra_dir, (".yml", ".yaml")).values():
            catalogue[standard.id] = standard
    return Catalogue(tuple(catalogue.values()))


def _load_dir(directory: Path, suffixes: tuple[str, ...]) -> dict[str, Standard]:
    """Load a directory of standards, reporting every broken file together."""
    paths = sorted(p for p in directory.iterdir() if p.suffix in suffixes and p.is_file())
    problems: list[str] = []
    found: dict[str, tuple[Path, Standard]] = {}
    for path in paths:
        standard, file_problems = _read(path)
        problems.extend(file_problems)
        if standard is None:
            continue
        if standard.id in found:
            first = found[standard.id][0]
            problems.append(f"{path}: id: {standard.id!r} is already used by {first}")
            continue
        found[standard.id] = (path, standard)
    if problems:
        raise StandardFileError(problems)
    return {standard_id: standard for standard_id, (_, standard) in found.items()}


def read_yaml_file(path: Path) -> tuple[str, Any] | str:
    """The file's text and parsed YAML, or the one problem (with file and line) that stops it.

    Standards and measure templates share it, so a council sees the same words for the same
    mistake in either kind of file."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"{file}: cannot read file: {exc}"
    try:
        return text, yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        reason = exc.problem or exc.context or "invalid YAML"
        return f"{file}: {where}: YAML syntax error: {reason}"
    except yaml.YAMLError as exc:
        return f"{file}: YAML syntax error: {exc}"


def _read(path: Path) -> tuple[Standard | None, list[str]]:
    read = read_yaml_file(path)
    if isinstance(read, str):
        return None, [read]
    text, data = read
    return validate(str(path), text, data)
