"""The benchmarks' quick mode, so they cannot rot between `make bench` runs.

Nothing here is timed: performance targets live in bench/ (issue 8). These tests check that the
benchmarks still run end to end against the current code, and the one property that does not
depend on the machine: the number of SQL statements does not grow with the number of services.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_latency, bench_nudges, bench_portfolio
from bench.report import MISSED, BenchResult, render_markdown, summary_rows, text_table


@pytest.fixture(scope="module")
def portfolio() -> BenchResult:
    return bench_portfolio.run(quick=True, include_postgres=False)


def test_statement_counts_do_not_grow_with_the_portfolio(portfolio: BenchResult) -> None:
    counts = [row for row in portfolio.rows if row.metric.startswith("SQL statements")]
    assert {row.case.split(" · ")[1] for row in counts} == set(bench_portfolio.OPERATIONS)
    grown = [f"{row.case}: {row.value}" for row in counts if row.verdict == MISSED]
    assert grown == [], f"statements grow with the number of services (an N+1?): {grown}"
    figures = portfolio.raw["figures"]["sqlite"]
    for size in bench_portfolio.QUICK_SIZES:
        assert all(figures[size][name]["statements"] > 0 for name in bench_portfolio.OPERATIONS)


@pytest.mark.slow
def test_latency_benchmark_runs_both_apps_without_failures() -> None:
    result = bench_latency.run(quick=True, include_postgres=False)
    data = result.raw["sqlite"]
    rounds = data["rounds"]
    assert {r["target"] for r in rounds} == {bench_latency.OURS, bench_latency.BARE}
    assert all(r["requests"] == bench_latency.QUICK.requests for r in rounds)
    assert [r["errors"] for r in rounds] == [0, 0]
    assert data["refusals"] == 0
    assert data["could_not_save"] == 0
    assert 0 < data["answers_saved"] <= data["clicks_sent"]
    assert data["exit_codes"] == {"ours": 0, "bare": 0}
    assert set(data["single"]) == {bench_latency.OURS, bench_latency.BARE}
    by_kind = data["cpu_by_kind"]
    assert set(by_kind) == set(bench_latency.KINDS)
    assert all(row["requests"] == bench_latency.QUICK.per_kind for row in by_kind.values())
    assert all(row["errors"] == 0 and row["cpu_ms"] > 0 for row in by_kind.values())


def test_nudges_are_all_delivered_once_through_the_rate_limit() -> None:
    result = bench_nudges.run(quick=True)
    expected = 2 * bench_nudges.QUICK["services"]
    assert result.raw["delivered_once"] == expected
    assert result.raw["delivered_more_than_once"] == 0
    assert result.raw["http_429s"] >= 1  # the limit was really hit
    assert result.missed == []


def test_results_render_with_the_machine_and_every_row(
    portfolio: BenchResult, tmp_path: Path
) -> None:
    text = render_markdown([portfolio], quick=True, total_seconds=1.0, noise=["shared cores"])
    assert "CPUs" in text and "shared cores" in text and "## Targets missed" in text
    for row in summary_rows([portfolio]):
        assert " | ".join(row[:3]) in text
    assert text_table(("a", "b"), [("1", "2")]).splitlines()[1] == "-  -"
