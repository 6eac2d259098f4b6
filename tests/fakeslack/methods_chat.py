"""chat.* methods and posts to ``response_url``s."""

from __future__ import annotations

import json
from typing import Any

from .api import ApiRequest, Context, Handler, Reply, invalid_blocks
from .blockkit import normalize_blocks, validate_blocks, validate_message_text
from .state import (
    BOT_USER_ID,
    ApiError,
    Ephemeral,
    Json,
    Message,
    ResponsePost,
    ResponseUrl,
    Workspace,
)

RESPONSE_URL_USES = 5
RESPONSE_URL_LIFETIME = 30 * 60.0


def _blocks(value: Any) -> list[Any] | None:
    """Validated, normalised blocks; None when absent. ``[]`` stays ``[]``."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError("invalid_blocks_format") from None
    if not isinstance(value, list):
        raise ApiError("invalid_blocks_format")
    errors = validate_blocks(value, surface="message")
    if errors:
        raise invalid_blocks(errors)
    return normalize_blocks(value)


def _attachments(req: ApiRequest) -> list[Any] | None:
    value = req.json("attachments", bad="invalid_attachments")
    if value is not None and not isinstance(value, list):
        raise ApiError("invalid_attachments")
    return value or None


def _content(req: ApiRequest) -> tuple[str | None, list[Any] | None, list[Any] | None]:
    text = req.string("text")
    code = validate_message_text(text)
    if code:
        raise ApiError(code)
    blocks = _blocks(req.params.get("blocks"))
    attachments = _attachments(req)
    return text, blocks, attachments


def post_message(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    channel = ws.postable_channel(req.string("channel"))
    text, blocks, attachments = _content(req)
    if not text and not blocks and not attachments:
        raise ApiError("no_text")
    metadata = req.json("metadata")
    thread_ts = req.string("thread_ts") or None
    message = ws.add_message(
        Message(
            channel=channel.id,
            ts=ws.ids.ts(),
            text=text or "",
            blocks=blocks or None,
            thread_ts=thread_ts,
            at=ws.clock.now(),
            attachments=attachments,
            metadata=metadata if isinstance(metadata, dict) else None,
            # Slack ignores reply_broadcast on a message that is not a thread reply.
            reply_broadcast=thread_ts is not None and req.flag("reply_broadcast"),
        )
    )
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "message": message.to_slack(ws.team_id),
    }


def update(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    channel = ws.find_channel(req.string("channel"))
    message = ws.message(channel.id, req.string("ts") or "")
    if message.user != BOT_USER_ID:
        raise ApiError("cant_update_message")
    text, blocks, attachments = _content(req)
    if text is None and blocks is None and attachments is None:
        raise ApiError("no_text")
    message.history.append(message.snapshot())
    if text is not None:
        message.text = text
    if blocks is not None:  # omitted blocks are kept; [] removes them (Slack's rule)
        message.blocks = blocks or None
    if attachments is not None:
        message.attachments = attachments
    message.edited_ts = ws.ids.ts()
    message.at = ws.clock.now()
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_slack(ws.team_id),
    }


def delete(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    channel = ws.find_channel(req.string("channel"))
    message = ws.message(channel.id, req.string("ts") or "")
    if message.user != BOT_USER_ID:
        raise ApiError("cant_delete_message")
    message.deleted = True
    return {"ok": True, "channel": channel.id, "ts": message.ts}


def post_ephemeral(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    channel = ws.postable_channel(req.string("channel"))
    user = ws.user(req.string("user"))
    if not channel.has_member(user.id):
        raise ApiError("user_not_in_channel")
    text, blocks, attachments = _content(req)
    if not text and not blocks and not attachments:
        raise ApiError("no_text")
    ephemeral = Ephemeral(
        channel=channel.id,
        user=user.id,
        ts=ws.ids.ts(),
        text=text or "",
        blocks=blocks or None,
        thread_ts=req.string("thread_ts") or None,
        at=ws.clock.now(),
    )
    ws.ephemerals.append(ephemeral)
    return {"ok": True, "message_ts": ephemeral.ts}


def get_permalink(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    channel = ws.find_channel(req.string("channel"))
    if channel.is_private and not channel.is_member:
        raise ApiError("channel_not_found")
    message = ws.message(channel.id, req.string("message_ts") or "")
    link = (
        f"https://{ws.team_domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
    )
    return {"ok": True, "channel": channel.id, "permalink": link}


HANDLERS: dict[str, Handler] = {
    "chat.getPermalink": get_permalink,
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
}


# -- response_url -----------------------------------------------------------------------------


def new_response_url(
    ws: Workspace,
    base_url: str,
    *,
    channel: str | None,
    user: str | None,
    message_ts: str | None,
    is_ephemeral: bool,
) -> str:
    rid = ws.ids.token()
    url = f"{base_url}/response/{rid}"
    ws.response_urls[rid] = ResponseUrl(
        rid, url, ws.clock.now(), channel, user, message_ts=message_ts, is_ephemeral=is_ephemeral
    )
    return url


def post_to_response_url(ws: Workspace, base_url: str, rid: str, raw: bytes) -> Reply:
    """Answer a POST to a response_url like Slack: 200 ``ok``, or 4xx with a plain-text code."""
    now = ws.clock.now()
    binding = ws.response_urls.get(rid)
    url = binding.url if binding else f"{base_url}/response/{rid}"
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw.decode(errors="replace")

    def answer(status: int, code: str, details: str | None = None) -> Reply:
        error = None if status == 200 else (f"{code}: {details}" if details else code)
        ws.response_posts.append(ResponsePost(url, body, status, error, now))
        return Reply.text(code, status)

    if binding is None or now - binding.created_at > RESPONSE_URL_LIFETIME:
        return answer(404, "expired_url")
    if binding.uses >= RESPONSE_URL_USES:
        return answer(404, "used_url")
    if not isinstance(body, dict):
        return answer(400, "invalid_payload")
    try:
        _apply_response(ws, binding, body)
    except ApiError as e:
        details = "; ".join(e.extra.get("errors", [])) or None
        return answer(404 if e.code == "message_not_found" else 400, e.code, details)
    binding.uses += 1
    return answer(200, "ok")


def _apply_response(ws: Workspace, binding: ResponseUrl, body: Json) -> None:
    if body.get("delete_original") in (True, "true"):
        _original(ws, binding, delete=True)
        return
    text = body.get("text")
    code = validate_message_text(text)
    if code:
        raise ApiError(code)
    blocks = _blocks(body.get("blocks"))
    if not text and not blocks and not body.get("attachments"):
        raise ApiError("no_text")
    now = ws.clock.now()
    if body.get("replace_original") in (True, "true") and binding.message_ts is not None:
        _original(ws, binding, text=text or "", blocks=blocks or None)
        return
    thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
    channel = binding.channel or ""
    if body.get("response_type") == "in_channel":
        message = ws.add_message(
            Message(
                channel, ws.ids.ts(), text or "", blocks or None, thread_ts, now, via="response_url"
            )
        )
        ts, ephemeral = message.ts, False
    else:
        item = Ephemeral(
            channel,
            binding.user or "",
            ws.ids.ts(),
            text or "",
            blocks or None,
            thread_ts,
            now,
            via="response_url",
        )
        ws.ephemerals.append(item)
        ts, ephemeral = item.ts, True
    if binding.message_ts is None:  # a command's later posts may replace its first answer
        binding.message_ts, binding.is_ephemeral = ts, ephemeral


def _original(
    ws: Workspace,
    binding: ResponseUrl,
    *,
    delete: bool = False,
    text: str = "",
    blocks: list[Any] | None = None,
) -> None:
    """Replace or delete the message a response_url belongs to."""
    if binding.message_ts is None:
        raise ApiError("message_not_found")
    now = ws.clock.now()
    if binding.is_ephemeral:
        for item in ws.ephemerals:
            if item.ts == binding.message_ts and not item.deleted:
                if delete:
                    item.deleted = True
                else:
                    item.text, item.blocks, item.at = text, blocks, now
                return
        raise ApiError("message_not_found")
    message = ws.message(binding.channel or "", binding.message_ts)
    if delete:
        message.deleted = True
        return
    message.history.append(message.snapshot())
    message.text, message.blocks, message.at = text, blocks, now
    message.edited_ts = ws.ids.ts()
