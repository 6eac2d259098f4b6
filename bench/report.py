"""One table for the terminal and bench/RESULTS.md: every figure that has a target, with its
verdict; then each benchmark's details, notes and the reasons for any target missed."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MET = "met"
MISSED = "MISSED"
INFO = ""


@dataclass(frozen=True)
class Row:
    """One line of the summary table."""

    bench: str
    case: str
    metric: str
    value: str
    target: str = ""
    verdict: str = INFO


@dataclass
class BenchResult:
    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # Markdown lines
    notes: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # "what: why"
    seconds: float = 0.0
    raw: dict[str, Any] = field(default_factory=dict)


def verdict(ok: bool) -> str:
    return MET if ok else MISSED


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(header), *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    out = []
    for index, row in enumerate(cells):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in out)


SUMMARY_HEADER = ("benchmark", "case", "measure", "value", "target", "result")


def summary_rows(results: Sequence[BenchResult]) -> list[tuple[str, ...]]:
    return [
        (row.bench, row.case, row.metric, row.value, row.target, row.verdict)
        for result in results
        for row in result.rows
    ]


def revision() -> str:
    """The commit measured, and whether code outside bench/ differed from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit}" + (" with uncommitted changes outside bench/" if changed else "")


def code_measured(at_start: str, at_end: str) -> str:
    if at_start == at_end:
        return f"code at commit {at_start}"
    return (
        f"code at commit {at_start} when the run started but {at_end} when it ended: the code "
        "changed during the run, so later benchmarks measured newer code"
    )


def machine() -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "processor": platform.processor() or platform.machine(),
    }


def render_markdown(
    results: Sequence[BenchResult],
    *,
    quick: bool,
    total_seconds: float,
    noise: Sequence[str],
    code: str = "",
) -> str:
    """`code` says which code was measured (see `code_measured`)."""
    info = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Run by `make bench` ({'quick smoke sizes' if quick else 'full sizes'}) on "
        f"{info['date']}: **{info['cpus']} CPUs** ({info['processor']}), {info['platform']}, "
        f"Python {info['python']}, {code or 'code at commit ' + revision()}. The whole run "
        f"took {total_seconds / 60:.1f} minutes.",
        "",
        "## Noise and what shares the cores",
        "",
        *[f"- {line}" for line in noise],
        "",
        "## Targets",
        "",
        *markdown_table(SUMMARY_HEADER, summary_rows(results)),
        "",
    ]
    missed = [(result.title, reason) for result in results for reason in result.missed]
    lines += ["## Targets missed", ""]
    if missed:
        lines += [f"- **{title}**: {reason}" for title, reason in missed]
    else:
        lines.append("None.")
    lines.append("")
    for result in results:
        lines += [f"## {result.title}", "", f"_Took {result.seconds:.0f} s._", ""]
        lines += result.details
        if result.details:
            lines.append("")
        lines += [f"- {note}" for note in result.notes]
        if result.notes:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_results(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
