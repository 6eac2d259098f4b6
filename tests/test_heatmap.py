"""The heatmap PNG: opens, has the right colours where the cells are, stays legible."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from io import BytesIO
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from bot.core.heatmap import (
    CELL,
    ROWS_PER_IMAGE,
    STYLES,
    HeatImage,
    render_grid,
    render_summary,
)
from bot.core.summary import HeatGrid, HeatRow, build_summary
from tests.summary_seed import NOW, PORTFOLIO, TEAM, records

RATINGS = ("met", "partly_met", "not_met", "not_applicable", "unanswered")
ON = date(2026, 3, 16)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def opened(image: HeatImage) -> Image.Image:
    picture = Image.open(BytesIO(image.png))
    picture.load()
    assert picture.format == "PNG"
    assert picture.size == (image.width, image.height)
    return picture.convert("RGB")


def cell_colour(picture: Image.Image, image: HeatImage, row: int, column: int) -> tuple[int, ...]:
    """A pixel inside the cell, clear of its border and of the letter in the middle."""
    left, top, _, _ = image.cell_box(row, column)
    return tuple(picture.getpixel((left + 4, top + 4)))  # type: ignore[arg-type]


def grid_of(count: int, columns: int = 15) -> HeatGrid:
    rows = tuple(
        HeatRow(
            index,
            f"Service {index:03d}",
            tuple(RATINGS[(index + column) % len(RATINGS)] for column in range(columns)),
        )
        for index in range(count)
    )
    return HeatGrid(
        "lgdss", "Local Government Digital Service Standard", tuple(range(1, columns + 1)), rows, 0
    )


def test_five_services_one_image_with_the_rating_colours() -> None:
    grid = grid_of(5)
    [image] = render_grid(grid, on=ON, label="LGDSS")
    picture = opened(image)
    assert image.rows == tuple(row.name for row in grid.rows)
    for row_index, row in enumerate(grid.rows):
        for column, rating in enumerate(row.cells):
            assert rating is not None
            assert cell_colour(picture, image, row_index, column) == rgb(STYLES[rating][0])
    # The letter is drawn in the cell: its centre is ink, not fill, for every rating.
    for column, rating in enumerate(grid.rows[0].cells[:5]):
        assert rating is not None
        left, top, right, bottom = image.cell_box(0, column)
        inks = {
            picture.getpixel((x, y))
            for x in range(left + 8, right - 8)
            for y in range(top + 8, bottom - 8)
        }
        assert rgb(STYLES[rating][2]) in inks or len(inks) > 1


def test_palette_differs_in_lightness_and_has_letters() -> None:
    def lightness(hex_colour: str) -> float:
        r, g, b = (channel / 255 for channel in rgb(hex_colour))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = sorted(lightness(fill) for fill, _, _, _ in STYLES.values())
    assert all(b - a > 0.08 for a, b in pairwise(values))
    assert [letter for _, letter, _, _ in STYLES.values()] == ["M", "P", "N", "–", "?"]


def test_two_hundred_services_are_paged_and_each_page_stays_legible() -> None:
    grid = grid_of(200, columns=18)
    images = render_grid(grid, on=ON)
    assert len(images) == 200 // ROWS_PER_IMAGE == 8
    assert [name for image in images for name in image.rows] == [row.name for row in grid.rows]
    assert {image.pages for image in images} == {8}
    assert len({image.filename for image in images}) == 8
    for image in images:
        picture = opened(image)
        # Slack previews scale images to fit roughly 360-480 px: a page that stays near square
        # and under ~1,000 px keeps each 28 px row at 10+ px in the preview.
        assert max(picture.size) <= 1000
        assert 0.6 <= picture.size[0] / picture.size[1] <= 1.7
        assert len(image.rows) <= ROWS_PER_IMAGE
        assert CELL >= 24
    last = images[-1]
    picture = opened(last)
    row = grid.rows[175]
    for column, rating in enumerate(row.cells):
        assert rating is not None
        assert cell_colour(picture, last, 0, column) == rgb(STYLES[rating][0])


def test_max_rows_keeps_the_weakest_rows() -> None:
    grid = grid_of(60)
    images = render_grid(grid, on=ON, max_rows=30)
    assert len(images) == 2 and images[-1].pages == 2
    assert [name for image in images for name in image.rows] == [row.name for row in grid.rows[:30]]


def test_seeded_summary_renders_one_image_per_standard() -> None:
    summary = build_summary(records(PORTFOLIO), team_id=TEAM, now=NOW, tz=ZoneInfo("Europe/London"))
    images = render_summary(summary, short_titles={"lgdss": "LGDSS"})
    assert [image.standard_id for image in images] == [grid.standard_id for grid in summary.grids]
    lgdss = images[0]
    assert lgdss.title.startswith("LGDSS")
    picture = opened(lgdss)
    grid = summary.grids[0]
    for row_index, row in enumerate(grid.rows):
        for column, rating in enumerate(row.cells):
            assert rating is not None
            assert cell_colour(picture, lgdss, row_index, column) == rgb(STYLES[rating][0])


def test_awkward_names_and_missing_points_render() -> None:
    rows = (
        HeatRow(1, "Pay $5 fees $now$ 🚀 & <b>", ("met", None, "not_met")),
        HeatRow(2, "", (None, None, None)),
        HeatRow(3, "Gwasanaeth ŵ ŷ " + "x" * 100, ("partly_met", "met", "unanswered")),
    )
    [image] = render_grid(HeatGrid("nhs", "NHS", (1, 2, 3), rows, 2), on=ON)
    picture = opened(image)
    assert cell_colour(picture, image, 0, 1) == (255, 255, 255)
    assert image.rows[0].startswith("Pay $5 fees $now$")
    assert "🚀" not in image.rows[0]
    assert len(image.rows[2]) <= 28
    [empty] = render_grid(HeatGrid("nhs", "NHS", (1, 2, 3), (), 4), on=ON)
    opened(empty)


def test_matplotlib_config_dir_and_no_pyplot(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "MPLCONFIGDIR"}
    env["HOME"] = str(tmp_path)
    script = (
        "import os, sys\n"
        "from datetime import date\n"
        "from bot.core.heatmap import render_grid\n"
        "from bot.core.summary import HeatGrid, HeatRow\n"
        "grid = HeatGrid('x', 'X', (1,), (HeatRow(1, 'a', ('met',)),), 0)\n"
        "render_grid(grid, on=date(2026, 1, 1))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "print(os.environ['MPLCONFIGDIR'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == str(tmp_path / ".cache" / "assessbot" / "matplotlib")
