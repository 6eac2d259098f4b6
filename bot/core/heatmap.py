"""The summary's picture: services × points, coloured by each point's latest rating.

Leaders scan a grid faster than a list, but the grid must survive Slack's preview size, a
printout and colour-blind readers: so at most ROWS_PER_IMAGE services per image (more become
pages), an Okabe–Ito based palette whose colours also differ in lightness, and a letter in
every cell (M / P / N / – / ?) so no reading depends on colour alone.

Drawn with matplotlib's object API on the Agg canvas (pyplot keeps global state and is not
thread-safe); figures are dropped after each render. MPLCONFIGDIR must point somewhere
writable before matplotlib is imported, or every start rebuilds the font cache.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path as FilePath


def _ensure_config_dir() -> None:
    if os.environ.get("MPLCONFIGDIR"):
        return
    for candidate in (
        FilePath.home() / ".cache" / "assessbot" / "matplotlib",
        FilePath(tempfile.gettempdir()) / "assessbot-matplotlib",
    ):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            os.environ["MPLCONFIGDIR"] = str(candidate)
            return


_ensure_config_dir()

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402
from matplotlib.transforms import Affine2D  # noqa: E402

from bot.core.summary import (  # noqa: E402
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    PARTLY_MET,
    HeatGrid,
    HeatRow,
    Summary,
)
from bot.core.text import truncate  # noqa: E402
from storage.values import UNANSWERED  # noqa: E402

ROWS_PER_IMAGE = 25
DPI = 100
CELL = 28  # pixels
LABEL_WIDTH = 240
LABEL_CHARS = 28
HEADER = 118
FOOTER = 16
RIGHT = 18
MIN_WIDTH = 560  # room for the legend

# (fill, letter, letter colour, legend label). Fills from Okabe & Ito's colour-blind-safe
# palette (the blue darkened) so that they also differ in lightness and read in greyscale.
STYLES: dict[str, tuple[str, str, str, str]] = {
    MET: ("#005B8F", "M", "#FFFFFF", "Met"),
    PARTLY_MET: ("#F0E442", "P", "#000000", "Partly met"),
    NOT_MET: ("#D55E00", "N", "#FFFFFF", "Not met"),
    NOT_APPLICABLE: ("#999999", "–", "#000000", "Not applicable"),
    UNANSWERED: ("#F2F2F2", "?", "#333333", "Not answered"),
}
ABSENT_FILL = "#FFFFFF"  # a point missing from that service's snapshot
BORDER = "#FFFFFF"
GRID_EDGE = "#BBBBBB"

_render_lock = threading.Lock()


@dataclass(frozen=True)
class HeatImage:
    standard_id: str
    filename: str
    title: str
    alt_text: str
    png: bytes
    page: int
    pages: int
    rows: tuple[str, ...]
    columns: tuple[int, ...]
    width: int
    height: int

    def cell_box(self, row: int, column: int) -> tuple[int, int, int, int]:
        """Pixel box (left, top, right, bottom) of a cell, counted from the top-left."""
        left = LABEL_WIDTH + column * CELL
        top = HEADER + row * CELL
        return left, top, left + CELL, top + CELL


def render_summary(
    summary: Summary,
    *,
    short_titles: dict[str, str] | None = None,
    max_rows: int | None = None,
) -> list[HeatImage]:
    """Every page of every standard's grid, in the summary's order (with `max_rows`, only
    that many of each standard's weakest services)."""
    images: list[HeatImage] = []
    for grid in summary.grids:
        label = (short_titles or {}).get(grid.standard_id) or grid.title
        images.extend(render_grid(grid, on=summary.today, label=label, max_rows=max_rows))
    return images


def render_grid(
    grid: HeatGrid, *, on: date, label: str | None = None, max_rows: int | None = None
) -> list[HeatImage]:
    """One PNG per ROWS_PER_IMAGE services (at least one, even with no rows).

    Rows come weakest first, so `max_rows` keeps the ones leaders need to see and bounds the
    work (and the pictures in a Slack thread) however large the portfolio.
    """
    label = label or grid.title
    shown = grid.rows if max_rows is None else grid.rows[:max_rows]
    chunks = [
        shown[start : start + ROWS_PER_IMAGE]
        for start in range(0, max(len(shown), 1), ROWS_PER_IMAGE)
    ]
    images: list[HeatImage] = []
    for page, rows in enumerate(chunks, start=1):
        pages = len(chunks)
        suffix = f" ({page} of {pages})" if pages > 1 else ""
        names = tuple(_label(row.name) for row in rows)
        png, width, height = _draw(grid, rows, names, label, on, (page, pages, len(shown)))
        images.append(
            HeatImage(
                standard_id=grid.standard_id,
                filename=f"summary-{grid.standard_id}-{on.isoformat()}-{page}.png",
                title=f"{label}: latest ratings{suffix}",
                alt_text=(
                    f"Grid of the latest rating of each point of {label} for "
                    f"{len(rows)} of {len(grid.rows)} services{suffix}; letters M met, "
                    "P partly met, N not met, dash not applicable, ? not answered."
                ),
                png=png,
                page=page,
                pages=pages,
                rows=names,
                columns=grid.columns,
                width=width,
                height=height,
            )
        )
    return images


def _label(name: str) -> str:
    """Printable in the default font: no emoji or other characters beyond the BMP."""
    clean = "".join(ch for ch in name if ord(ch) <= 0xFFFF and ch.isprintable())
    return truncate(clean.strip() or "(unnamed)", LABEL_CHARS)


class _Layer:
    """Cells and letters collected first and drawn as a few collections (fast to render)."""

    def __init__(self) -> None:
        self.boxes: list[list[tuple[float, float]]] = []
        self.fills: list[str] = []
        self.edges: list[str] = []
        self.letters: dict[str, list[Path]] = {}

    def swatch(
        self, left: float, top: float, size: float, fill: str, letter: str, ink: str
    ) -> None:
        self.boxes.append(_square(left, top, size))
        self.fills.append(fill)
        self.edges.append(BORDER)
        glyph = _glyph(letter, 15.0 if size >= CELL else 12.0)
        self.letters.setdefault(ink, []).append(
            glyph.transformed(Affine2D().translate(left + size / 2, top + size / 2))
        )

    def cell(self, left: float, top: float, rating: str | None) -> None:
        if rating is None:
            self.boxes.append(_square(left, top, CELL))
            self.fills.append(ABSENT_FILL)
            self.edges.append(GRID_EDGE)
            return
        fill, letter, ink, _ = STYLES.get(rating, STYLES[UNANSWERED])
        self.swatch(left, top, CELL, fill, letter, ink)

    def draw(self, axes: Axes) -> None:
        axes.add_collection(
            PolyCollection(
                self.boxes,
                facecolors=self.fills,
                edgecolors=self.edges,
                linewidths=1.0,
                antialiaseds=False,
            ),
            autolim=False,
        )
        for ink, paths in self.letters.items():
            # add_artist, not add_patch: no data-limit update over thousands of curves.
            axes.add_artist(
                PathPatch(Path.make_compound_path(*paths), facecolor=ink, edgecolor="none")
            )


def _square(left: float, top: float, size: float) -> list[tuple[float, float]]:
    return [(left, top), (left + size, top), (left + size, top + size), (left, top + size)]


@lru_cache(maxsize=32)
def _glyph(letter: str, size: float) -> Path:
    """The letter as a bold outline centred on (0, 0), y pointing down like the axes."""
    path = TextPath((0, 0), letter, size=size, prop=FontProperties(weight="bold"))
    box = path.get_extents()
    centre_x = (box.x0 + box.x1) / 2
    # Centre letters on the cap height, so the dash and "?" sit where letters do.
    centre_y = size * 0.36
    return path.transformed(Affine2D().translate(-centre_x, -centre_y).scale(1, -1))


def _draw(
    grid: HeatGrid,
    rows: tuple[HeatRow, ...],
    names: tuple[str, ...],
    label: str,
    on: date,
    paging: tuple[int, int, int],  # page, pages, rows shown over all pages
) -> tuple[bytes, int, int]:
    columns = max(len(grid.columns), 1)
    width = max(LABEL_WIDTH + columns * CELL + RIGHT, MIN_WIDTH)
    height = HEADER + max(len(rows), 1) * CELL + FOOTER
    with _render_lock:
        figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
        FigureCanvasAgg(figure)  # draw with Agg, never a GUI backend
        # One axes covering the whole figure, in pixel units with y growing downwards.
        axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        axes.set_xlim(0, width)
        axes.set_ylim(height, 0)
        axes.set_axis_off()
        layer = _Layer()
        _header(axes, grid, label, on, paging)
        _legend(axes, layer)
        for index, number in enumerate(grid.columns):
            axes.text(
                LABEL_WIDTH + index * CELL + CELL / 2,
                HEADER - 6,
                str(number),
                ha="center",
                va="bottom",
                fontsize=9,
                color="#333333",
            )
        for row_index, (row, name) in enumerate(zip(rows, names, strict=True)):
            top = HEADER + row_index * CELL
            axes.text(
                LABEL_WIDTH - 8,
                top + CELL / 2,
                name,
                ha="right",
                va="center",
                fontsize=10,
                parse_math=False,
            )
            for column, cell in enumerate(row.cells):
                layer.cell(LABEL_WIDTH + column * CELL, top, cell)
        if not rows:
            axes.text(
                LABEL_WIDTH,
                HEADER + CELL / 2,
                "No assessed services",
                va="center",
                fontsize=10,
                parse_math=False,
            )
        layer.draw(axes)
        buffer = BytesIO()
        # Fast zlib level: these are flat-colour images, and a render is on a tick.
        figure.savefig(
            buffer, format="png", dpi=DPI, facecolor="white", pil_kwargs={"compress_level": 1}
        )
        figure.clear()
    return buffer.getvalue(), width, height


def _header(axes: Axes, grid: HeatGrid, label: str, on: date, paging: tuple[int, int, int]) -> None:
    page, pages, shown = paging
    page_text = f" · page {page} of {pages}" if pages > 1 else ""
    if shown < len(grid.rows):
        page_text += f" · weakest {shown} of {len(grid.rows)}"
    axes.text(
        12,
        10,
        f"{label}{page_text}",
        va="top",
        fontsize=13,
        fontweight="bold",
        parse_math=False,
    )
    note = f"Latest rating per point, {on.day} {on:%b %Y} · {len(grid.rows)} services assessed"
    if grid.never_assessed:
        note += f" · {grid.never_assessed} never assessed (not shown)"
    axes.text(12, 32, note, va="top", fontsize=9, color="#333333", parse_math=False)
    axes.text(LABEL_WIDTH - 8, HEADER - 6, "Point", ha="right", va="bottom", fontsize=9)


def _legend(axes: Axes, layer: _Layer) -> None:
    x = 12.0
    for fill, letter, ink, text in STYLES.values():
        layer.swatch(x, 54, 20, fill, letter, ink)
        axes.text(x + 25, 64, text, va="center", fontsize=9)
        x += 25 + len(text) * 6.5 + 16
