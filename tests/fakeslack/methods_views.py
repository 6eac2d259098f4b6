"""views.* methods, trigger ids, and what a view_submission acknowledgement does to a modal."""

from __future__ import annotations

import secrets
from typing import Any

from .api import ApiRequest, Context, Handler, invalid_arguments
from .blockkit import normalize_blocks, validate_view
from .state import ApiError, Json, Trigger, View, Workspace

TRIGGER_LIFETIME = 3.0
MODAL_STACK_LIMIT = 3


def issue_trigger_id(ws: Workspace, user: str | None) -> str:
    now = ws.clock.now()
    trigger_id = f"{int(now)}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"
    ws.triggers[trigger_id] = Trigger(trigger_id, user, now)
    return trigger_id


def _exchange(ws: Workspace, trigger_id: str | None) -> Trigger:
    """Use a trigger id: valid only if issued, only once, and only for 3 seconds."""
    if not trigger_id:
        raise invalid_arguments(["missing required field: trigger_id [json-pointer:/trigger_id]"])
    trigger = ws.triggers.get(trigger_id)
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if ws.clock.now() - trigger.issued_at > TRIGGER_LIFETIME:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger


def checked_view(value: Any, *, allowed: tuple[str, ...]) -> Json:
    """A view payload, validated and normalised, or Slack's ``invalid_arguments``."""
    errors = validate_view(value, allowed_types=allowed)
    if errors:
        raise invalid_arguments(errors)
    payload: Json = dict(value)
    payload["blocks"] = normalize_blocks(payload["blocks"])
    return payload


def _view_param(req: ApiRequest, *, allowed: tuple[str, ...]) -> Json:
    value = req.json("view")
    if value is None:
        raise invalid_arguments(["missing required field: view [json-pointer:/view]"])
    return checked_view(value, allowed=allowed)


def _check_external_id(ws: Workspace, payload: Json, own_id: str | None = None) -> None:
    external_id = payload.get("external_id")
    if not external_id:
        return
    for view in ws.views.values():
        if view.external_id == external_id and view.id != own_id:
            raise ApiError("duplicate_external_id")


def _new_view(
    ws: Workspace, user: str | None, payload: Json, root: str | None, previous: str | None
) -> View:
    view_id = ws.ids.make("V")
    view = View(
        id=view_id,
        team_id=ws.team_id,
        user=user,
        payload=payload,
        hash=ws.ids.view_hash(),
        root_view_id=root or view_id,
        previous_view_id=previous,
        at=ws.clock.now(),
    )
    ws.views[view_id] = view
    return view


def _close_stack(ws: Workspace, user: str | None) -> None:
    for view_id in ws.stacks.pop(user, []):
        ws.views[view_id].is_open = False


def views_open(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    payload = _view_param(req, allowed=("modal",))
    trigger = _exchange(ws, req.string("trigger_id"))
    _check_external_id(ws, payload)
    _close_stack(ws, trigger.user)
    view = _new_view(ws, trigger.user, payload, None, None)
    ws.stacks[trigger.user] = [view.id]
    return {"ok": True, "view": view.to_slack()}


def views_push(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    payload = _view_param(req, allowed=("modal",))
    trigger = _exchange(ws, req.string("trigger_id"))
    _check_external_id(ws, payload)
    view = push(ws, trigger.user, payload)
    return {"ok": True, "view": view.to_slack()}


def push(ws: Workspace, user: str | None, payload: Json) -> View:
    stack = ws.stacks.get(user)
    if not stack:
        raise ApiError("not_found")
    if len(stack) >= MODAL_STACK_LIMIT:
        raise ApiError("push_limit_reached")
    view = _new_view(ws, user, payload, stack[0], stack[-1])
    stack.append(view.id)
    return view


def views_update(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    view_id, external_id = req.string("view_id"), req.string("external_id")
    if not view_id and not external_id:
        raise invalid_arguments(["missing required field: view_id [json-pointer:/view_id]"])
    view = ws.views.get(view_id or "")
    if view is None and external_id:
        view = next((v for v in ws.views.values() if v.external_id == external_id), None)
    if view is None or not view.is_open:
        raise ApiError("not_found")
    payload = _view_param(req, allowed=(view.type,))
    expected = req.string("hash")
    if expected and expected != view.hash:
        raise ApiError("hash_conflict")
    _check_external_id(ws, payload, view.id)
    replace(ws, view, payload)
    return {"ok": True, "view": view.to_slack()}


def replace(ws: Workspace, view: View, payload: Json) -> None:
    view.payload = payload
    view.hash = ws.ids.view_hash()
    view.at = ws.clock.now()


def views_publish(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    payload = _view_param(req, allowed=("home",))
    user = ws.user(req.string("user_id"))
    home_id = ws.homes.get(user.id)
    expected = req.string("hash")
    if home_id is None:
        _check_external_id(ws, payload)
        view = _new_view(ws, user.id, payload, None, None)
        ws.homes[user.id] = view.id
    else:
        view = ws.views[home_id]
        if expected and expected != view.hash:
            raise ApiError("hash_conflict")
        _check_external_id(ws, payload, view.id)
        replace(ws, view, payload)
    return {"ok": True, "view": view.to_slack()}


HANDLERS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}


# -- what the user's client does --------------------------------------------------------------


class InvalidAck(ValueError):
    """An acknowledgement Slack would refuse (the user would see an error in the modal)."""


def close_view(ws: Workspace, view_id: str) -> None:
    """The user closed a modal (pressed Cancel/X): pop it, or the whole stack on clear_on_close."""
    view = ws.views[view_id]
    if view.payload.get("clear_on_close"):
        _close_stack(ws, view.user)
    else:
        _pop(ws, view)


def _pop(ws: Workspace, view: View) -> None:
    stack = ws.stacks.get(view.user, [])
    if stack[:1] == [view.id]:
        _close_stack(ws, view.user)
        return
    if view.id in stack:
        stack.remove(view.id)
    view.is_open = False


def apply_submission_ack(ws: Workspace, view_id: str, ack: Any) -> None:
    """Do to the modal stack what Slack does with a view_submission's acknowledgement body."""
    view = ws.views[view_id]
    if not ack:  # an empty acknowledgement closes the submitted view
        _pop(ws, view)
        return
    if not isinstance(ack, dict):
        raise InvalidAck(f"acknowledgement body must be a JSON object, got {ack!r}")
    action = ack.get("response_action")
    if action == "clear":
        _close_stack(ws, view.user)
    elif action == "errors":
        _check_errors(view, ack.get("errors"))
    elif action in ("update", "push"):
        errors = validate_view(ack.get("view"), allowed_types=("modal",))
        if errors:
            raise InvalidAck("; ".join(errors))
        payload = dict(ack["view"])
        payload["blocks"] = normalize_blocks(payload["blocks"])
        if action == "update":
            replace(ws, view, payload)
        else:
            try:
                push(ws, view.user, payload)
            except ApiError as e:
                raise InvalidAck(e.code) from None
    else:
        raise InvalidAck(f"unknown response_action: {action!r}")


def _check_errors(view: View, errors: Any) -> None:
    if not isinstance(errors, dict) or not errors:
        raise InvalidAck("response_action 'errors' needs a non-empty errors object")
    inputs = {
        b.get("block_id")
        for b in view.payload.get("blocks", [])
        if isinstance(b, dict) and b.get("type") == "input"
    }
    for block_id, message in errors.items():
        if block_id not in inputs:
            raise InvalidAck(f"errors names {block_id!r}, which is not an input block of the view")
        if not isinstance(message, str) or not message:
            raise InvalidAck(f"error for {block_id!r} must be a non-empty string")
