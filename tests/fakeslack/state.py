"""The fake workspace's state: users, channels, messages, views, files, triggers, response URLs.

Plain data plus small helpers; no HTTP and no locking (the server holds one lock around
every use). Accessors in ``server.FakeSlack`` hand out deep copies of these records.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

Json = dict[str, Any]

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A1"


class ApiError(Exception):
    """A Slack ``ok: false`` answer: ``{"ok": false, "error": code, **extra}`` (HTTP 200)."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> Json:
        return {"ok": False, "error": self.code, **self.extra}


class Clock:
    """Wall-clock time that tests can move forward (trigger and response_url expiry)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


@dataclass
class User:
    id: str
    team_id: str
    name: str
    real_name: str
    tz: str = "Europe/London"
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False

    def to_slack(self, now: float) -> Json:
        zone = ZoneInfo(self.tz)
        local = datetime.fromtimestamp(now, zone)
        offset = local.utcoffset()
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": local.tzname() or self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": int(now),
            "profile": {
                "real_name": self.real_name,
                "real_name_normalized": self.real_name,
                "display_name": self.name,
                "display_name_normalized": self.name,
                "team": self.team_id,
            },
        }


@dataclass
class Channel:
    id: str
    name: str
    is_member: bool = True
    is_private: bool = False
    is_archived: bool = False
    members: set[str] | None = None  # None: every user is a member
    im_user: str | None = None  # set for IM ("D…") channels

    def has_member(self, user_id: str) -> bool:
        return self.members is None or user_id in self.members

    def to_slack(self, created: float) -> Json:
        if self.im_user is not None:
            return {
                "id": self.id,
                "created": int(created),
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.is_member,
            "created": int(created),
            "creator": "",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }


@dataclass
class Message:
    """A message the bot posted (or a file share), as Slack stores it."""

    channel: str
    ts: str
    text: str
    blocks: list[Any] | None
    thread_ts: str | None
    at: float
    user: str = BOT_USER_ID
    attachments: list[Any] | None = None
    files: list[Json] | None = None
    metadata: Json | None = None
    edited_ts: str | None = None
    history: list[Json] = field(default_factory=list)
    deleted: bool = False
    via: Literal["api", "response_url", "files"] = "api"
    reply_broadcast: bool = False  # a thread reply also sent to the channel

    def to_slack(self, team_id: str) -> Json:
        message: Json = {
            "type": "message",
            "user": self.user,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": self.text,
            "ts": self.ts,
            "team": team_id,
        }
        if self.blocks is not None:
            message["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments is not None:
            message["attachments"] = copy.deepcopy(self.attachments)
        if self.thread_ts is not None:
            message["thread_ts"] = self.thread_ts
        if self.reply_broadcast:
            message["subtype"] = "thread_broadcast"
        if self.files is not None:
            message["files"] = copy.deepcopy(self.files)
            message["upload"] = True
        if self.metadata is not None:
            message["metadata"] = copy.deepcopy(self.metadata)
        if self.edited_ts is not None:
            message["edited"] = {"user": self.user, "ts": self.edited_ts}
        return message

    def record(self, team_id: str) -> Json:
        """The accessor view: Slack's shape plus channel, edit history and origin."""
        return {
            **self.to_slack(team_id),
            "channel": self.channel,
            "history": copy.deepcopy(self.history),
            "via": self.via,
        }

    def snapshot(self) -> Json:
        return {
            "text": self.text,
            "blocks": copy.deepcopy(self.blocks),
            "edited_ts": self.edited_ts,
        }


