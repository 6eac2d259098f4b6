"""Action and callback ids of peer review, shared by its builders and its listener."""

from __future__ import annotations

from typing import Final

from bot.blocks.assessment import parse_card_value

ASK: Final = "review_ask"  # on the completion message: value is the assessment id
RESUME: Final = "review_resume"  # on the review thread's parent: value is the invitation id
WITHDRAW: Final = "review_withdraw"  # ditto, for owners
AGREE: Final = "review_agree"  # on a point card: value "invitation:point"
CHALLENGE: Final = "review_challenge"
AGREE_AFTER: Final = "review_agree_after"  # on the team's response, in the review thread
KEEP: Final = "review_keep"
ACCEPT: Final = "challenge_accept"  # on a challenge, in the assessment thread
RESPOND: Final = "challenge_respond"

ASK_VIEW: Final = "review_ask"
CHALLENGE_VIEW: Final = "review_challenge"
RESPOND_VIEW: Final = "challenge_respond"

# Input block ids of the modals: inline errors are keyed by them.
REVIEWER_FIELD: Final = "reviewer"
RATING_FIELD: Final = "rating"
COMMENT_FIELD: Final = "comment"
NOTE_FIELD: Final = "note"
LINKS_FIELD: Final = "links"


def point_value(invitation_id: int, point_number: int) -> str:
    return f"{invitation_id}:{point_number}"


def parse_point_value(value: str) -> tuple[int, int] | None:
    """(invitation id, point) from a button value; None if it was tampered with."""
    return parse_card_value(value)  # the same "id:point" shape as an assessment card's


def parse_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None
