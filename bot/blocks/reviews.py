"""Peer review messages and modals: the review thread, its point cards, challenges, results.

Pure builders returning (fallback text, blocks) or a view dict. Everything a person typed (a
comment, a note, a name) is escaped here; ids in mentions come from Slack payloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks import review_ids as rid
from bot.blocks.assessment import evidence_summary
from bot.blocks.kit import (
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    divider,
    header,
    pack_lines,
    section,
)
from bot.blocks.words import mention, rating_icon, rating_label, when
from bot.core.review_overview import AssessmentReview, ReviewPortfolio
from bot.core.reviews import ChallengeStatus, PointReview, ReviewTally, invitation_name
from bot.core.text import escape, safe, truncate
from storage.values import Rating
from storage.views import AnswerView, ChallengeResponseView, InvitationView

View = dict[str, Any]
MAX_STATUS_REVIEWS = 3  # the newest reviews; more would crowd the status out
CHALLENGE_RATINGS = (Rating.MET, Rating.PARTLY_MET, Rating.NOT_MET, Rating.NOT_APPLICABLE)
STATUS_WORDS = {
    ChallengeStatus.NONE: "agreed",
    ChallengeStatus.OPEN: "challenge open",
    ChallengeStatus.RESPONDED: "challenge open (team responded)",
    ChallengeStatus.ACCEPTED: "challenge accepted",
    ChallengeStatus.AGREED: "agreed after the team's response",
    ChallengeStatus.KEPT: "challenge kept",
}


@dataclass(frozen=True)
class ReviewHeader:
    invitation: InvitationView
    service_name: str
    standard_title: str
    phase: str
    team_result: str  # e.g. "15 of 15 answered · 9 met · 3 partly"
    assessment_link: str | None  # a permalink to the assessment thread


def who(invitation: InvitationView) -> str:
    return escape(invitation_name(invitation))


def build_review_parent(view: ReviewHeader, result: ReviewTally | None) -> tuple[str, list[Block]]:
    invitation = view.invitation
    text = f"Peer review of {escape(view.service_name)} by {who(invitation)}"
    link = f" · <{view.assessment_link}|the assessment thread>" if view.assessment_link else ""
    blocks: list[Block] = [
        section(
            f"*Peer review of {safe(view.service_name, 200)}* by {mention(invitation.reviewer_id)}"
            f" ({who(invitation)})\n{escape(view.standard_title)} · "
            f"{view.phase.capitalize()} phase · team's result: {escape(view.team_result)}{link}"
        ),
        context(
            f"Asked by {mention(invitation.invited_by)} {when(invitation.invited_at)}. Only "
            f"{mention(invitation.reviewer_id)} answers here: *Agree* or *Challenge* each point. "
            f"The invitation lasts until {when(invitation.expires_at)}."
        ),
    ]
    if result is not None:
        blocks.append(context(f"{result.done} of {result.total} points reviewed"))
    if invitation.withdrawn_at is not None:
        blocks.append(context(f"Withdrawn by {mention(invitation.withdrawn_by or '')}."))
        return text, blocks
    elements = []
    if invitation.finished_at is None:
        elements.append(button("Continue review", rid.RESUME, str(invitation.id), "primary"))
    elements.append(
        button(
            "Withdraw invitation",
            rid.WITHDRAW,
            str(invitation.id),
            confirm=confirm_dialog(
                "Withdraw invitation?",
                "The reviewer will no longer be able to see or answer this review.",
                "Withdraw",
            ),
        )
    )
    blocks.append(actions(*elements))
    return text, blocks


def build_review_card(
    invitation: InvitationView,
    number: int,
    total: int,
    title: str,
    answer: AnswerView | None,
    state: PointReview | None,
    open_actions: Sequence[str] = (),
) -> tuple[str, list[Block]]:
    """One point for the reviewer. `open_actions`: the point's open action titles (the actions
    feature fills them in; none known renders nothing)."""
    heading = f"Point {number} of {total} · {title}"
    blocks: list[Block] = [header(heading)]
    if answer is None:
        blocks.append(section("The team gave no rating for this point."))
    else:
        blocks.append(
            section(
                f"Team's rating: {rating_icon(answer.rating)} *{rating_label(answer.rating)}* "
                f"({mention(answer.answered_by)})\n{evidence_summary(answer)}"
            )
        )
    if open_actions:
        lines = "\n".join(f"• {safe(item, 200)}" for item in open_actions[:10])
        blocks.append(section(f"*Open actions on this point*\n{lines}"))
    if state is None:
        value = rid.point_value(invitation.id, number)
        blocks.append(
            actions(
                button("Agree", rid.AGREE, value, "primary"),
                button("Challenge", rid.CHALLENGE, value),
            )
        )
    else:
        blocks.append(context(verdict_line(state)))
    return f"Peer review: {escape(truncate(heading, 200))}", blocks


def verdict_line(state: PointReview) -> str:
    verdict = state.challenge or state.verdict
    if state.challenge is None:
        return f":white_check_mark: Agreed by {mention(verdict.given_by)}"
    return (
        f":triangular_flag_on_post: Challenged by {mention(verdict.given_by)}: "
        f"{rating_icon(verdict.reviewer_rating)} *{rating_label(verdict.reviewer_rating)}* — "
        f"{safe(verdict.comment, 1500)} ({STATUS_WORDS[state.status]})"
    )


def build_challenge_post(
    invitation: InvitationView, title: str, state: PointReview, *, current: bool = True
) -> tuple[str, list[Block]]:
    """A challenge in the team's assessment thread, with Accept / Respond for owners.

    An earlier challenge on the same point (`current=False`) points at the newer one."""
    verdict = state.challenge or state.verdict
    number = verdict.point_number
    text = f"{who(invitation)} challenges point {number}"
    lines = [
        f":triangular_flag_on_post: *Peer reviewer {who(invitation)} challenges point {number}"
        f" · {safe(title, 150)}*",
        f"Team's rating: *{rating_label(verdict.team_rating) if verdict.team_rating else '—'}*"
        f" · reviewer's rating: {rating_icon(verdict.reviewer_rating)} "
        f"*{rating_label(verdict.reviewer_rating)}*",
        f">{safe(verdict.comment, 1500)}".replace("\n", "\n>"),
    ]
    blocks: list[Block] = [section("\n".join(lines))]
    response = state.last_response
    if not current:
        blocks.append(context("The reviewer kept this challenge: see the newer message below."))
    elif state.status == ChallengeStatus.ACCEPTED and response is not None:
        blocks.append(
            context(
                f"Accepted by {mention(response.responded_by)}: the rating is now "
                f"*{rating_label(verdict.reviewer_rating)}*."
            )
        )
    elif state.status == ChallengeStatus.RESPONDED and response is not None:
        blocks.append(
            context(f"{mention(response.responded_by)} responded; waiting for the reviewer.")
        )
    elif state.status == ChallengeStatus.AGREED:
        blocks.append(context("The reviewer agreed after the team's response."))
    elif state.open:
        value = rid.point_value(invitation.id, number)
        blocks.append(context("Owners: accept the reviewer's rating, or respond with a note."))
        blocks.append(
            actions(
                button("Accept", rid.ACCEPT, value, "primary"),
                button("Respond", rid.RESPOND, value),
            )
        )
    return text, blocks


def build_ask_again(
    invitation: InvitationView, title: str, response: ChallengeResponseView, state: PointReview
) -> tuple[str, list[Block]]:
    """The team's response, in the review thread, asking the reviewer again."""
    number = response.point_number
    lines = [
        f"{mention(invitation.reviewer_id)}, {mention(response.responded_by)} responded to your "
        f"challenge on point {number} · {safe(title, 150)}:",
        f">{safe(response.note, 1500)}".replace("\n", "\n>"),
    ]
    if response.links:
        lines.append("Links: " + " ".join(f"<{escape(link)}>" for link in response.links[:5]))
    blocks: list[Block] = [section("\n".join(lines))]
    if (
        state.awaiting_reviewer
        and state.last_response is not None
        and (state.last_response.id == response.id)
    ):
        value = rid.point_value(invitation.id, number)
        blocks.append(
            actions(
                button("Agree", rid.AGREE_AFTER, value, "primary"),
                button("Keep challenge", rid.KEEP, value),
            )
        )
    else:
        blocks.append(context(verdict_line(state)))
    return f"The team responded to your challenge on point {number}", blocks


