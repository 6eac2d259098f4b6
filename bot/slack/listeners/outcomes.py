"""`/assess measures`, `/assess record`, and the measure and record modals.

Thin: read the payload, ask Slack who may act (before any transaction), save through
`bot.core.outcome_actions` in one short transaction, ack (with inline errors if any), then talk.
Everyone may view measures; owners and admins add, edit, retire and record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.blocks import outcome_ids as oid
from bot.blocks.outcomes import build_measure_modal, build_measures_list, build_record_modal
from bot.core.periods import local_today
from bot.core.text import escape, safe
from bot.deps import Deps
from bot.slack.errors import tell_user_on_failure
from bot.slack.listeners.outcome_modals import save_measure_from_view, save_readings_from_view
from bot.slack.lookup import manages, named_service, refusal_text
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
        save_measure_from_view(deps, ack, body, client, editing=False)

    @app.view(oid.MEASURE_EDIT_VIEW)
    def on_measure_edit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        save_measure_from_view(deps, ack, body, client, editing=True)

    @app.view(oid.RECORD_VIEW)
    def on_record_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        save_readings_from_view(deps, ack, body, client)


def _teller(respond: Respond) -> Callable[[str], None]:
    def tell(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    return tell


def _today(deps: Deps) -> date:
    return local_today(deps.clock(), deps.settings.timezone)


# --- commands ------------------------------------------------------------------------------


def _measures(request: CommandRequest) -> None:
    deps = request.deps
    service = named_service(request, "/assess measures <service>")
    if service is None:
        return
    with deps.sessions() as session:
        measures = measures_for_service(session=session, service_id=service.id)
    text, blocks = build_measures_list(service.name, service.id, service.service_type, measures)
    request.reply(text, blocks)


def _record(request: CommandRequest) -> None:
    deps = request.deps
    service = named_service(request, "/assess record <service>")
    if service is None:
        return
    if not manages(deps, request.client, request.user_id, service):  # Slack first, then the db
        request.reply(refusal_text(service, "record its readings"))
        return
    with deps.sessions() as session:
        fresh = session.get(Service, service.id)
        view = _record_view(deps, session, fresh) if fresh is not None else None
    if view is None:
        request.reply(_no_measures_text(request.args))
        return
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def _no_measures_text(args: list[str]) -> str:
    name = escape(" ".join(args))
    return f"{name} has no outcome measures to record yet: `/assess measures {name}` adds one."


def _record_view(deps: Deps, session: Session, service: Service) -> dict[str, Any] | None:
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
    if not manages(deps, client, user_id, service):  # Slack first, outside any session
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
        with deps.sessions() as session:
            fresh = session.get(Service, service.id)
            view = _record_view(deps, session, fresh) if fresh is not None else None
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
    if not manages(deps, client, user_id, service):  # Slack first, outside any session
        tell(refusal_text(service, f"{verb} its measures"))
        return
    with deps.sessions() as session:
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


def _service_of(session: Session, measure: Measure | None, team_id: str) -> Service | None:
    if measure is None:
        return None
    return service_by_id(measure.service_id, team_id=team_id, session=session)
