"""Saving the measure and record modals: validate all, save in one short transaction, ack.

Who may act is asked of Slack before the transaction opens; errors go back inline in the ack,
keyed by block id, and nothing is saved unless the whole modal is valid.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks import outcome_ids as oid
from bot.core.outcome_actions import save_measure, save_readings
from bot.core.outcome_forms import MeasureForm
from bot.core.outcome_values import show
from bot.core.periods import local_today
from bot.core.text import escape, safe
from bot.deps import Deps
from bot.slack import view_state
from bot.slack.after_ack import later
from bot.slack.errors import COULD_NOT_SAVE, DATABASE_ERRORS
from bot.slack.lookup import manages
from storage.outcome_queries import find_measure
from storage.service_queries import service_by_id

logger = logging.getLogger(__name__)


# --- modals --------------------------------------------------------------------------------


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _selected_values(view: dict[str, Any], block_id: str) -> tuple[str, ...]:
    block = view.get("state", {}).get("values", {}).get(block_id) or {}
    element: dict[str, Any] = next(iter(block.values()), {}) if isinstance(block, dict) else {}
    return tuple(str(o.get("value", "")) for o in element.get("selected_options") or [])


def measure_form_from_view(view: dict[str, Any]) -> MeasureForm:
    return MeasureForm(
        template_id=view_state.selected_value(view, "template"),
        name=view_state.text_value(view, "name"),
        counts=view_state.text_value(view, "counts"),
        unit=view_state.selected_value(view, "unit"),
        better_when=view_state.selected_value(view, "better_when"),
        target=view_state.text_value(view, "target"),
        frequency=view_state.selected_value(view, "frequency"),
        source=view_state.text_value(view, "source"),
        points=_selected_values(view, "points"),
    )


def save_measure_from_view(
    deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient, *, editing: bool
) -> None:
    view = body["view"]
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    meta = _metadata(view)
    form = measure_form_from_view(view)
    # Who may act is Slack's to say: ask before the transaction opens.
    with deps.sessions() as session:
        measure = None
        if editing:
            measure = find_measure(
                session=session, measure_id=int(meta.get("measure_id") or 0), team_id=team_id
            )
            service_id = measure.service_id if measure is not None else 0
        else:
            service_id = int(meta.get("service_id") or 0)
        service = service_by_id(service_id, team_id=team_id, session=session)
    allowed = service is not None and manages(deps, client, user_id, service)
    if service is None or not allowed or (editing and measure is None):
        ack(response_action="errors", errors={"name": "You can't change this service's measures."})
        return
    try:
        with deps.sessions.begin() as session:  # only the database: the ack comes after
            current = service_by_id(service.id, team_id=team_id, session=session)
            row = (
                find_measure(session=session, measure_id=measure.id, team_id=team_id)
                if measure is not None
                else None
            )
            problems: dict[str, str] = {"name": "That service has gone."}
            if current is not None:
                saved = save_measure(
                    form,
                    session=session,
                    service=current,
                    catalogue=deps.catalogue,
                    library=deps.measures,
                    user_id=user_id,
                    now=deps.clock(),
                    editing=row,
                )
                if isinstance(saved, dict):
                    problems = saved
                else:
                    problems = {}
                    name, channel = saved.name, current.team_channel_id
                    service_name = current.name
    except DATABASE_ERRORS:
        logger.warning("could not save a measure", exc_info=True)
        ack(response_action="errors", errors={"name": COULD_NOT_SAVE})
        return
    if problems:
        ack(response_action="errors", errors=problems)
        return
    ack()
    verb = "updated" if editing else "added"
    text = (
        f":bar_chart: <@{user_id}> {verb} the outcome measure *{safe(name, 150)}* for "
        f"*{safe(service_name, 80)}*. `/assess measures {escape(service_name)}` lists them."
    )
    later(
        deps,
        f"announcing a measure in {channel}",
        lambda: client.chat_postMessage(channel=channel, text=text),
    )


def save_readings_from_view(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    view = body["view"]
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    service_id = int(_metadata(view).get("service_id") or 0)
    values_state = view.get("state", {}).get("values", {})
    block_for: dict[int, str] = {}
    values: dict[int, str] = {}
    for block_id in values_state:
        raw = str(block_id).removeprefix(oid.READING_BLOCK_PREFIX)
        if str(block_id).startswith(oid.READING_BLOCK_PREFIX) and raw.isdigit():
            block_for[int(raw)] = str(block_id)
            values[int(raw)] = view_state.text_value(view, str(block_id))
    picked = view_state.selected_value(view, oid.PERIOD_BLOCK)
    try:
        month_start = date.fromisoformat(picked) if picked else None
    except ValueError:
        month_start = None
    confirm = oid.CONFIRM_VALUE in _selected_values(view, oid.CONFIRM_BLOCK)
    with deps.sessions() as session:
        service = service_by_id(service_id, team_id=team_id, session=session)
    allowed = service is not None and manages(deps, client, user_id, service)
    if service is None or not allowed:
        ack(response_action="errors", errors={oid.PERIOD_BLOCK: "You can't record readings here."})
        return
    try:
        with deps.sessions.begin() as session:  # only the database: the ack comes after
            current = service_by_id(service.id, team_id=team_id, session=session)
            if current is None:
                saved: dict[str, str] | tuple[Any, Any] = {
                    oid.PERIOD_BLOCK: "That service has gone."
                }
            else:
                saved = save_readings(
                    session=session,
                    service=current,
                    month_start=month_start,
                    values=values,
                    note=view_state.text_value(view, oid.NOTE_BLOCK),
                    confirm_corrections=confirm,
                    today=local_today(deps.clock(), deps.settings.timezone),
                    user_id=user_id,
                    now=deps.clock(),
                    period_block=oid.PERIOD_BLOCK,
                    block_for=block_for,
                )
            service_name = current.name if current is not None else ""
    except DATABASE_ERRORS:
        logger.warning("could not save readings", exc_info=True)
        ack(response_action="errors", errors={oid.PERIOD_BLOCK: COULD_NOT_SAVE})
        return
    if isinstance(saved, dict):
        ack(response_action="errors", errors=saved)
        return
    readings, measures = saved
    ack()
    by_id = {m.id: m for m in measures}
    lines = [
        f"• {safe(by_id[r.measure_id].name, 150)}: {show(r.value, by_id[r.measure_id].unit)} "
        f"for {r.period.label()}" + (" (correction)" if r.corrects is not None else "")
        for r in readings
    ]
    text = f":white_check_mark: Saved {len(readings)} readings for *{safe(service_name, 80)}*:\n"
    receipt = text + "\n".join(lines)
    later(
        deps,
        "confirming saved readings",
        lambda: client.chat_postMessage(channel=user_id, text=receipt),
    )
