"""Peer review's modals: ask for a review, challenge a point, respond to a challenge.

Input blocks have explicit block ids (`review_ids.*_FIELD`) so validation errors land on the
field; what the listener needs back travels in `private_metadata`.
"""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import review_ids as rid
from bot.blocks.inputs import View, input_block, modal, text_input
from bot.blocks.kit import option, plain, section
from bot.blocks.words import rating_label
from bot.core.text import escape, safe, truncate
from storage.values import Rating

CHALLENGE_RATINGS = (Rating.MET, Rating.PARTLY_MET, Rating.NOT_MET, Rating.NOT_APPLICABLE)


def _text() -> dict[str, Any]:
    return text_input(multiline=True, max_length=2000)


def build_challenge_modal(point_title: str, metadata: str) -> View:
    options = [option(rating_label(rating), rating.value) for rating in CHALLENGE_RATINGS]
    return modal(
        rid.CHALLENGE_VIEW,
        "Challenge",
        "Challenge",
        metadata,
        [
            section(f"*{escape(truncate(point_title, 200))}*"),
            input_block(
                rid.RATING_FIELD,
                "Your rating",
                {
                    "type": "static_select",
                    "action_id": "value",
                    "placeholder": plain("Choose a rating", 150),
                    "options": options,
                },
            ),
            input_block(rid.COMMENT_FIELD, "Why? (the team sees this)", _text()),
        ],
    )


def build_respond_modal(point_title: str, metadata: str) -> View:
    return modal(
        rid.RESPOND_VIEW,
        "Respond",
        "Send",
        metadata,
        [
            section(f"*{escape(truncate(point_title, 200))}*"),
            input_block(rid.NOTE_FIELD, "Your response to the reviewer", _text()),
            input_block(
                rid.LINKS_FIELD, "More evidence: links (one per line)", _text(), optional=True
            ),
        ],
    )


def build_ask_modal(service_name: str, metadata: str) -> View:
    return modal(
        rid.ASK_VIEW,
        "Ask for a peer review",
        "Ask",
        metadata,
        [
            section(
                f"Who should review *{safe(service_name, 200)}*? Someone from another team, or "
                "from another council in a channel you share with them. The review happens in "
                "a thread in this channel."
            ),
            input_block(
                rid.REVIEWER_FIELD,
                "Reviewer",
                {
                    "type": "users_select",
                    "action_id": "value",
                    "placeholder": plain("Choose a person", 150),
                },
            ),
        ],
    )


def modal_metadata(invitation_id: int, point: int, channel: str, ts: str | None) -> str:
    return json.dumps({"i": invitation_id, "p": point, "c": channel, "ts": ts or ""})
