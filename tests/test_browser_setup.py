"""Without a browser the browser tests skip locally and fail in CI, like PostgreSQL's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import ROOT, unavailable_reason


def run_browser_test(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["ASSESSBOT_CHROMIUM"] = "/nonexistent/chromium"
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_browser_pages.py::test_hostile_names_are_text_and_nothing_runs",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
def test_a_missing_browser_skips_locally_and_fails_in_ci() -> None:
    local = run_browser_test(ci=False)
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout[-2000:]
    in_ci = run_browser_test(ci=True)
    assert in_ci.returncode != 0, in_ci.stdout[-2000:]
    assert "CI=true, so this is a failure, not a skip" in in_ci.stdout


def test_the_reason_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.browser as browser

    monkeypatch.setattr(browser, "CHROMIUM", Path("/nonexistent/chromium"))
    reason = unavailable_reason()
    assert reason is not None and "chromium (/nonexistent/chromium)" in reason
    assert "apt-get install chromium chromium-driver" in reason
