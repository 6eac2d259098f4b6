"""The published pages in a real browser: what people see, at 1280 and 375 px and on paper,
axe-core's WCAG 2.2 A/AA rules, and hostile service names that must stay text.

The site is written by the real `assessbot publish` (with every service and its evidence, so
the most is on each page). Screenshots go to the test's folder; set ASSESSBOT_SCREENSHOTS to
a folder (docs/screenshots) to keep a run's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, session_factory
from storage.models import Service
from storage.report_queries import remember_workspace_name
from tests.browser import DESKTOP, PHONE, Browser, copy_screenshot
from tests.browser import browser as browser  # the fixture
from tests.report_outcome_seed import CARE, CONTROL, VISITS, seed_outcomes
from tests.report_seed import (
    ACTION_OPEN,
    CHALLENGE_COMMENT,
    EVIDENCE,
    FAR_FUTURE,
    REVIEWER,
    REVIEWER_ORG,
    add_action,
    add_review,
    seed_reports,
)
from tests.test_export import T0, add_answer, add_assessment, add_service
from tests.test_publish import run_cli

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
A4_PRINT_WIDTH = 680  # 210 mm less 2 × 15 mm margins, at 96 px per inch


@dataclass(frozen=True)
class Site:
    root: Path
    bins: Path
    hostile: tuple[Path, Path]


def seed_hostile(sessions: sessionmaker[Session]) -> tuple[int, int]:
    ids = []
    with sessions.begin() as session:
        for name in (SCRIPT, IMG):
            service = add_service(session, name)
            service.description = f"{IMG} and {SCRIPT}"
            assessment = add_assessment(
                session, service, [SCRIPT, IMG], started_at=T0, completed_at=T0 + timedelta(1)
            )
            add_answer(session, assessment, 1, "met", evidence=SCRIPT, links=[f"https://x/{IMG}"])
            add_answer(session, assessment, 2, "not_met", evidence=IMG, by=SCRIPT)
            add_action(session, assessment, 2, f"{SCRIPT} then {IMG}", due_on=FAR_FUTURE, owner=IMG)
            add_review(
                session, assessment, SCRIPT, IMG, [(2, "challenge", "met", f"{IMG} {SCRIPT}")]
            )
            ids.append(service.id)
    with sessions.begin() as session:
        session.execute(update(Service).where(Service.id.in_(ids)).values(publishable=True))
    return ids[0], ids[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    folder = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{folder / 'site.db'}"
    engine = make_engine(url)
    from storage.migrate import upgrade

    upgrade(engine)
    sessions = session_factory(engine)
    ids = seed_reports(sessions)
    hostile = seed_hostile(sessions)
    seed_outcomes(sessions)  # a relational service with outcome readings and the flag (#13)
    seed_outcomes(sessions, name="Hostile care", measure_name=SCRIPT, note=IMG)
    with sessions.begin() as session:
        remember_workspace_name(
            session=session, team_id="T1", name="Borsetshire County Council", now=T0
        )
    engine.dispose()
    root = folder / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        patch.setenv("ASSESSBOT_TIMEZONE", "Europe/London")
        patch.delenv("SLACK_BOT_TOKEN", raising=False)
        assert run_cli(["publish", "--out", str(root), "--all", "--with-evidence"]) == 0
    pages = {path.name: path for path in (root / "services").glob("*.html")}
    return Site(
        root,
        pages[f"bins-{ids.bins}.html"],
        (
            pages[f"script-alert-1-script-{hostile[0]}.html"],
            pages[f"img-src-x-onerror-alert-1-{hostile[1]}.html"],
        ),
    )


def look(browser: Browser, page: Path, name: str, tmp_path: Path, needed: list[str]) -> None:
    """At both widths: nothing wider than the screen, the text people need, a screenshot."""
    for width in (DESKTOP, PHONE):
        browser.open(page, width)
        assert browser.page_width() <= width, f"{name} is wider than {width} px"
        text = browser.visible_text()
        for words in needed:
            assert words in text, f"{name} at {width} px does not show {words!r}"
        shot = tmp_path / f"{name}-{width}.png"
        browser.screenshot(shot, width)
        assert shot.stat().st_size > 5_000
        copy_screenshot(shot, shot.name)


def passes_axe(browser: Browser, page: Path) -> None:
    for width in (DESKTOP, PHONE):
        browser.open(page, width)
        result = browser.axe()
        assert result.passes > 10, "axe-core ran almost no rules: is it really running?"
        assert result.violations == [], result.describe()


def fits_a4(browser: Browser, page: Path) -> None:
    browser.open(page, A4_PRINT_WIDTH)
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        widths = browser.script(
            "return [...document.querySelectorAll('table')].map(t => t.scrollWidth)"
        )
        assert browser.page_width() <= A4_PRINT_WIDTH
        assert all(width <= A4_PRINT_WIDTH for width in widths), widths
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_the_report_in_a_real_browser(browser: Browser, site: Site, tmp_path: Path) -> None:
    needed = [
        "Bins",
        "Collecting household waste",
        "Local Government Digital Service Standard (version 2024.1)",
        "Overall result",
        "Met",
        "Results by point",
        "1. Understand users and their needs",
        "Previously",
        "Not met",
        EVIDENCE,
        "https://example.gov.uk/research",
        "Earlier answers",
        "Borsetshire County Council",
        # improvement actions and peer review
        "Actions and peer review",
        "4 improvement actions: 2 open (1 overdue), 1 done, 1 dropped.",
        f"Peer review by {REVIEWER} ({REVIEWER_ORG})",
        "Improvement actions on point 1",
        ACTION_OPEN,
        "Overdue",
        "Peer review of point 2",
        "Challenge: ◐Partly met",
        CHALLENGE_COMMENT,
        "Open: waiting for the team",
    ]
    look(browser, site.bins, "report", tmp_path, needed)
    passes_axe(browser, site.bins)
    fits_a4(browser, site.bins)


def test_the_portfolio_page_in_a_real_browser(browser: Browser, site: Site, tmp_path: Path) -> None:
    index = site.root / "index.html"
    needed = [
        "Service assessments: Borsetshire County Council",
        "The portfolio at a glance",
        "services",
        "of applicable points met",
        "Every service, every point",
        "Where services fall short most often",
        "All services",
        "Parking",
        "assessments.json",
    ]
    look(browser, index, "portfolio", tmp_path, needed)
    passes_axe(browser, index)
    fits_a4(browser, index)
    browser.open(index)
    cells = browser.script(
        "return [...document.querySelectorAll('table.heat tbody td')]"
        ".map(td => td.innerText.trim())"
    )
    assert cells and all(cells), "every heatmap cell shows a letter"


def test_hostile_names_are_text_and_nothing_runs(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    for page in (*site.hostile, site.root / "index.html"):
        browser.open(page)
        assert not browser.alert_open(), f"an alert opened on {page.name}"
        text = browser.visible_text()
        assert SCRIPT in text and IMG.strip() in text, page.name
        if page in site.hostile:  # the action and the reviewer's comment are text too
            assert f"{SCRIPT} then {IMG}" in text and f"{IMG} {SCRIPT}" in text, page.name
        found = browser.script(
            "return {scripts: document.scripts.length, images: document.images.length,"
            " handlers: [...document.querySelectorAll('*')].filter("
            "e => [...e.attributes].some(a => a.name.startsWith('on'))).length}"
        )
        assert found == {"scripts": 0, "images": 0, "handlers": 0}, (page.name, found)
    browser.open(site.hostile[0])
    shot = tmp_path / "hostile-1280.png"
    browser.screenshot(shot, DESKTOP, max_height=900)
    copy_screenshot(shot, shot.name)
    passes_axe(browser, site.hostile[1])


def test_a_report_with_outcome_readings_in_a_real_browser(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    (care,) = (site.root / "services").glob("adult-care-*.html")
    needed = [
        CARE,
        "Relational (care, support, casework)",
        "Latest outcome readings",
        CONTROL,
        VISITS,
        "January 2026",
        "72%",
        "✗ off target (at least 80%)",
        "▼ down 3 points since December 2025, worse",
        "✓ on target (at most 10 days)",
        "Outcome measures for point 1",
        "Met on paper, off target in practice",
        "November 2025: 82%; December 2025: 75%; January 2026: 72%",
        "Open Government Licence",
    ]
    look(browser, care, "report-outcomes", tmp_path, needed)
    passes_axe(browser, care)
    fits_a4(browser, care)
    (hostile,) = (site.root / "services").glob("hostile-care-*.html")
    browser.open(hostile)
    assert not browser.alert_open()
    text = browser.visible_text()
    assert SCRIPT in text and IMG.strip() in text
    found = browser.script(
        "return {scripts: document.scripts.length, images: document.images.length}"
    )
    assert found == {"scripts": 0, "images": 0}, found
    passes_axe(browser, hostile)