@dataclass
class Ephemeral:
    """An ephemeral message: only ``user`` sees it, and it never gets a real ``ts``."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[Any] | None
    thread_ts: str | None
    at: float
    via: Literal["api", "response_url"] = "api"
    deleted: bool = False

    def record(self) -> Json:
        record: Json = {
            "type": "message",
            "channel": self.channel,
            "user": self.user,
            "ts": self.ts,
            "text": self.text,
            "blocks": copy.deepcopy(self.blocks),
            "via": self.via,
        }
        if self.thread_ts is not None:
            record["thread_ts"] = self.thread_ts
        return record


@dataclass
class View:
    id: str
    team_id: str
    user: str | None
    payload: Json  # the app's view payload, normalised (block/action ids filled in)
    hash: str
    root_view_id: str
    previous_view_id: str | None
    at: float
    is_open: bool = True

    @property
    def type(self) -> str:
        return str(self.payload.get("type"))

    @property
    def external_id(self) -> str:
        return str(self.payload.get("external_id", ""))

    def to_slack(self) -> Json:
        p = self.payload
        view: Json = {
            "id": self.id,
            "team_id": self.team_id,
            "type": p["type"],
            "blocks": copy.deepcopy(p.get("blocks", [])),
            "private_metadata": p.get("private_metadata", ""),
            "callback_id": p.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self.hash,
            "title": copy.deepcopy(p.get("title")),
            "clear_on_close": p.get("clear_on_close", False),
            "notify_on_close": p.get("notify_on_close", False),
            "close": copy.deepcopy(p.get("close")),
            "submit": copy.deepcopy(p.get("submit")),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": APP_ID,
            "external_id": p.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        if p["type"] == "home":
            for key in ("title", "close", "submit", "clear_on_close", "notify_on_close"):
                view.pop(key)
        if "submit_disabled" in p:
            view["submit_disabled"] = p["submit_disabled"]
        return view


@dataclass
class Trigger:
    id: str
    user: str | None
    issued_at: float
    used: bool = False


@dataclass(frozen=True)
class UploadedFile:
    """A file shared with ``files.completeUploadExternal`` (tuple-unpackable)."""

    file_id: str
    filename: str
    title: str
    channel_id: str | None
    initial_comment: str | None
    content: bytes
    thread_ts: str | None = None

    def __iter__(self) -> Any:
        return iter(
            (
                self.file_id,
                self.filename,
                self.title,
                self.channel_id,
                self.initial_comment,
                self.content,
            )
        )


@dataclass
class PendingUpload:
    file_id: str
    filename: str
    length: int
    ticket: str
    content: bytes | None = None
    completed: bool = False


@dataclass
class ResponseUrl:
    """A ``response_url`` bound to where it came from (a command, or a message's button)."""

    id: str
    url: str
    created_at: float
    channel: str | None
    user: str | None
    message_ts: str | None = None  # the message a click came from
    is_ephemeral: bool = False
    uses: int = 0


@dataclass(frozen=True)
class ResponsePost:
    url: str
    body: Any
    status: int
    error: str | None
    at: float

    @property
    def accepted(self) -> bool:
        return self.status == 200

    @property
    def text(self) -> str | None:
        return self.body.get("text") if isinstance(self.body, dict) else None

    @property
    def blocks(self) -> list[Any] | None:
        return self.body.get("blocks") if isinstance(self.body, dict) else None


@dataclass
class Call:
    """One Web API request the fake received (also the ones it refused)."""

    method: str
    params: Json
    headers: dict[str, str]
    at: float
    status: int = 200
    response: Json | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")


@dataclass(frozen=True)
class Surface:
    """Something a user can see and click in: a message, an ephemeral, a modal or a Home tab."""

    kind: Literal["message", "ephemeral", "view", "home"]
    at: float
    blocks: list[Any]
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    message: Json | None = None
    view: Json | None = None


class Ids:
    """Unique, Slack-looking identifiers and strictly increasing message timestamps."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ts = 0
        self._counter = itertools.count(1)

    def ts(self) -> str:
        with self._lock:
            micros = max(int(self._clock.now() * 1_000_000), self._last_ts + 1)
            self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def make(self, prefix: str) -> str:
        with self._lock:
            n = next(self._counter)
        return f"{prefix}{n:04d}{secrets.token_hex(3).upper()}"

    def token(self) -> str:
        return secrets.token_urlsafe(12)

    def view_hash(self) -> str:
        return f"{int(self._clock.now())}.{secrets.token_hex(4)}"


@dataclass
class Workspace:
    """All mutable state of one fake workspace."""

    team_id: str
    team_domain: str
    clock: Clock
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    ims: dict[str, str] = field(default_factory=dict)  # user id -> IM channel id
    messages: dict[str, list[Message]] = field(default_factory=dict)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: dict[str, View] = field(default_factory=dict)
    stacks: dict[str | None, list[str]] = field(default_factory=dict)  # user -> open modal ids
    homes: dict[str, str] = field(default_factory=dict)  # user -> home view id
    triggers: dict[str, Trigger] = field(default_factory=dict)
    uploads: dict[str, PendingUpload] = field(default_factory=dict)  # file id -> upload
    files: list[UploadedFile] = field(default_factory=list)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)  # id -> binding
    response_posts: list[ResponsePost] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    teams: dict[str, str] = field(default_factory=dict)  # team id -> name (Slack Connect orgs)

    def __post_init__(self) -> None:
        self.ids = Ids(self.clock)
        self.users[BOT_USER_ID] = User(
            BOT_USER_ID, self.team_id, "assessbot", "assessbot", is_bot=True
        )

    # -- lookups ------------------------------------------------------------------------------

    def find_channel(self, ref: str | None) -> Channel:
        """A channel by id, ``#name`` or name (chat.postMessage also takes names)."""
        if not ref:
            raise ApiError("channel_not_found")
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if channel.im_user is None and channel.name == name:
                return channel
        raise ApiError("channel_not_found")

    def postable_channel(self, ref: str | None) -> Channel:
        """The channel the bot may post to, with Slack's errors when it may not."""
        if ref and ref.startswith(("U", "W")) and ref in self.users:
            return self.open_im(ref)  # chat.postMessage to a user id posts in the app's DM
        channel = self.find_channel(ref)
        if channel.is_private and not channel.is_member:
            raise ApiError("channel_not_found")  # the bot cannot see private channels it is not in
        if channel.is_archived:
            raise ApiError("is_archived")
        if not channel.is_member:
            raise ApiError("not_in_channel")
        return channel

    def user(self, user_id: str | None) -> User:
        if not user_id or user_id not in self.users:
            raise ApiError("user_not_found")
        return self.users[user_id]

    def open_im(self, user_id: str) -> Channel:
        user = self.user(user_id)
        if user.deleted:
            raise ApiError("user_disabled")
        if user_id not in self.ims:
            channel_id = self.ids.make("D")
            self.channels[channel_id] = Channel(
                channel_id, channel_id, members={user_id, BOT_USER_ID}, im_user=user_id
            )
            self.ims[user_id] = channel_id
        return self.channels[self.ims[user_id]]

    def message(self, channel: str, ts: str) -> Message:
        for message in self.messages.get(channel, []):
            if message.ts == ts and not message.deleted:
                return message
        raise ApiError("message_not_found")

    def add_message(self, message: Message) -> Message:
        self.messages.setdefault(message.channel, []).append(message)
        return message

    # -- surfaces -----------------------------------------------------------------------------

    def surfaces(self, user: str | None) -> list[Surface]:
        """What ``user`` can see (None: everything), newest last."""
        found: list[Surface] = []
        for channel_messages in self.messages.values():
            for m in channel_messages:
                if m.deleted or not m.blocks:
                    continue
                found.append(
                    Surface(
                        "message",
                        m.at,
                        m.blocks,
                        channel=m.channel,
                        ts=m.ts,
                        thread_ts=m.thread_ts,
                        message=m.to_slack(self.team_id),
                    )
                )
        for e in self.ephemerals:
            if e.deleted or not e.blocks or (user is not None and e.user != user):
                continue
            found.append(
                Surface(
                    "ephemeral", e.at, e.blocks, e.channel, e.ts, thread_ts=e.thread_ts, user=e.user
                )
            )
        visible = [stack[-1] for stack in self.stacks.values() if stack]  # top modals only
        visible += list(self.homes.values())
        for view in (self.views[v] for v in visible):
            if user is not None and view.user != user:
                continue
            kind: Literal["view", "home"] = "home" if view.type == "home" else "view"
            blocks = view.payload.get("blocks", [])
            found.append(Surface(kind, view.at, blocks, user=view.user, view=view.to_slack()))
        found.sort(key=lambda s: s.at)
        return found
