"""`/assess measures`, `/assess record`, and the measure and record modals.

Thin: read the payload, ask Slack who may act (before any transaction), save through
`bot.core.outcome_actions` in one short transaction, ack (with inline errors if any), then talk.
Everyone may view measures; owners and admins add, edit, retire and record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks import outcome_ids as oid
from bot.blocks.outcomes import build_measure_modal, build_measures_list, build_record_modal
from bot.core.outcome_actions import save_measure, save_readings
from bot.core.outcome_forms import MeasureForm
from bot.core.outcome_values import show
from bot.core.periods import local_today
from bot.core.text import escape, safe
from bot.deps import Deps
from bot.slack import view_state
from bot.slack.after_ack import later
from bot.slack.directory import SlackDirectory
from bot.slack.errors import COULD_NOT_SAVE, DATABASE_ERRORS, tell_user_on_failure
from bot.slack.lookup import may_manage, named_service, refusal_text
from bot.slack.router import CommandRequest, CommandRouter
from storage.models import Measure, Service
from storage.outcome_queries import find_measure, measures_for_service, retire_measure
from storage.service_queries import service_by_id

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "measures",
        _measures,
        usage="/assess measures <service>",
        summary="A service's outcome measures: latest reading, target, trend",
        example="/assess measures Adult social care",
    )
    router.add(
        "record",
        _record,
        usage="/assess record <service>",
        summary="Record this period's readings of a service's outcome measures",
        example="/assess record Adult social care",
        opens_modal=True,
    )

    @app.action(oid.ADD_MEASURE)
    def on_add(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        with tell_user_on_failure(_teller(respond), "opening the measure form"):
            _open_from_button(deps, body, client, _teller(respond), add=True)

    @app.action(oid.RECORD_READINGS)
    def on_record(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        with tell_user_on_failure(_teller(respond), "opening the readings form"):
            _open_from_button(deps, body, client, _teller(respond), add=False)

    @app.action(oid.MEASURE_MENU)
    def on_menu(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        with tell_user_on_failure(_teller(respond), "changing a measure"):
            _menu(deps, body, client, _teller(respond))

    @app.view(oid.MEASURE_NEW_VIEW)
    def on_measure_new(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _save_measure(deps, ack, body, client, editing=False)

    @app.view(oid.MEASURE_EDIT_VIEW)
    def on_measure_edit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _save_measure(deps, ack, body, client, editing=True)

    @app.view(oid.RECORD_VIEW)
    def on_record_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _save_readings(deps, ack, body, client)


def _teller(respond: Respond) -> Callable[[str], None]:
    def tell(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    return tell


def _today(deps: Deps) -> date:
    return local_today(deps.clock(), deps.settings.timezone)


# --- commands ------------------------------------------------------------------------------


def _measures(request: CommandRequest) -> None:
    deps = request.deps
    with deps.sessions() as session:
        service = named_service(request, session, "/assess measures <service>")
        if service is None:
            return
        measures = measures_for_service(session=session, service_id=service.id)
        text, blocks = build_measures_list(service.name, service.id, service.service_type, measures)
    request.reply(text, blocks)


def _record(request: CommandRequest) -> None:
    deps = request.deps
    with deps.sessions() as session:
        service = named_service(request, session, "/assess record <service>")
        if service is None:
            return
        directory = SlackDirectory(request.client)
        if not may_manage(directory, request.user_id, service, deps.settings.admins):
            request.reply(refusal_text(service, "record its readings"))
            return
        view = _record_view(deps, session, service)
    if view is None:
        request.reply(_no_measures_text(request.args))
        return
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _no_measures_text(args: list[str]) -> str:
    name = escape(" ".join(args))
    return f"{name} has no outcome measures to record yet: `/assess measures {name}` adds one."


def _record_view(deps: Deps, session: Any, service: Service) -> dict[str, Any] | None:
    measures = measures_for_service(session=session, service_id=service.id)
    if not measures:
        return None
    return build_record_modal(
        service_id=service.id, service_name=service.name, measures=measures, today=_today(deps)
    )


# --- buttons -------------------------------------------------------------------------------


def _open_from_button(
    deps: Deps, body: dict[str, Any], client: WebClient, tell: Callable[[str], None], *, add: bool
) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    value = str(body["actions"][0].get("value", ""))
    if not value.isdigit():
        return
    with deps.sessions() as session:
        service = service_by_id(int(value), team_id=team_id, session=session)
        if service is None or service.archived_at is not None:
            tell("That service has been archived or removed.")
            return
        if not may_manage(SlackDirectory(client), user_id, service, deps.settings.admins):
            action = "add measures" if add else "record its readings"
            tell(refusal_text(service, action))
            return
        if add:
            view: dict[str, Any] | None = build_measure_modal(
                library=deps.measures,
                standard=deps.catalogue.get(service.standard_id),
                service_id=service.id,
                service_type=service.service_type,
            )
        else:
            view = _record_view(deps, session, service)
    if view is None:
        tell("This service has no outcome measures to record yet. Add one first.")
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _menu(deps: Deps, body: dict[str, Any], client: WebClient, tell: Callable[[str], None]) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    chosen = (body["actions"][0].get("selected_option") or {}).get("value", "")
    verb, _, raw_id = str(chosen).partition(":")
    if verb not in {"edit", "retire"} or not raw_id.isdigit():
        return
    with deps.sessions() as session:
        measure = find_measure(session=session, measure_id=int(raw_id), team_id=team_id)
        service = _service_of(session, measure, team_id)
        if measure is None or service is None or measure.retired_at is not None:
            tell("That measure has been retired or removed.")
            return
        if not may_manage(SlackDirectory(client), user_id, service, deps.settings.admins):
            tell(refusal_text(service, f"{verb} its measures"))
            return
        views = measures_for_service(session=session, service_id=service.id)
        current = next(m for m in views if m.id == measure.id)
        standard = deps.catalogue.get(service.standard_id)
        service_type = service.service_type
    if verb == "edit":
        view = build_measure_modal(
            library=deps.measures,
            standard=standard,
            service_id=service.id,
            service_type=service_type,
            measure=current,
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)
        return
    with deps.sessions.begin() as session:
        row = find_measure(session=session, measure_id=current.id, team_id=team_id)
        if row is None or row.retired_at is not None:
            return
        retire_measure(session=session, measure=row, user_id=user_id, now=deps.clock())
    tell(
        f":file_cabinet: Retired *{safe(current.name, 150)}*. No more readings are asked for; "
        "its history stays in exports."
    )


def _service_of(session: Any, measure: Measure | None, team_id: str) -> Service | None:
    if measure is None:
        return None
    return service_by_id(measure.service_id, team_id=team_id, session=session)


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


def _save_measure(
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
        allowed = service is not None and may_manage(
            SlackDirectory(client), user_id, service, deps.settings.admins
        )
    if service is None or not allowed or (editing and measure is None):
        ack(response_action="errors", errors={"name": "You can't change this service's measures."})
        return
    try:
        with deps.sessions.begin() as session:
            current = service_by_id(service.id, team_id=team_id, session=session)
            row = (
                find_measure(session=session, measure_id=measure.id, team_id=team_id)
                if measure is not None
                else None
            )
            if current is None:
                ack(response_action="errors", errors={"name": "That service has gone."})
                return
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
                ack(response_action="errors", errors=saved)
                return
            name, channel = saved.name, current.team_channel_id
            service_name = current.name
    except DATABASE_ERRORS:
        logger.warning("could not save a measure", exc_info=True)
        ack(response_action="errors", errors={"name": COULD_NOT_SAVE})
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


def _save_readings(deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
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
        allowed = service is not None and may_manage(
            SlackDirectory(client), user_id, service, deps.settings.admins
        )
    if service is None or not allowed:
        ack(response_action="errors", errors={oid.PERIOD_BLOCK: "You can't record readings here."})
        return
    try:
        with deps.sessions.begin() as session:
            current = service_by_id(service.id, team_id=team_id, session=session)
            if current is None:
                return
            saved = save_readings(
                session=session,
                service=current,
                month_start=month_start,
                values=values,
                note=view_state.text_value(view, oid.NOTE_BLOCK),
                confirm_corrections=confirm,
                today=_today(deps),
                user_id=user_id,
                now=deps.clock(),
                period_block=oid.PERIOD_BLOCK,
                block_for=block_for,
            )
            if isinstance(saved, dict):
                ack(response_action="errors", errors=saved)
                return
            readings, measures = saved
            service_name = current.name
    except DATABASE_ERRORS:
        logger.warning("could not save readings", exc_info=True)
        ack(response_action="errors", errors={oid.PERIOD_BLOCK: COULD_NOT_SAVE})
        return
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
