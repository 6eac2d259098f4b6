"""Modals: register or edit a service, add evidence, give a reason for "not applicable"."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.blocks import ids
from bot.blocks.kit import Block, context, option, plain, section, static_select
from bot.core.due import INTERVAL_CHOICES
from bot.core.text import escape, truncate
from standards import PHASES, Catalogue, Standard
from storage.models import Answer, Service

View = dict[str, Any]
PRIVATE_METADATA_LIMIT = 3000
PUBLISHABLE = "publishable"  # the checkbox's block id and value (#16)


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text_input(
    initial: str, *, multiline: bool = False, max_length: int | None = None, placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
    }
    if max_length is not None:
        element["max_length"] = max_length
        initial = initial[:max_length]
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def standard_option(standard: Standard) -> dict[str, Any]:
    return option(f"{standard.short_title} · {standard.title}", standard.id)


def build_service_modal(
    catalogue: Catalogue,
    *,
    service: Service | None = None,
    name: str = "",
    user_id: str,
    channel_id: str | None = None,
) -> View:
    """The register modal, or the edit modal when `service` is given (same fields)."""
    editing = service is not None
    blocks = [
        _input(
            "name",
            "Service name",
            # No max_length: a longer name gets a clear inline message instead of a silent cut.
            _text_input(service.name if service else truncate(name, 150), max_length=150),
            hint="Up to 80 characters, unique in this workspace.",
        ),
        _input(
            "description",
            "What the service does",
            _text_input(service.description if service else "", multiline=True, max_length=3000),
            optional=True,
        ),
        _input(
            "standard",
            "Standard",
            static_select(
                [standard_option(standard) for standard in catalogue],
                service.standard_id if service else "lgdss",
                "Choose a standard",
            ),
        ),
        _input(
            "phase",
            "Phase",
            static_select(
                [option(phase.capitalize(), phase) for phase in PHASES],
                service.phase if service else None,
                "Choose a phase",
            ),
            hint="Moving to a new phase makes a reassessment due now.",
        ),
        _input(
            "channel",
            "Team channel",
            _conversation_select(service.team_channel_id if service else channel_id),
            hint="Where I announce the service and post reminders. Invite me there.",
        ),
        _input(
            "owners",
            "Owners",
            {
                "type": "multi_users_select",
                "action_id": "value",
                "placeholder": plain("Who answers for this service", 150),
                "initial_users": service.owner_ids if service else [user_id],
                "max_selected_items": 20,
            },
        ),
        _input(
            "interval",
            "Reassess every",
            static_select(
                [option(f"{months} months", str(months)) for months in INTERVAL_CHOICES],
                str(service.interval_months if service else 6),
                "How often",
            ),
        ),
        _input(
            "last_assessed",
            "Last assessed on",
            _datepicker(service.last_assessed_on if service else None),
            optional=True,
            hint="Leave empty if it has never been assessed.",
        ),
        _publishable_input(service.publishable if service else False),
        _input(  # outcomes (#13)
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
    return _input(
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


def _datepicker(initial: date | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "datepicker",
        "action_id": "value",
        "placeholder": plain("Never", 150),
    }
    if initial is not None:
        element["initial_date"] = initial.isoformat()
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


def build_evidence_modal(point_title: str, answer: Answer | None, metadata: str) -> View:
    note = answer.evidence if answer is not None else ""
    links = "\n".join(answer.evidence_links) if answer is not None else ""
    return {
        "type": "modal",
        "callback_id": ids.EVIDENCE_VIEW,
        "private_metadata": metadata[:PRIVATE_METADATA_LIMIT],
        "title": plain("Add evidence", 24),
        "submit": plain("Save evidence", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"*{escape(truncate(point_title, 200))}*"),
            _input(
                "note",
                "What shows this point is met?",
                _text_input(note, multiline=True, max_length=3000),
                optional=True,
            ),
            _input(
                "links",
                "Links (one per line)",
                _text_input(links, multiline=True, max_length=3000, placeholder="https://"),
                optional=True,
                hint="Research reports, dashboards, repos, decision records.",
            ),
            context("Evidence is kept with the answer; changing it keeps the old version too."),
        ],
    }


def build_not_applicable_modal(point_title: str, metadata: str) -> View:
    return {
        "type": "modal",
        "callback_id": ids.NOT_APPLICABLE_VIEW,
        "private_metadata": metadata[:PRIVATE_METADATA_LIMIT],
        "title": plain("Not applicable", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"*{escape(truncate(point_title, 200))}*"),
            _input(
                "reason",
                "Why doesn't this point apply?",
                _text_input("", multiline=True, max_length=3000),
                hint="For example: out of scope for this phase, or covered by another service.",
            ),
        ],
    }
