"""A real browser for the published pages: Debian's headless Chromium driven by Selenium.

Nothing is downloaded at test time: the browser and its driver are Debian's `chromium` and
`chromium-driver` packages, named by path (so Selenium Manager has nothing to look for, and
SE_OFFLINE stops it trying), and axe-core comes from `node_modules/` (`npm ci`, pinned by
package-lock.json). Pages are opened from files, as someone opening a downloaded report would.

Without Chromium the browser tests skip locally and fail in CI (CI=true), like PostgreSQL's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("ASSESSBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("ASSESSBOT_CHROMEDRIVER", "/usr/bin/chromedriver"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESKTOP, PHONE = 1280, 375


def unavailable_reason() -> str | None:
    missing = [
        f"{what} ({path})"
        for what, path in (
            ("chromium", CHROMIUM),
            ("chromedriver", CHROMEDRIVER),
            ("axe-core", AXE),
        )
        if not path.exists()
    ]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return None
    return (
        "the browser tests need " + ", ".join(missing) + ": apt-get install chromium "
        "chromium-driver, and npm ci --no-audit --no-fund (make test does both steps it can)"
    )


@dataclass(frozen=True)
class AxeResult:
    violations: list[dict[str, Any]]
    passes: int

    def describe(self) -> str:
        return "\n".join(
            f"{item['id']} ({item['impact']}): {item['help']} — "
            + "; ".join(node["target"][0] for node in item["nodes"][:5])
            for item in self.violations
        )


class Browser:
    """One headless Chromium, reused by every test in the session."""

    def __init__(self) -> None:
        os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch anything
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-color-profile=srgb",
            "--font-render-hinting=none",
            f"--window-size={DESKTOP},900",
        ):
            options.add_argument(argument)
        options.set_capability("unhandledPromptBehavior", "ignore")
        self.driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        self.driver.set_page_load_timeout(30)
        self._axe = AXE.read_text(encoding="utf-8")

    def open(self, path: Path, width: int = DESKTOP, height: int = 900) -> None:
        self.viewport(width, height)
        self.driver.get(path.resolve().as_uri())

    def viewport(self, width: int, height: int) -> None:
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )

    def script(self, source: str, *args: Any) -> Any:
        return self.driver.execute_script(source, *args)

    def visible_text(self) -> str:
        return str(self.script("return document.body.innerText"))

    def alert_open(self) -> bool:
        from selenium.common.exceptions import NoAlertPresentException

        try:
            _ = self.driver.switch_to.alert.text
        except NoAlertPresentException:
            return False
        return True

    def page_width(self) -> int:
        return int(self.script("return document.documentElement.scrollWidth"))

    def screenshot(self, path: Path, width: int, max_height: int = 2600) -> None:
        """The whole page (up to `max_height` px) at `width` px wide."""
        self.viewport(width, 900)
        height = int(self.script("return document.documentElement.scrollHeight"))
        self.viewport(width, min(max(height, 400), max_height))
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
        self.viewport(width, 900)

    def axe(self) -> AxeResult:
        """axe-core's WCAG 2.2 A and AA rules on the open page."""
        self.script(self._axe)
        self.driver.set_script_timeout(60)
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]},"
            " resultTypes: ['violations']})"
            ".then(r => done(JSON.stringify({violations: r.violations, passes: r.passes.length})))"
            ".catch(e => done(JSON.stringify({error: String(e)})));",
            WCAG_22_AA,
        )
        data = json.loads(result)
        if "error" in data:
            raise AssertionError(f"axe-core failed to run: {data['error']}")
        return AxeResult(data["violations"], int(data["passes"]))

    def close(self) -> None:
        self.driver.quit()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    reason = unavailable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(reason + " — CI=true, so this is a failure, not a skip")
        pytest.skip(reason)
    started = Browser()
    try:
        yield started
    finally:
        started.close()


def keep_screenshots() -> Path | None:
    """Where to keep screenshots for docs/ (ASSESSBOT_SCREENSHOTS), or None to keep none."""
    folder = os.environ.get("ASSESSBOT_SCREENSHOTS", "").strip()
    return Path(folder) if folder else None


def copy_screenshot(source: Path, name: str) -> None:
    """Keep a copy, as a 64-colour PNG so docs/ stays small (the pages use few colours)."""
    folder = keep_screenshots()
    if folder is None:
        return
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=64).save(folder / name, optimize=True)
