"""`assessbot publish` on a 300-service portfolio: under 10 s, every page passes axe-core, the
open data validates, and a service not marked publishable appears in no file.

    python -m bench.bench_publish                 # 300 services, axe-core on every page
    python -m bench.bench_publish --quick         # 40 services, axe-core on a sample of 8
    python -m bench.bench_publish --screenshots docs/screenshots

The portfolio comes from bench/seed.py (300 live LGDSS services, three assessments each, with
changed answers and evidence, and five improvement actions each); every tenth service is left
unpublishable. The time is the wall clock of the real command (`python -m bot publish`) in a
fresh process, interpreter start-up included, median of three runs, on each backend. Then, on
SQLite's site: the JSON against docs/assessments.schema.json, a search of every file for every
unpublishable service's name and page, and axe-core (WCAG 2.2 A/AA) on every page in headless
Chromium at 1280 px.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from bench.common import ROOT, backends, child_env, median, temporary_database
from bench.report import BenchResult, Row, verdict
from bench.seed import seed_actions, seed_portfolio, service_name
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Service
from storage.report_queries import remember_workspace_name

SERVICES, QUICK_SERVICES = 300, 40
TARGET_SECONDS = 10.0
REPEATS = 3
UNPUBLISHED_EVERY = 10
QUICK_AXE_SAMPLE = 8
TODAY = date(2026, 12, 1)
TEAM = "TBENCH"


def _seed(url: str, services: int) -> list[int]:
    engine = make_engine(url)
    upgrade(engine)
    seed_portfolio(
        engine,
        services,
        today=TODAY,
        team_id=TEAM,
        owner_pool=[f"UBENCH{n:03d}" for n in range(40)],
        channels=[f"CBENCH{n:02d}" for n in range(20)],
    )
    # improvement actions on every report (#14): open, overdue, done and dropped
    seed_actions(
        engine,
        services,
        today=TODAY,
        team_id=TEAM,
        owner_pool=[f"UBENCH{n:03d}" for n in range(40)],
    )
    hidden = [n for n in range(1, services + 1) if n % UNPUBLISHED_EVERY == 0]
    with engine.begin() as connection:
        connection.execute(
            update(Service).where(Service.id.not_in(hidden)).values(publishable=True)
        )
    with Session(engine) as session, session.begin():
        remember_workspace_name(
            session=session, team_id=TEAM, name="Borsetshire County Council", now=datetime.now(UTC)
        )
    engine.dispose()
    return hidden


def _publish(url: str, out: Path) -> float:
    env = child_env(DATABASE_URL=url, ASSESSBOT_TIMEZONE="Europe/London")
    env.pop("SLACK_BOT_TOKEN", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "publish", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"assessbot publish failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def _leaks(out: Path, hidden: list[int]) -> list[str]:
    """Every (file, hidden service) where the service's name or page shows up."""
    needles = {n: (service_name(n), f"-{n}.html") for n in hidden}
    found = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        content = path.read_text(encoding="utf-8-sig")
        for n, (name, page) in needles.items():
            if name in content or page in path.name or page in content:
                found.append(f"{path.relative_to(out)}: service {n}")
    return found