def build_result(invitation: InvitationView, result: ReviewTally) -> tuple[str, list[Block]]:
    line = (
        f"Peer review by {who(invitation)}: {result.agreed} agreed, {result.challenged} challenged"
    )
    blocks = [section(f":mag: *{line}*")]
    if result.challenged:
        blocks.append(context("Each challenge is in the assessment thread for the owners."))
    return line, blocks


def ask_button(assessment_id: int) -> Block:
    """Goes on the completion message (the hook the assessment's builder calls)."""
    return actions(button("Ask for a peer review", rid.ASK, str(assessment_id)))


def status_lines(
    invitation: InvitationView, states: dict[int, PointReview], titles: dict[int, str]
) -> list[str]:
    """For `/assess status`: per point, the reviewer's verdict and rating, and if it's open."""
    lines = [f"*Peer review by {who(invitation)}* — {_progress(invitation, states, titles)}"]
    for number in sorted(states):
        state = states[number]
        verdict = state.challenge or state.verdict
        team = rating_label(verdict.team_rating) if verdict.team_rating else "—"
        if state.challenged:
            lines.append(
                f"• {number}. team {team} · reviewer: challenged, "
                f"{rating_label(verdict.reviewer_rating)} · {STATUS_WORDS[state.status]}"
            )
        else:
            lines.append(f"• {number}. team {team} · reviewer: agreed")
    return lines


