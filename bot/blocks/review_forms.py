"""Peer review's modals: ask for a review, challenge a point, respond to a challenge.

Input blocks have explicit block ids (`review_ids.*_FIELD`) so validation errors land on the
field; what the listener needs back travels in `private_metadata`.
"""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import review_ids as rid
from bot.blocks.kit import Block, option, plain, section
from bot.blocks.words import rating_label
from bot.core.text import escape, safe, truncate
from storage.values import Rating

View = dict[str, Any]
CHALLENGE_RATINGS = (Rating.MET, Rating.PARTLY_MET, Rating.NOT_MET, Rating.NOT_APPLICABLE)


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }


def _text(multiline: bool = True) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": 2000,
    }


def build_challenge_modal(point_title: str, metadata: str) -> View:
    options = [option(rating_label(rating), rating.value) for rating in CHALLENGE_RATINGS]
    return {
        "type": "modal",
        "callback_id": rid.CHALLENGE_VIEW,
        "private_metadata": metadata,
        "title": plain("Challenge", 24),
        "submit": plain("Challenge", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"*{escape(truncate(point_title, 200))}*"),
            _input(
                rid.RATING_FIELD,
                "Your rating",
                {
                    "type": "static_select",
                    "action_id": "value",
                    "placeholder": plain("Choose a rating", 150),
                    "options": options,
                },
            ),
            _input(rid.COMMENT_FIELD, "Why? (the team sees this)", _text()),
        ],
    }


def build_respond_modal(point_title: str, metadata: str) -> View:
    return {
        "type": "modal",
        "callback_id": rid.RESPOND_VIEW,
        "private_metadata": metadata,
        "title": plain("Respond", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"*{escape(truncate(point_title, 200))}*"),
            _input(rid.NOTE_FIELD, "Your response to the reviewer", _text()),
            _input(rid.LINKS_FIELD, "More evidence: links (one per line)", _text(), optional=True),
        ],
    }


def build_ask_modal(service_name: str, metadata: str) -> View:
    return {
        "type": "modal",
        "callback_id": rid.ASK_VIEW,
        "private_metadata": metadata,
        "title": plain("Ask for a peer review", 24),
        "submit": plain("Ask", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(
                f"Who should review *{safe(service_name, 200)}*? Someone from another team, or "
                "from another council in a channel you share with them. The review happens in "
                "a thread in this channel."
            ),
            _input(
                rid.REVIEWER_FIELD,
                "Reviewer",
                {
                    "type": "users_select",
                    "action_id": "value",
                    "placeholder": plain("Choose a person", 150),
                },
            ),
        ],
    }


def modal_metadata(invitation_id: int, point: int, channel: str, ts: str | None) -> str:
    return json.dumps({"i": invitation_id, "p": point, "c": channel, "ts": ts or ""})
