"""auth.*, users.*, conversations.* and apps.connections.open."""

from __future__ import annotations

from typing import Any

from .api import ApiRequest, Context, Handler
from .state import BOT_ID, BOT_USER_ID, ApiError, Json


def auth_test(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    return {
        "ok": True,
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_domain,
        "user": ws.users[BOT_USER_ID].name,
        "team_id": ws.team_id,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def users_info(ctx: Context, req: ApiRequest) -> Json:
    user = ctx.ws.user(req.string("user"))
    return {"ok": True, "user": user.to_slack(ctx.ws.clock.now())}


def conversations_info(ctx: Context, req: ApiRequest) -> Json:
    ref = req.string("channel")
    channel = ctx.ws.channels.get(ref or "")
    if channel is None or (channel.is_private and not channel.is_member):
        raise ApiError("channel_not_found")
    return {"ok": True, "channel": channel.to_slack(ctx.ws.created)}


def conversations_open(ctx: Context, req: ApiRequest) -> Json:
    ws = ctx.ws
    channel_ref = req.string("channel")
    if channel_ref:
        channel = ws.channels.get(channel_ref)
        if channel is None or channel.im_user is None:
            raise ApiError("channel_not_found")
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel.id}}
    users = [u.strip() for u in (req.string("users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 1:
        # Slack would open a multi-person DM; the fake does not model those yet.
        raise ApiError("not_supported_by_fakeslack", needed="a single user id")
    existed = users[0] in ws.ims
    channel = ws.open_im(users[0])
    answer: Json = {"ok": True, "channel": {"id": channel.id}}
    if existed:
        answer.update(no_op=True, already_open=True)
    return answer


def team_info(ctx: Context, req: ApiRequest) -> Json:
    """This workspace, or (with `team`) a Slack Connect organisation the fake knows of."""
    ws = ctx.ws
    team_id = req.string("team") or ws.team_id
    if team_id == ws.team_id:
        name = ws.teams.get(team_id, ws.team_domain)
        domain = ws.team_domain
    elif team_id in ws.teams:
        name = ws.teams[team_id]
        domain = team_id.lower()
    else:
        raise ApiError("team_not_found")
    return {"ok": True, "team": {"id": team_id, "name": name, "domain": domain}}


def conversations_members(ctx: Context, req: ApiRequest) -> Json:
    """Members of a channel, paginated with an offset cursor like Slack's opaque one.

    A channel added without a member list holds the workspace's own active users; people of
    other organisations are only in channels that list them (Slack Connect channels)."""
    ws = ctx.ws
    channel = ws.channels.get(req.string("channel") or "")
    if channel is None or (channel.is_private and not channel.is_member):
        raise ApiError("channel_not_found")
    if channel.members is not None:
        members = sorted(channel.members)
    else:
        members = sorted(
            u.id for u in ws.users.values() if u.team_id == ws.team_id and not u.deleted
        )
    try:
        start = int(req.string("cursor") or 0)
        limit = int(req.string("limit") or 100)
    except ValueError:
        raise ApiError("invalid_cursor") from None
    if limit < 1 or limit > 1000:
        raise ApiError("invalid_limit")
    page = members[start : start + limit]
    following = str(start + limit) if start + limit < len(members) else ""
    return {"ok": True, "members": page, "response_metadata": {"next_cursor": following}}


def apps_connections_open(ctx: Context, req: ApiRequest) -> Json:
    return {"ok": True, "url": ctx.socket_url()}


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "conversations.info": conversations_info,
    "conversations.open": conversations_open,
    "conversations.members": conversations_members,
    "team.info": team_info,
    "apps.connections.open": apps_connections_open,
}


def users_list(ctx: Context, req: ApiRequest) -> Json:
    """Every user, a page at a time: the cursor is the index of the next one (opaque to the app,
    as Slack's is). An empty ``next_cursor`` marks the last page."""
    try:
        limit = max(1, min(1000, int(req.string("limit") or 0) or 1000))
        start = int(req.string("cursor") or 0)
    except ValueError:
        raise ApiError("invalid_cursor") from None
    users = sorted(ctx.ws.users.values(), key=lambda user: user.id)
    page = users[start : start + limit]
    more = start + limit < len(users)
    return {
        "ok": True,
        "members": [user.to_slack(ctx.ws.clock.now()) for user in page],
        "cache_ts": int(ctx.ws.clock.now()),
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


HANDLERS["users.list"] = users_list


def _readable_channel(ctx: Context, req: ApiRequest) -> str:
    """History is read by conversation id, only where the bot is a member."""
    channel = ctx.ws.channels.get(req.string("channel") or "")
    if channel is None or (channel.is_private and not channel.is_member):
        raise ApiError("channel_not_found")
    if not channel.is_member:
        raise ApiError("not_in_channel")
    return channel.id


def _history_message(ctx: Context, message: Any, with_metadata: bool) -> Json:
    body = message.to_slack(ctx.ws.team_id)
    if not with_metadata:
        body.pop("metadata", None)
    return body


def _limit(req: ApiRequest) -> int:
    try:
        return max(1, min(999, int(req.string("limit") or 100)))
    except ValueError:
        raise ApiError("invalid_limit") from None


def conversations_history(ctx: Context, req: ApiRequest) -> Json:
    """Top-level messages, newest first (thread replies are only in conversations.replies);
    ``metadata`` only with ``include_all_metadata``, as Slack does."""
    channel = _readable_channel(ctx, req)
    with_metadata = req.flag("include_all_metadata")
    top = [
        m
        for m in ctx.ws.messages.get(channel, [])
        if not m.deleted and (m.thread_ts is None or m.thread_ts == m.ts)
    ]
    newest = sorted(top, key=lambda m: float(m.ts), reverse=True)[: _limit(req)]
    return {
        "ok": True,
        "messages": [_history_message(ctx, m, with_metadata) for m in newest],
        "has_more": len(top) > len(newest),
    }


def conversations_replies(ctx: Context, req: ApiRequest) -> Json:
    """A thread: its parent first, then the replies oldest first."""
    channel = _readable_channel(ctx, req)
    parent_ts = req.string("ts")
    if not parent_ts:
        raise ApiError("thread_not_found")
    with_metadata = req.flag("include_all_metadata")
    thread = [
        m
        for m in ctx.ws.messages.get(channel, [])
        if not m.deleted and (m.ts == parent_ts or m.thread_ts == parent_ts)
    ]
    if not any(m.ts == parent_ts for m in thread):
        raise ApiError("thread_not_found")
    ordered = sorted(thread, key=lambda m: float(m.ts))[: _limit(req)]
    return {
        "ok": True,
        "messages": [_history_message(ctx, m, with_metadata) for m in ordered],
        "has_more": len(thread) > len(ordered),
    }


HANDLERS["conversations.history"] = conversations_history
HANDLERS["conversations.replies"] = conversations_replies
