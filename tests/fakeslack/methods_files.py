"""The external upload flow: getUploadURLExternal, the POST of the bytes, completeUploadExternal."""

from __future__ import annotations

import mimetypes
import re
from typing import Any

from .api import ApiRequest, Context, Handler, Reply, invalid_arguments
from .state import (
    BOT_USER_ID,
    ApiError,
    Json,
    Message,
    PendingUpload,
    UploadedFile,
    Workspace,
)

# Slack's own pattern is ^[CGDZ][A-Z0-9]{8,}$; the fake only checks the prefix so that short
# test ids such as "C1" work, while a user id ("U…") is still refused as Slack refuses it.
CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]+$")
SLACK_CHANNEL_PATTERN = "^[CGDZ][A-Z0-9]{8,}$"


def get_upload_url(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    filename = req.string("filename")
    if not filename:
        raise invalid_arguments(["missing required field: filename [json-pointer:/filename]"])
    raw_length = req.string("length")
    if raw_length is None:
        raise invalid_arguments(["missing required field: length [json-pointer:/length]"])
    try:
        length = int(raw_length)
    except ValueError:
        raise invalid_arguments(["must be an integer [json-pointer:/length]"]) from None
    if length <= 0:
        raise ApiError("missing_argument")
    alt_txt = req.string("alt_txt")
    if alt_txt is not None and len(alt_txt) > 1000:
        raise ApiError("alt_txt_too_large")
    file_id = ws.ids.make("F")
    ticket = ws.ids.token()
    ws.uploads[file_id] = PendingUpload(file_id, filename, length, ticket)
    return {"ok": True, "upload_url": f"{ctx.base_url}/upload/v1/{ticket}", "file_id": file_id}


def receive_upload(ws: Workspace, ticket: str, content: bytes) -> Reply:
    """The POST of the bytes to an upload_url (no token needed, like files.slack.com)."""
    upload = next((u for u in ws.uploads.values() if u.ticket == ticket), None)
    if upload is None or upload.completed:
        return Reply.text("Not Found", 404)
    if len(content) != upload.length:
        # Slack's behaviour is undocumented here; the fake refuses loudly so the bug shows.
        said = upload.length
        return Reply.text(f"length mismatch: got {len(content)} bytes, expected {said}", 400)
    upload.content = content
    return Reply.text(f"OK - {len(content)}")


def _channels(ws: Workspace, req: ApiRequest) -> list[str]:
    ids: list[str] = []
    channel_id = req.string("channel_id")
    if channel_id:
        ids.append(channel_id)
    ids += [c.strip() for c in (req.string("channels") or "").split(",") if c.strip()]
    for ref in ids:
        if not CHANNEL_ID.match(ref):
            pointer = "[json-pointer:/channel_id]"
            message = f"input must match regex pattern: {SLACK_CHANNEL_PATTERN} {pointer}"
            raise invalid_arguments([message])
        channel = ws.channels.get(ref)
        if channel is None or (channel.is_private and not channel.is_member):
            raise ApiError("invalid_channel")
        if not channel.is_member:
            raise ApiError("not_in_channel")
    return ids


def complete_upload(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    files = req.json("files")
    if not isinstance(files, list) or not files:
        raise invalid_arguments(["must provide at least 1 items [json-pointer:/files]"])
    channels = _channels(ws, req)
    pending: list[tuple[PendingUpload, str]] = []
    for i, item in enumerate(files):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise invalid_arguments([f"missing required field: id [json-pointer:/files/{i}]"])
        upload = ws.uploads.get(item["id"])
        if upload is None or upload.completed or upload.content is None:
            raise ApiError("file_not_found")
        title = item.get("title") or upload.filename
        pending.append((upload, str(title)))
    comment = req.string("initial_comment")
    thread_ts = req.string("thread_ts") or None
    now = ws.clock.now()
    shared: list[Json] = []
    for upload, title in pending:
        upload.completed = True
        assert upload.content is not None
        targets: list[str | None] = [*channels] or [None]
        for channel in targets:
            ws.files.append(
                UploadedFile(
                    upload.file_id,
                    upload.filename,
                    title,
                    channel,
                    comment,
                    upload.content,
                    thread_ts,
                )
            )
        shared.append(_file_object(ctx, upload, title, now))
    for channel in channels:
        ws.add_message(
            Message(
                channel, ws.ids.ts(), comment or "", None, thread_ts, now, files=shared, via="files"
            )
        )
    return {
        "ok": True,
        "files": [{**f, "channels": [], "groups": [], "ims": [], "shares": {}} for f in shared],
    }


def _file_object(ctx: Context, upload: PendingUpload, title: str, now: float) -> Json:
    mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else "binary"
    private = f"{ctx.base_url}/files-pri/{ctx.ws.team_id}-{upload.file_id}/{upload.filename}"
    info: dict[str, Any] = {
        "id": upload.file_id,
        "created": int(now),
        "timestamp": int(now),
        "name": upload.filename,
        "title": title,
        "mimetype": mimetype,
        "filetype": extension,
        "pretty_type": extension.upper(),
        "user": BOT_USER_ID,
        "user_team": ctx.ws.team_id,
        "editable": False,
        "size": upload.length,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "public_url_shared": False,
        "display_as_bot": False,
        "url_private": private,
        "url_private_download": private + "?download=1",
        "comments_count": 0,
    }
    return info


HANDLERS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
