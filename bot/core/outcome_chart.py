"""Small trend charts of outcome measures for the leadership summary, one PNG per measure.

Like the heatmap: matplotlib's object API on the Agg canvas under the heatmap's lock (pyplot
keeps global state), Okabe–Ito colours that also differ in lightness, every value written on
the chart, the target as a labelled dashed line, and alt text that states every figure, so no
reading depends on seeing the picture or its colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from bot.core.heatmap import _render_lock  # also sets MPLCONFIGDIR before matplotlib loads
from bot.core.outcome_summary import Standing
from bot.core.outcome_values import HIGHER, show
from bot.core.outcomes import target_words
from bot.core.text import truncate

LINE = "#0072B2"  # Okabe–Ito blue
TARGET = "#D55E00"  # Okabe–Ito vermillion, dashed and labelled too
WIDTH, HEIGHT, DPI = 5.6, 2.6, 100


@dataclass(frozen=True)
class ChartImage:
    filename: str
    title: str
    alt_text: str
    png: bytes


def alt_text(item: Standing) -> str:
    measure = item.measure
    values = ", ".join(
        f"{r.period.label()} {show(r.value, measure.unit)}" for r in measure.readings
    )
    return truncate(
        f"Trend of {measure.name} for {item.service}: {values}. {target_words(measure)}; "
        f"{'higher' if measure.better_when == HIGHER else 'lower'} is better.",
        1000,
    )


def render_chart(item: Standing) -> ChartImage:
    measure = item.measure
    readings = measure.readings
    labels = [r.period.label() for r in readings]
    values = [float(r.value) for r in readings]
    # Imported here, after bot.core.heatmap has pointed MPLCONFIGDIR somewhere writable.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _render_lock:
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        positions = list(range(len(values)))
        axes.plot(positions, values, color=LINE, marker="o", linewidth=2)
        for x, reading in zip(positions, readings, strict=True):
            axes.annotate(
                show(reading.value, measure.unit),
                (x, float(reading.value)),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
            )
        if measure.target is not None:
            axes.axhline(float(measure.target), color=TARGET, linestyle="--", linewidth=1.5)
            axes.annotate(
                f"target {show(measure.target, measure.unit)}",
                (positions[-1], float(measure.target)),
                textcoords="offset points",
                xytext=(0, -12),
                ha="right",
                fontsize=8,
                color="#333333",
            )
        axes.set_xticks(positions, labels, fontsize=7, rotation=20)
        axes.tick_params(axis="y", labelsize=7)
        axes.margins(y=0.25)
        axes.set_title(truncate(f"{item.service} · {measure.name}", 70), fontsize=9, loc="left")
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        figure.tight_layout()
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
        figure.clear()
    return ChartImage(
        filename=f"outcome-{measure.service_id}-{measure.id}.png",
        title=truncate(f"{item.service}: {measure.name}", 200),
        alt_text=alt_text(item),
        png=buffer.getvalue(),
    )


def render_charts(items: tuple[Standing, ...]) -> list[ChartImage]:
    return [render_chart(item) for item in items]
