"""The report's actions and peer review, as HTML (the rest of the page: `bot.core.report_html`).

Same conventions as the rest of the report: everything typed goes through `text()`; tables
have a caption and header cells and sit in a focusable scrolling region, so a phone at 375 px
scrolls the table rather than the page; a rating is a word and a symbol as well as a colour;
a status or "overdue" is always said in words, never shown by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.core.html_page import local_day, rating_badge, text, time_element
from bot.core.report import ReportData
from bot.core.report_follow_up import ActionEntry, PeerReview, PeerVerdict
from storage.models import Verdict
from storage.values import ActionStatus

LEFT_OUT = '<span class="meta">Not included in this copy</span>'
ACTION_STATUS_WORDS = {
    ActionStatus.OPEN: "Open",
    ActionStatus.DONE: "Done",
    ActionStatus.DROPPED: "Dropped",
}
CHALLENGE_WORDS = {
    "none": "No challenge",
    "open": "Open: waiting for the team",
    "responded": "Open: the team responded, waiting for the reviewer",
    "accepted": "Accepted: the team took the reviewer's rating",
    "agreed": "Resolved: the reviewer agreed after the team's response",
    "kept": "Kept: the reviewer kept the challenge",
}


def follow_up_summary(report: ReportData, tz: ZoneInfo) -> str:
    """The short section: how many actions are open and overdue; who reviewed, what's open."""
    actions = report.actions
    open_ = [a for a in actions if a.status == ActionStatus.OPEN]
    overdue = sum(1 for a in open_ if a.overdue)
    done = sum(1 for a in actions if a.status == ActionStatus.DONE)
    dropped = sum(1 for a in actions if a.status == ActionStatus.DROPPED)
    if actions:
        action_words = (
            f"{_count(len(actions), 'improvement action')}: {len(open_)} open"
            f" ({overdue} overdue), {done} done, {dropped} dropped."
        )
    else:
        action_words = "No improvement actions have been recorded."
    items = [f"<li>{text(action_words)}</li>"]
    if not report.reviews:
        items.append("<li>No peer review of this assessment yet.</li>")
    items.extend(f"<li>{_review_words(review, tz)}</li>" for review in report.reviews)
    open_challenges = sum(1 for verdict in report.verdicts if verdict.open)
    if report.reviews:
        items.append(f"<li>{text(_count(open_challenges, 'challenge'))} still open.</li>")
    parts = [
        '<h2 id="follow-up">Actions and peer review</h2>',
        f'<ul class="follow-up">{"".join(items)}</ul>',
    ]
    numbers = {point.number for point in report.points}
    stray = tuple(a for a in actions if a.point_number not in numbers)
    if stray:
        parts.append(action_table(stray, "Open actions on points this assessment does not have"))
    return "\n".join(parts)


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _review_words(review: PeerReview, tz: ZoneInfo) -> str:
    who = f"<strong>{text(reviewer(review.reviewer_name, review.reviewer_org))}</strong>"
    if review.finished_at is None:
        when = f"in progress, {review.agreed + review.challenged} of {review.points} points"
    else:
        when = f"finished {time_element(review.finished_at, tz)}"
    return f"Peer review by {who}, {when}: {review.agreed} agreed, {review.challenged} challenged."


def reviewer(name: str, org: str) -> str:
    """e.g. "Priya Patel (Kent County Council)" — plain text; escape before showing."""
    return f"{name} ({org})" if org else name


def point_follow_up(report: ReportData, number: int, tz: ZoneInfo) -> str:
    """A point's actions and peer verdicts, under its evidence."""
    parts = []
    actions = tuple(a for a in report.actions if a.point_number == number)
    if actions:
        parts.append(action_table(actions, f"Improvement actions on point {number}"))
    verdicts = tuple(v for v in report.verdicts if v.point_number == number)
    if verdicts:
        parts.append(_verdict_table(verdicts, number, tz))
    return "".join(parts)


def action_table(actions: Sequence[ActionEntry], caption: str) -> str:
    rows = "".join(
        f"<tr><td>{text(action.text) if action.text else LEFT_OUT}</td>"
        f"<td>{text(action.owner)}</td><td>{_due(action)}</td><td>{_status(action)}</td></tr>"
        for action in actions
    )
    return _table(caption, ("Action", "Owner", "Due", "Status"), rows)


def _due(action: ActionEntry) -> str:
    due = text(local_day(action.due_on))
    if action.overdue:
        return f'{due} <strong class="overdue">Overdue</strong>'
    return due


def _status(action: ActionEntry) -> str:
    word = ACTION_STATUS_WORDS.get(ActionStatus(action.status), action.status)
    if action.closed_on is not None and action.status != ActionStatus.OPEN:
        return f"{text(word)} on {text(local_day(action.closed_on))}"
    return text(word)


def _verdict_table(verdicts: Sequence[PeerVerdict], number: int, tz: ZoneInfo) -> str:
    rows = "".join(
        f'<tr><th scope="row">{text(reviewer(v.reviewer_name, v.reviewer_org))}</th>'
        f"<td>{verdict_words(v)}</td><td>{_comment(v)}</td>"
        f"<td>{text(CHALLENGE_WORDS.get(v.challenge_status, v.challenge_status))}"
        f'<br><span class="meta">{time_element(v.given_at, tz)}</span></td></tr>'
        for v in verdicts
    )
    return _table(
        f"Peer review of point {number}", ("Reviewer", "Verdict", "Comment", "Challenge"), rows
    )


def verdict_words(verdict: PeerVerdict) -> str:
    """Agree, or Challenge with the reviewer's rating as a word and a symbol (HTML)."""
    if verdict.verdict == Verdict.AGREE and not verdict.challenged:
        return "Agree"
    rating = rating_badge(verdict.reviewer_rating)
    if verdict.verdict == Verdict.AGREE:
        return f"Agree, after challenging as {rating}"
    return f"Challenge: {rating}"


def _comment(verdict: PeerVerdict) -> str:
    if verdict.comment:
        return f'<span class="comment">{text(verdict.comment)}</span>'
    if verdict.challenged:
        return LEFT_OUT
    return "—"


def _table(caption: str, headings: Sequence[str], rows: str) -> str:
    head = "".join(f'<th scope="col">{text(heading)}</th>' for heading in headings)
    return (
        f'<div class="scroll" role="region" aria-label="{text(caption)}" tabindex="0">'
        f'<table class="follow"><caption>{text(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def results_cell(report: ReportData, number: int) -> str:
    """The results table's peer-review cell: each reviewer's word (and rating when challenged)."""
    named = len(report.reviews) > 1  # with several reviewers, say whose word is whose
    words = [
        (f"{text(v.reviewer_name)}: " if named else "") + verdict_words(v)
        for v in report.verdicts
        if v.point_number == number
    ]
    return "<br>".join(words) if words else "Not reviewed"
