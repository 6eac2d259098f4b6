"""One service's assessment report as a self-contained HTML page (see `bot.core.html_page`).

Reading order follows what a head of digital or a peer reviewer asks first: what is this
service, how did it do overall, which points fell short, then each point's evidence and
history. The results table carries the previous assessment's rating beside each point, so
change reads across a row, and the peer reviewers' verdicts when there are any. Then a short
section on improvement actions and peer review, and under each point its actions and verdicts
(`bot.core.report_follow_up_html`). The outcomes section is still left for its feature and
rendered only when it has entries.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.html_page import (
    STATUS_WORDS,
    UNANSWERED,
    local_day,
    page,
    rating_badge,
    rating_word,
    tally_bar,
    text,
    time_element,
    web_link,
)
from bot.core.report import (
    COMPLETED,
    NOT_ASSESSED,
    AnswerEntry,
    OutcomeReading,
    PointReport,
    ReportData,
)
from bot.core.report_follow_up_html import follow_up_summary, point_follow_up, results_cell
from bot.core.report_outcomes_html import (
    credits_html,
    linked_outcomes,
    outcomes_section,
    service_type_words,
)
from storage.values import Rating

KIND = "Service assessment report"


def render_report(
    report: ReportData, *, tz: ZoneInfo, generated_at: datetime, index_href: str | None = None
) -> str:
    """The whole report page; `index_href` links back to the portfolio page when published."""
    body = [
        _back(index_href),
        f"<h1>{text(report.service_name)}</h1>",
        _description(report),
        _facts(report, tz),
        _result(report),
    ]
    if report.points:
        body.append(_results_table(report))
        body.append(follow_up_summary(report, tz))
        body.append(_details(report, tz))
    body.append(_outcomes(report.outcomes))
    footer = (
        f"Produced by assessbot on {text(local_day(generated_at, tz))} from the "
        f"{text(report.organisation)} assessment records. Times are {text(tz.key)} time."
    )
    if not report.with_evidence:
        footer += (
            " Evidence notes and links, action texts and peer reviewers' comments are not"
            " included in this copy."
        )
    footer += credits_html([report.credit])
    return page(
        title=f"{report.service_name}: {KIND}",
        organisation=report.organisation,
        kind=KIND,
        body="\n".join(part for part in body if part),
        footer=footer,
    )


def _back(index_href: str | None) -> str:
    if index_href is None:
        return ""
    return f'<p><a href="{text(index_href)}">All service assessments</a></p>'


def _description(report: ReportData) -> str:
    if not report.description.strip():
        return ""
    return f'<p class="lede">{text(report.description.strip())}</p>'


def _facts(report: ReportData, tz: ZoneInfo) -> str:
    standard = report.standard_title
    if report.standard_version:
        standard += f" (version {report.standard_version})"
    rows = [
        ("Standard", text(standard)),
        ("Phase", text(report.phase.capitalize())),
    ]
    if report.service_type:
        rows.append(("Type", text(service_type_words(report.service_type))))
    rows.extend(
        [
            ("Team channel", text(report.team_channel)),
            ("Owners", text(", ".join(report.owners) or "None recorded")),
            ("Assessment", text(STATUS_WORDS.get(report.status, report.status))),
            ("Started", time_element(report.started_at, tz)),
            ("Completed", time_element(report.completed_at, tz)),
            ("Next due", text(local_day(report.next_due_on))),
        ]
    )
    items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return f'<h2 id="about">About this assessment</h2>\n<dl class="facts">{items}</dl>'


def _result(report: ReportData) -> str:
    if report.status == NOT_ASSESSED:
        return (
            '<section class="result" aria-labelledby="result"><h2 id="result">Overall result'
            "</h2><p>This service has not been assessed yet.</p></section>"
        )
    tally = report.tally
    counts = [
        (Rating.MET, tally.met),
        (Rating.PARTLY_MET, tally.partly_met),
        (Rating.NOT_MET, tally.not_met),
        (Rating.NOT_APPLICABLE, tally.not_applicable),
        (UNANSWERED, tally.unanswered),
    ]
    words = ", ".join(f"{count} {rating_word(rating).lower()}" for rating, count in counts if count)
    if report.status == COMPLETED:
        headline = f'<p class="big">{rating_badge(report.overall)}</p>'
    else:
        headline = (
            f'<p class="big">In progress: {tally.answered} of {tally.total} points answered</p>'
        )
    return (
        '<section class="result" aria-labelledby="result">'
        '<h2 id="result">Overall result</h2>'
        f"{headline}<p>{len(report.points)} points: {text(words)}.</p>"
        f"{tally_bar(counts, f'Ratings of the {len(report.points)} points: {words}')}"
        "</section>"
    )


def _results_table(report: ReportData) -> str:
    has_previous = report.previous_assessment_id is not None
    reviewed = bool(report.reviews)
    previous_head = '<th scope="col">Previously</th>' if has_previous else ""
    if reviewed:
        previous_head += '<th scope="col">Peer review</th>'
    rows = []
    for point in report.points:
        previous = f"<td>{rating_badge(point.previous_rating)}</td>" if has_previous else ""
        if has_previous and point.previous_rating is None:
            previous = "<td>Not asked</td>"
        if reviewed:
            previous += f"<td>{results_cell(report, point.number)}</td>"
        rows.append(
            f'<tr><th scope="row"><a href="#point-{point.number}">{point.number}. '
            f"{text(point.title)}</a></th><td>{rating_badge(point.rating)}</td>{previous}</tr>"
        )
    caption = "Rating of each point"
    if has_previous:
        caption += ", beside the previous assessment's rating"
    if reviewed:
        caption += ", and the peer reviewers' verdicts"
    return (
        '<h2 id="results">Results by point</h2>\n'
        f'<div class="scroll" role="region" aria-labelledby="results" tabindex="0">'
        f"<table><caption>{text(caption)}</caption><thead><tr>"
        '<th scope="col">Point</th><th scope="col">Rating</th>'
        f"{previous_head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _details(report: ReportData, tz: ZoneInfo) -> str:
    parts = ['<h2 id="evidence">Evidence and history, point by point</h2>']
    for point in report.points:
        parts.append(
            _point(point, report.with_evidence, tz, point_follow_up(report, point.number, tz))
        )
        parts.append(linked_outcomes(point, report.outcomes))  # #13: the point's measures
    return "\n".join(parts)


def _point(point: PointReport, with_evidence: bool, tz: ZoneInfo, follow_up: str) -> str:
    heading = (
        f'<h3 id="point-{point.number}">{point.number}. {text(point.title)}</h3>'
        f"<p>{rating_badge(point.rating)}"
    )
    if point.previous_rating is not None:
        heading += (
            f' <span class="meta">(previously {text(rating_word(point.previous_rating))})</span>'
        )
    heading += "</p>"
    current = point.current
    if current is None:
        return (
            f'<section class="point">{heading}<p>Nobody has answered this point.</p>'
            f"{follow_up}</section>"
        )
    body = [heading, _answered(current, tz)]
    if with_evidence:
        body.append(_evidence(current))
    if point.earlier:
        items = "".join(
            f"<li>{text(rating_word(entry.rating))}, {_answered_words(entry, tz)}</li>"
            for entry in point.earlier
        )
        body.append(
            f"<p><strong>Earlier answers</strong> (oldest first)</p>"
            f'<ol class="history">{items}</ol>'
        )
    body.append(follow_up)
    return f'<section class="point">{"".join(body)}</section>'


def _answered_words(entry: AnswerEntry, tz: ZoneInfo) -> str:
    return f"by {text(entry.answered_by)} on {time_element(entry.answered_at, tz)}"


def _answered(entry: AnswerEntry, tz: ZoneInfo) -> str:
    return f'<p class="meta">Answered {_answered_words(entry, tz)}</p>'


def _evidence(entry: AnswerEntry) -> str:
    parts = []
    if entry.evidence:
        parts.append(f'<p class="evidence">{text(entry.evidence)}</p>')
    if entry.links:
        links = "".join(f"<li>{web_link(link)}</li>" for link in entry.links)
        parts.append(f"<p><strong>Evidence links</strong></p><ul>{links}</ul>")
    if not parts:
        parts.append("<p>No evidence was recorded.</p>")
    return "".join(parts)


# --- the section the outcomes feature fills (empty today: nothing is rendered) -----------


def _outcomes(outcomes: tuple[OutcomeReading, ...]) -> str:
    return outcomes_section(outcomes)
