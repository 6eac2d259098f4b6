"""Modals: register or edit a service, add evidence, give a reason for "not applicable"."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import ids
from bot.blocks.inputs import View, datepicker, input_block, modal, text_input
from bot.blocks.kit import Block, context, option, plain, section, static_select
from bot.core.due import INTERVAL_CHOICES
from bot.core.text import escape, truncate
from standards import PHASES, Catalogue, Standard
from storage.views import AnswerView, ServiceView

PUBLISHABLE = "publishable"  # the checkbox's block id and value (#16)


def standard_option(standard: Standard) -> dict[str, Any]:
    return option(f"{standard.short_title} · {standard.title}", standard.id)


def build_service_modal(
    catalogue: Catalogue,
    *,
    service: ServiceView | None = None,
    name: str = "",
    user_id: str,
    channel_id: str | None = None,
) -> View:
    """The register modal, or the edit modal when `service` is given (same fields)."""
    editing = service is not None
    blocks = [
        input_block(
            "name",
            "Service name",
            # No max_length: a longer name gets a clear inline message instead of a silent cut.
            text_input(service.name if service else truncate(name, 150), max_length=150),
            hint="Up to 80 characters, unique in this workspace.",
        ),
        input_block(
            "description",
            "What the service does",
            text_input(service.description if service else "", multiline=True, max_length=3000),
            optional=True,
        ),
        input_block(
            "standard",
            "Standard",
            static_select(
                [standard_option(standard) for standard in catalogue],
                service.standard_id if service else "lgdss",
                "Choose a standard",
            ),
        ),
        input_block(
            "phase",
            "Phase",
            static_select(
                [option(phase.capitalize(), phase) for phase in PHASES],
                service.phase if service else None,
                "Choose a phase",
            ),
            hint="Moving to a new phase makes a reassessment due now.",
        ),
        input_block(
            "channel",
            "Team channel",
            _conversation_select(service.team_channel_id if service else channel_id),
            hint="Where I announce the service and post reminders. Invite me there.",
        ),
        input_block(
            "owners",
            "Owners",
            {
                "type": "multi_users_select",
                "action_id": "value",
                "placeholder": plain("Who answers for this service", 150),
                "initial_users": list(service.owner_ids) if service else [user_id],
                "max_selected_items": 20,
            },
        ),
        input_block(
            "interval",
            "Reassess every",
            static_select(
                [option(f"{months} months", str(months)) for months in INTERVAL_CHOICES],
                str(service.interval_months if service else 6),
                "How often",
            ),
        ),
        input_block(
            "last_assessed",
            "Last assessed on",
            datepicker(service.last_assessed_on if service else None),
            optional=True,
            hint="Leave empty if it has never been assessed.",
        ),
        _publishable_input(service.publishable if service else False),
        input_block(  # outcomes (#13)
            "service_type",
            "Service type",
            static_select(
                [
                    option("Transactional: forms, payments, bookings", "transactional"),
                    option("Relational: care, support, casework", "relational"),
                ],
                service.service_type if service else "transactional",
                "Choose a type",
            ),
            hint="Relational services should track at least one outcome for the people served.",
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.SERVICE_EDIT_VIEW if editing else ids.SERVICE_NEW_VIEW,
        "private_metadata": json.dumps({"service_id": service.id} if service else {}),
        "title": plain("Edit service" if editing else "Register a service", 24),
        "submit": plain("Save" if editing else "Register", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def _publishable_input(ticked: bool) -> Block:
    """Off by default: results go on a public site only when someone chose that (#16)."""
    choice = option("Publish this service's assessment results", PUBLISHABLE)
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": [choice]}
    if ticked:
        element["initial_options"] = [choice]
    return input_block(
        PUBLISHABLE,
        "Publishing",
        element,
        optional=True,
        hint="`assessbot publish` includes only services ticked here. Evidence notes stay out.",
    )


def _conversation_select(initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "value",
        "placeholder": plain("Choose a channel", 150),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if initial and initial[:1] in {"C", "G"}:
        element["initial_conversation"] = initial
    return element


def card_metadata(
    assessment_id: int,
    point: int,
    channel: str,
    ts: str | None,
    *,
    source: str = "card",
    status_view: tuple[str, str] | None = None,
) -> str:
    """What a point's modal must remember: the card it came from, or the status modal (id and
    hash) it was pushed on, which is refreshed after the save."""
    meta: dict[str, Any] = {"a": assessment_id, "p": point, "c": channel, "ts": ts or ""}
    if source != "card":
        meta["s"] = source
    if status_view is not None:
        meta["sv"], meta["sh"] = status_view
    return json.dumps(meta)


def build_evidence_modal(point_title: str, answer: AnswerView | None, metadata: str) -> View:
    note = answer.evidence if answer is not None else ""
    links = "\n".join(answer.evidence_links) if answer is not None else ""
    return modal(
        ids.EVIDENCE_VIEW,
        "Add evidence",
        "Save evidence",
        metadata,
        [
            section(f"*{escape(truncate(point_title, 200))}*"),
            input_block(
                "note",
                "What shows this point is met?",
                text_input(note, multiline=True, max_length=3000),
                optional=True,
            ),
            input_block(
                "links",
                "Links (one per line)",
                text_input(links, multiline=True, max_length=3000, placeholder="https://"),
                optional=True,
                hint="Research reports, dashboards, repos, decision records.",
            ),
            context("Evidence is kept with the answer; changing it keeps the old version too."),
        ],
    )


def build_not_applicable_modal(point_title: str, metadata: str) -> View:
    return modal(
        ids.NOT_APPLICABLE_VIEW,
        "Not applicable",
        "Save",
        metadata,
        [
            section(f"*{escape(truncate(point_title, 200))}*"),
            input_block(
                "reason",
                "Why doesn't this point apply?",
                text_input("", multiline=True, max_length=3000),
                hint="For example: out of scope for this phase, or covered by another service.",
            ),
        ],
    )