def _schema_errors(out: Path) -> tuple[int, list[str]]:
    import jsonschema

    schema = json.loads((ROOT / "docs" / "assessments.schema.json").read_text(encoding="utf-8"))
    data = json.loads((out / "assessments.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [error.message for error in validator.iter_errors(data)]
    return len(data["assessments"]), errors[:5]


def _axe(out: Path, sample: int | None, screenshots: Path | None) -> tuple[int, list[str], str]:
    """(pages checked, failures, why not run); axe-core on each page at 1280 px."""
    sys.path.insert(0, str(ROOT))
    from tests.browser import DESKTOP, Browser, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        return 0, [], reason
    pages = [out / "index.html", *sorted((out / "services").glob("*.html"))]
    if sample is not None:
        step = max(1, len(pages) // sample)
        pages = pages[::step][:sample]
    browser = Browser()
    failures = []
    try:
        for page in pages:
            browser.open(page, DESKTOP)
            result = browser.axe()
            if result.violations or result.passes < 10:
                failures.append(f"{page.name}: {result.describe() or 'axe ran no rules'}")
        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
            from tests.browser import copy_screenshot

            with tempfile.TemporaryDirectory() as folder:
                for page, name in ((pages[0], "bench-portfolio"), (pages[1], "bench-report")):
                    for width in (1280, 375):
                        browser.open(page, width)
                        shot = Path(folder) / f"{name}-{width}.png"
                        browser.screenshot(shot, width, max_height=2400)
                        os.environ["ASSESSBOT_SCREENSHOTS"] = str(screenshots)
                        copy_screenshot(shot, shot.name)
    finally:
        browser.close()
    return len(pages), failures, ""


def run(
    quick: bool = False, include_postgres: bool = True, screenshots: Path | None = None
) -> BenchResult:
    services = QUICK_SERVICES if quick else SERVICES
    result = BenchResult("publish", "5. Publishing")
    begun = time.perf_counter()
    chosen, skipped = backends(include_postgres)
    if skipped:
        result.notes.append(skipped)
    for backend in chosen:
        with temporary_database(backend, "publish") as url, tempfile.TemporaryDirectory() as tmp:
            hidden = _seed(url, services)
            times = [_publish(url, Path(tmp) / f"site{run}") for run in range(REPEATS)]
            seconds = median(times)
            case = f"{backend} · {services} services ({len(hidden)} unpublishable)"
            target = TARGET_SECONDS
            result.rows.append(
                Row(
                    "publish",
                    case,
                    "assessbot publish, wall clock (median of 3, fresh process)",
                    f"{seconds:.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})",
                    f"< {target:.0f} s",
                    verdict(seconds < target),
                )
            )
            if seconds >= target:
                result.missed.append(f"{backend}: publish took {seconds:.2f} s")
            site = Path(tmp) / "site0"
            files = sum(1 for path in site.rglob("*") if path.is_file())
            records, errors = _schema_errors(site)
            result.rows.append(
                Row(
                    "publish",
                    case,
                    "assessments.json against its schema",
                    f"{records} records, {len(errors)} errors",
                    "0 errors",
                    verdict(not errors),
                )
            )
            result.missed += [f"{backend}: schema: {error}" for error in errors]
            leaks = _leaks(site, hidden)
            result.rows.append(
                Row(
                    "publish",
                    case,
                    f"unpublishable services found in the {files} files",
                    str(len(leaks)),
                    "0",
                    verdict(not leaks),
                )
            )
            result.missed += [f"{backend}: leak: {leak}" for leak in leaks[:10]]
            if backend == chosen[0]:
                sample = QUICK_AXE_SAMPLE if quick else None
                checked, failures, why = _axe(site, sample, screenshots)
                what = "every page" if sample is None else f"a sample of {checked} pages"
                result.rows.append(
                    Row(
                        "publish",
                        case,
                        f"axe-core WCAG 2.2 A/AA, {what} at 1280 px",
                        why or f"{checked} pages, {len(failures)} with violations",
                        "0 violations",
                        verdict(not why and not failures),
                    )
                )
                if why:
                    result.missed.append(f"axe-core not run: {why}")
                result.missed += failures[:10]
    result.seconds = time.perf_counter() - begun
    result.notes.append(
        "The site holds index.html, one report page per publishable service, assessments.json "
        "and assessments.csv; evidence is left out (the default). Seeding is not timed."
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_publish")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--screenshots", type=Path, help="keep screenshots of two pages here")
    args = parser.parse_args(argv)
    result = run(args.quick, not args.no_postgres, args.screenshots)
    for row in result.rows:
        print(f"{row.case:45} {row.metric:60} {row.value:30} {row.target:12} {row.verdict}")
    for line in result.missed:
        print(f"MISSED: {line}")
    for line in result.notes:
        print(f"note: {line}")
    print(f"total {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
