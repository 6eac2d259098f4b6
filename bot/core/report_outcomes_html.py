"""The report's outcome parts as HTML: the readings table, each point's linked measures, the
sparklines and the standards' credit lines.

Words carry every meaning: on or off target is "✓ on target" / "✗ off target" (never a colour),
a trend is an arrow and a sentence, and each sparkline is an image whose accessible name states
every figure, with the same figures printed beside it. Everything that came from a person (a
measure's name, a reading's note) goes through `text()`.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.html_page import text
from bot.core.report import PointReport
from bot.core.report_outcomes import OutcomeReading, StandardCredit
from storage.values import Rating

SERVICE_TYPES = {
    "transactional": "Transactional (forms, payments, bookings)",
    "relational": "Relational (care, support, casework)",
}


def service_type_words(service_type: str) -> str:
    return SERVICE_TYPES.get(service_type, service_type.capitalize())


def outcomes_section(outcomes: tuple[OutcomeReading, ...]) -> str:
    """Every live measure: its latest reading, target, on/off target, trend and points."""
    if not outcomes:
        return ""
    rows = []
    for reading in outcomes:
        points = ", ".join(str(number) for number in reading.points) or "—"
        note = (
            f'<p class="meta" style="font-weight:normal">Note: {text(reading.note)}</p>'
            if reading.note
            else ""
        )
        rows.append(
            f'<tr><th scope="row">{text(reading.measure)}{note}</th>'
            f"<td>{text(reading.unit)}</td>"
            f"<td>{text(reading.latest_period or '—')}</td>"
            f"<td>{text(reading.latest_value or '—')}</td>"
            f"<td>{text(reading.target)}</td>"
            f"<td>{text(_verdict(reading))}</td>"
            f"<td>{text(reading.trend or 'No earlier reading to compare')}</td>"
            f"<td>{text(points)}</td>"
            f"<td>{sparkline(reading)}</td></tr>"
        )
    return (
        '<h2 id="outcomes">Outcomes</h2>'
        "<p>What the service's outcome measures said in their latest period, against their "
        "targets.</p>"
        '<div class="scroll" role="region" aria-labelledby="outcomes-caption" tabindex="0">'
        '<table><caption id="outcomes-caption">Latest outcome readings</caption><thead><tr>'
        '<th scope="col">Measure</th><th scope="col">Unit</th>'
        '<th scope="col">Latest period</th><th scope="col">Value</th>'
        '<th scope="col">Target</th><th scope="col">On target?</th>'
        '<th scope="col">Since the previous period</th>'
        '<th scope="col">Evidence for points</th><th scope="col">Readings</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _verdict(reading: OutcomeReading) -> str:
    words = reading.verdict
    if reading.missed_last_two:
        words += "; missed its target in each of its last two readings"
    return words


def linked_outcomes(point: PointReport, outcomes: Iterable[OutcomeReading]) -> str:
    """The measures that are evidence for this point, latest vs target, and the flag in words."""
    linked = [reading for reading in outcomes if point.number in reading.points]
    if not linked:
        return ""
    items = "".join(
        f"<li><strong>{text(reading.measure)}</strong>: {text(reading.latest_words)} · "
        f"{text(reading.verdict)}</li>"
        for reading in linked
    )
    flags = "".join(
        f'<p class="flag"><strong>Met on paper, off target in practice:</strong> this point is '
        f"rated {text('met' if point.rating == Rating.MET else point.rating)}, but "
        f"{text(reading.measure)} missed its target in each of its last two readings.</p>"
        for reading in linked
        if point.number in reading.flagged_points
    )
    return (
        f'<div class="linked" id="point-{point.number}-outcomes">'
        f"<p><strong>Outcome measures for point {point.number}</strong></p>"
        f'<ul class="history">{items}</ul>{flags}</div>'
    )


def sparkline(reading: OutcomeReading) -> str:
    """A small line of the readings, oldest first, with its figures as text beside it."""
    history = reading.history
    if not history:
        return "—"
    figures = "; ".join(f"{period}: {figure}" for period, figure, _ in history)
    label = f"{reading.measure}, readings oldest first: {figures}"
    listed = f'<span class="meta">{text(figures)}</span>'
    if len(history) < 2:
        return listed
    values = [value for _, _, value in history]
    low, high = min(values), max(values)
    span = (high - low) or 1
    width, height = 120, 30
    step = width / (len(values) - 1)
    points = " ".join(
        f"{index * step:.1f},{height - 3 - float((value - low) / span) * (height - 6):.1f}"
        for index, value in enumerate(values)
    )
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{text(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{text(label)}</title>"
        f'<polyline points="{points}" fill="none" stroke="#0b0c0c" stroke-width="2"/></svg>'
        f"<br>{listed}"
    )


def credits_html(credits: Iterable[StandardCredit | None]) -> str:
    """Each standard's attribution once, with links to its source and licence."""
    seen: set[str] = set()
    parts = []
    for credit in credits:
        if credit is None or credit.standard_id in seen:
            continue
        seen.add(credit.standard_id)
        licence = text(credit.licence or "Licence")
        if credit.licence_url.lower().startswith(("https://", "http://")):
            licence = f'<a href="{text(credit.licence_url)}" rel="license">{licence}</a>'
        source = ""
        if credit.source.lower().startswith(("https://", "http://")):
            source = f' Source: <a href="{text(credit.source)}">{text(credit.source)}</a>.'
        parts.append(
            f'<br><span class="credit">{text(credit.attribution)}{source} '
            f"Licence: {licence}.</span>"
        )
    return "".join(parts)
