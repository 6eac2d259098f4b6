"""The portfolio page: the figures, the services × points heatmap and the weakest points.

Built from the leadership summary's own figures (`bot.core.summary.build_summary`), so the
page and the weekly Slack summary never disagree. The heatmap is an HTML table, not a picture:
a caption, a header cell for every point and every service, and in every cell a letter as
well as a colour (with the rating's word for screen readers), so it reads without colour and
without sight. Wide grids scroll inside a focusable region at 375 px and shrink to fit on A4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.html_page import (
    RATINGS,
    STATUS_WORDS,
    UNANSWERED,
    local_day,
    page,
    rating_badge,
    text,
)
from bot.core.report import COMPLETED, ReportData
from bot.core.report_outcomes_html import credits_html
from bot.core.summary import HeatGrid, StandardWeakness, Summary

KIND = "Service assessments"


def render_portfolio(
    summary: Summary,
    reports: Sequence[ReportData],
    *,
    organisation: str,
    tz: ZoneInfo,
    generated_at: datetime,
    report_hrefs: Mapping[int, str] | None = None,
) -> str:
    """The index page; services link to their report pages when `report_hrefs` has them."""
    hrefs = report_hrefs or {}
    body = [
        f"<h1>Service assessments: {text(organisation)}</h1>",
        f'<p class="lede">How {len(reports)} of {text(organisation)}\'s digital services '
        "measure up against their service standard, from each service's latest assessment.</p>",
        _figures(summary),
        _weakest(summary.weakest),  # before the grid: at 300 services the grid is long
        _key(),
        *(_heatmap(grid, hrefs, index) for index, grid in enumerate(summary.grids, start=1)),
        _services(reports, hrefs),
    ]
    footer = (
        f"Produced by assessbot on {text(local_day(generated_at, tz))}. "
        'Open data: <a href="assessments.json">assessments.json</a> and '
        '<a href="assessments.csv">assessments.csv</a>.'
        if hrefs
        else f"Produced by assessbot on {text(local_day(generated_at, tz))}."
    )
    footer += credits_html(report.credit for report in reports)  # once per standard (#18)
    return page(
        title=f"{KIND}: {organisation}",
        organisation=organisation,
        kind=KIND,
        body="\n".join(part for part in body if part),
        footer=footer,
    )


def _figures(summary: Summary) -> str:
    figures = summary.figures
    share = figures.share_percent
    items = [
        (str(figures.services), "services"),
        (str(figures.fully_assessed), "assessed and in date"),
        (str(figures.overdue), "overdue for assessment"),
        ("—" if share is None else f"{share}%", "of applicable points met"),
    ]
    cards = "".join(
        f'<li><span class="n">{text(number)}</span> {text(label)}</li>' for number, label in items
    )
    return f'<h2 id="figures">The portfolio at a glance</h2><ul class="figures">{cards}</ul>'


def _key() -> str:
    items = "".join(
        f'<li><span class="badge {css}">{text(letter)}</span> {text(word)}</li>'
        for word, _, letter, css in RATINGS.values()
    )
    return (
        '<h2 id="heatmap">Every service, every point</h2>'
        "<p>Each row is a service, each column a point of the standard. The letter in each "
        "cell is the service's rating on that point:</p>"
        f'<ul class="key">{items}</ul>'
    )


def _heatmap(grid: HeatGrid, hrefs: Mapping[int, str], index: int) -> str:
    caption_id = f"grid-{index}"
    head = "".join(f'<th scope="col">{number}</th>' for number in grid.columns)
    rows = []
    for row in grid.rows:
        name = text(row.name)
        href = hrefs.get(row.service_id)
        label = f'<a href="{text(href)}">{name}</a>' if href else name
        cells = "".join(_cell(rating) for rating in row.cells)
        rows.append(f'<tr><th scope="row">{label}</th>{cells}</tr>')
    never = (
        f"<p>{grid.never_assessed} more services on this standard have not been assessed yet.</p>"
        if grid.never_assessed
        else ""
    )
    return (
        f'<div class="scroll" role="region" aria-labelledby="{caption_id}" tabindex="0">'
        f'<table class="heat"><caption id="{caption_id}">{text(grid.title)}: rating of each '
        f"point, for {len(grid.rows)} services</caption><thead><tr>"
        f'<th scope="col">Service</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        f"</table></div>{never}"
    )


def _cell(rating: str | None) -> str:
    if rating is None:
        return '<td class="absent">·<span class="vh">Not in this assessment</span></td>'
    word, _, letter, css = RATINGS.get(rating, RATINGS[UNANSWERED])
    return (
        f'<td class="{css}"><span aria-hidden="true">{text(letter)}</span>'
        f'<span class="vh">{text(word)}</span></td>'
    )


def _weakest(weakest: Sequence[StandardWeakness]) -> str:
    parts = ['<h2 id="weakest">Where services fall short most often</h2>']
    if not any(weakness.points for weakness in weakest):
        parts.append("<p>No point is rated partly met or not met in any service.</p>")
    for weakness in weakest:
        if not weakness.points:
            continue
        items = "".join(
            f"<li><strong>{point.number}. {text(point.title)}</strong>: {point.not_met} not met "
            f"and {point.partly_met} partly met, of {point.assessed} services</li>"
            for point in weakness.points
        )
        parts.append(f"<h3>{text(weakness.title)}</h3><ol>{items}</ol>")
    return "\n".join(parts)


def _services(reports: Sequence[ReportData], hrefs: Mapping[int, str]) -> str:
    rows = []
    for report in reports:
        href = hrefs.get(report.service_id)
        name = text(report.service_name)
        label = f'<a href="{text(href)}">{name}</a>' if href else name
        tally = report.tally
        applicable = tally.total - tally.not_applicable
        met = f"{tally.met} of {applicable}" if report.points else "—"
        result = (
            rating_badge(report.overall)
            if report.status == COMPLETED
            else text(STATUS_WORDS.get(report.status, report.status))
        )
        rows.append(
            f'<tr><th scope="row">{label}</th><td>{text(report.phase.capitalize())}</td>'
            f"<td>{text((report.service_type or '—').capitalize())}</td>"
            f"<td>{result}</td><td>{text(met)}</td>"
            f"<td>{text(local_day(report.next_due_on))}</td></tr>"
        )
    return (
        '<h2 id="services">All services</h2>'
        '<div class="scroll" role="region" aria-labelledby="services-caption" tabindex="0">'
        '<table><caption id="services-caption">Each service\'s latest assessment</caption>'
        '<thead><tr><th scope="col">Service</th><th scope="col">Phase</th>'
        '<th scope="col">Type</th>'
        '<th scope="col">Overall result</th><th scope="col">Applicable points met</th>'
        f'<th scope="col">Next due</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
