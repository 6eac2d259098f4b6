"""Peer review's builders as pure functions: Slack's limits, escaping, the open-actions hook."""

from __future__ import annotations

from datetime import timedelta

from bot.blocks import review_ids as rid
from bot.blocks.review_forms import (
    build_ask_modal,
    build_challenge_modal,
    build_respond_modal,
    modal_metadata,
)
from bot.blocks.reviews import (
    ReviewHeader,
    build_challenge_post,
    build_result,
    build_review_card,
    build_review_parent,
)
from bot.core.reviews import ChallengeStatus, PointReview, ReviewTally
from storage.views import AnswerView, InvitationView, VerdictView
from tests.fakeslack.blockkit import validate_blocks, validate_view
from tests.test_flow import NOW

NASTY = "<!channel> & <https://evil.example|click> <@U999> " + "x" * 4000


def invitation(**changes: object) -> InvitationView:
    values: dict[str, object] = {
        "id": 7,
        "team_id": "T1",
        "service_id": 1,
        "assessment_id": 3,
        "reviewer_id": "UPRIYA",
        "reviewer_team_id": "TKENT",
        "reviewer_name": "Priya <b>",
        "reviewer_org": "Kent & Medway",
        "invited_by": "U1",
        "invited_at": NOW,
        "expires_at": NOW + timedelta(days=30),
        "channel_id": "CSHARED",
        "thread_ts": "1.2",
    }
    values.update(changes)
    return InvitationView(**values)  # type: ignore[arg-type]


def answer() -> AnswerView:
    return AnswerView(
        id=1,
        assessment_id=3,
        point_number=4,
        rating="met",
        evidence=NASTY,
        evidence_links=("https://example.gov.uk/a",),
        answered_by="U1",
        answered_at=NOW,
    )


def challenged(status: ChallengeStatus = ChallengeStatus.OPEN) -> PointReview:
    verdict = VerdictView(
        id=9,
        invitation_id=7,
        assessment_id=3,
        point_number=4,
        round=0,
        verdict="challenge",
        team_rating="met",
        reviewer_rating="not_met",
        comment=NASTY,
        given_by="UPRIYA",
        given_at=NOW,
    )
    return PointReview(4, verdict, status, None, NOW, None, verdict)


def test_card_offers_agree_and_challenge_until_answered_and_shows_no_actions_by_default() -> None:
    _text, blocks = build_review_card(invitation(), 4, 15, "User needs", answer(), None)
    assert validate_blocks(blocks, surface="message") == []
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [rid.AGREE, rid.CHALLENGE]
    assert "Open actions" not in str(blocks)
    assert "<!channel>" not in str(blocks) and "&lt;!channel&gt;" in str(blocks)
    _, with_actions = build_review_card(
        invitation(), 4, 15, "User needs", answer(), None, open_actions=["Run <!here> research"]
    )
    assert "Open actions on this point" in str(with_actions)
    assert "&lt;!here&gt;" in str(with_actions)
    _, answered = build_review_card(invitation(), 4, 15, "User needs", answer(), challenged())
    assert validate_blocks(answered, surface="message") == []
    assert not [b for b in answered if b["type"] == "actions"]


def test_challenge_post_buttons_only_while_open_and_text_escaped() -> None:
    _, blocks = build_challenge_post(invitation(), "User needs", challenged())
    assert validate_blocks(blocks, surface="message") == []
    assert "Accept" in str(blocks) and "Respond" in str(blocks)
    assert "<!channel>" not in str(blocks) and "Priya &lt;b&gt; (Kent &amp; Medway)" in str(blocks)
    _, done = build_challenge_post(invitation(), "User needs", challenged(ChallengeStatus.AGREED))
    assert "Accept" not in str(done)


def test_parent_result_and_modals_pass_slacks_checks() -> None:
    header = ReviewHeader(invitation(), NASTY, "LGDSS", "beta", "15 of 15 answered", "https://x")
    _, parent = build_review_parent(header, ReviewTally(3, 1, 15, 1))
    assert validate_blocks(parent, surface="message") == []
    assert "Continue review" in str(parent) and "Withdraw invitation" in str(parent)
    _, finished = build_review_parent(
        ReviewHeader(invitation(finished_at=NOW), "Bins", "LGDSS", "beta", "x", None),
        ReviewTally(12, 3, 15, 3),
    )
    assert "Continue review" not in str(finished)
    text, result = build_result(invitation(), ReviewTally(12, 3, 15, 3))
    assert text == "Peer review by Priya &lt;b&gt; (Kent &amp; Medway): 12 agreed, 3 challenged"
    assert validate_blocks(result, surface="message") == []
    metadata = modal_metadata(7, 4, "CSHARED", "1.2")
    for view in (
        build_challenge_modal(NASTY, metadata),
        build_respond_modal(NASTY, metadata),
        build_ask_modal(NASTY, metadata),
    ):
        assert validate_view(view) == []
