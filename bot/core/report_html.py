"""One service's assessment report as a self-contained HTML page (see `bot.core.html_page`).

Reading order follows what a head of digital or a peer reviewer asks first: what is this
service, how did it do overall, which points fell short, then each point's evidence and
history. The results table carries the previous assessment's rating beside each point, so
change reads across a row. Sections other features fill (actions, peer review, outcomes) are
rendered only when they have entries.
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
    ActionEntry,
    AnswerEntry,
    OutcomeReading,
    PointReport,
    ReportData,
    ReviewVerdict,
)
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
        body.append(_details(report, tz))
    body.extend(
        section
        for section in (
            _actions(report.actions),
            _reviews(report.reviews, tz),
            _outcomes(report.outcomes),
        )
        if section
    )
    footer = (
        f"Produced by assessbot on {text(local_day(generated_at, tz))} from the "
        f"{text(report.organisation)} assessment records. Times are {text(tz.key)} time."
    )
    if not report.with_evidence:
        footer += " Evidence notes and links are not included in this copy."
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
    previous_head = '<th scope="col">Previously</th>' if has_previous else ""
    rows = []
    for point in report.points:
        previous = f"<td>{rating_badge(point.previous_rating)}</td>" if has_previous else ""
        if has_previous and point.previous_rating is None:
            previous = "<td>Not asked</td>"
        rows.append(
            f'<tr><th scope="row"><a href="#point-{point.number}">{point.number}. '
            f"{text(point.title)}</a></th><td>{rating_badge(point.rating)}</td>{previous}</tr>"
        )
    caption = "Rating of each point"
    if has_previous:
        caption += ", beside the previous assessment's rating"
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
        parts.append(_point(point, report.with_evidence, tz))
        parts.append(linked_outcomes(point, report.outcomes))  # #13: the point's measures
    return "\n".join(parts)


def _point(point: PointReport, with_evidence: bool, tz: ZoneInfo) -> str:
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
        return f'<section class="point">{heading}<p>Nobody has answered this point.</p></section>'
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


# --- the sections other features fill (empty today: nothing is rendered) ------------------


def _actions(actions: tuple[ActionEntry, ...]) -> str:
    if not actions:
        return ""
    rows = "".join(
        f"<tr><td>{text(action.point_number or '—')}</td><td>{text(action.title)}</td>"
        f"<td>{text(action.status)}</td><td>{text(action.owner)}</td>"
        f"<td>{text(local_day(action.due_on))}</td></tr>"
        for action in actions
    )
    return (
        '<h2 id="actions">Actions</h2><div class="scroll" role="region" aria-labelledby="actions"'
        ' tabindex="0"><table><caption>Actions agreed after the assessment</caption><thead><tr>'
        '<th scope="col">Point</th><th scope="col">Action</th><th scope="col">Status</th>'
        '<th scope="col">Owner</th><th scope="col">Due</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _reviews(reviews: tuple[ReviewVerdict, ...], tz: ZoneInfo) -> str:
    if not reviews:
        return ""
    items = "".join(
        f"<li><strong>{text(review.verdict)}</strong>"
        f"{f' on point {review.point_number}' if review.point_number else ''} from "
        f"{text(review.reviewer)}, {time_element(review.reviewed_at, tz)}"
        f"{f'<p>{text(review.note)}</p>' if review.note else ''}</li>"
        for review in reviews
    )
    return f'<h2 id="reviews">Peer review</h2><ul>{items}</ul>'


def _outcomes(outcomes: tuple[OutcomeReading, ...]) -> str:
    return outcomes_section(outcomes)
