"""auth.*, users.*, conversations.* and apps.connections.open."""

from __future__ import annotations

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