def review_status_blocks(
    reviews: Sequence[AssessmentReview], titles: dict[int, str]
) -> list[Block]:
    """The peer reviews of the service's latest completed assessment, for `/assess status`."""
    lines: list[str] = []
    for review in reviews[-MAX_STATUS_REVIEWS:]:
        lines.extend(status_lines(review.invitation, review.states, titles))
    return [divider(), *pack_lines(lines)] if lines else []


def _progress(
    invitation: InvitationView, states: dict[int, PointReview], titles: dict[int, str]
) -> str:
    if invitation.withdrawn_at is not None:
        return "withdrawn"
    if invitation.finished_at is not None:
        return f"finished {when(invitation.finished_at)}"
    return f"{len(states)} of {len(titles)} points reviewed"


def peer_review_lines(portfolio: ReviewPortfolio) -> list[str]:
    """The summary's peer-review section: where self-assessment and peers disagree most."""
    lines = [
        f"*:mag_right: Peer review*: {portfolio.reviewed_within_interval} of "
        f"{portfolio.services} services peer-reviewed within their interval · "
        f"{portfolio.open_challenges} open challenge"
        + ("" if portfolio.open_challenges == 1 else "s")
    ]
    if portfolio.most_challenged:
        points = ", ".join(
            f"point {p.number} · {safe(p.title, 80)} ({p.challenges})"
            for p in portfolio.most_challenged
        )
        lines.append(f"Challenged most: {points}")
    if portfolio.average_gap is not None:
        gap = portfolio.average_gap
        direction = "above" if gap > 0 else "below" if gap < 0 else "level with"
        size = f"{abs(gap):.2f} grades " if gap else ""
        lines.append(
            f"Self-assessment is on average {size}{direction} peers' ratings "
            f"(over {portfolio.compared} points; met 2, partly 1, not met 0)."
        )
    return lines
