"""FakeSlack: a strict fake of the Slack Web API (plus response_urls, uploads and Socket Mode)
served over real HTTP on 127.0.0.1, for slack_sdk's WebClient and Bolt apps under test."""

from __future__ import annotations

import contextlib
import copy
import socket
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from . import methods_chat, methods_views
from .dispatch import Dispatcher, Tokens
from .faults import Fault, Limit
from .methods_views import InvalidAck
from .socket_mode import EnvelopeType, SocketModeServer
from .state import (
    APP_ID,
    Call,
    Channel,
    Clock,
    Json,
    ResponsePost,
    Surface,
    UploadedFile,
    User,
    Workspace,
)

__all__ = ["FakeSlack", "InvalidAck"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    fake: FakeSlack

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client gave up (timeout tests); nothing to report
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.fake._dispatcher.route(verb, parts.path, parts.query, body, headers)
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records every call in ``FakeSlack.calls`` instead."""


class FakeSlack:
    """A strict, thread-safe fake Slack workspace on 127.0.0.1 (real HTTP, port 0).

    Point ``WebClient(base_url=fake.api_url, token=fake.bot_token)`` at it. It answers the Web
    API methods in ``dispatch.HANDLERS`` as Slack does (HTTP 200 with ``ok: false`` errors),
    validates every Block Kit payload, records every call (``calls``), and keeps what the bot
    produced: messages, ephemerals, modals, Home tabs, files and response_url posts. Faults and
    rate limits are injected with ``fail_next`` / ``rate_limit*``; ``advance_time`` moves the
    clock for trigger and response_url expiry. Socket Mode starts on first use.
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        team_id: str = "T1",
        *,
        team_domain: str = "assessbot-test",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.team_domain = team_domain
        self.app_id = APP_ID
        self.clock = Clock()
        self._lock = threading.RLock()
        self._ws = Workspace(team_id, team_domain, self.clock)
        self._dispatcher = Dispatcher(
            self._ws,
            self._lock,
            Tokens(bot_token, app_token),
            lambda: self.base_url,
            self._socket_url,
        )
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: SocketModeServer | None = None
        self._port: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._httpd is not None:
            return self
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fakeslack-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            socket_server, self._socket = self._socket, None
        if socket_server is not None:
            socket_server.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeSlack was never started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``WebClient``: ``http://127.0.0.1:PORT/api/``."""
        return self.base_url + "/api/"

    def advance_time(self, seconds: float) -> None:
        """Move the fake's clock (trigger ids expire after 3 s, response_urls after 30 min)."""
        self.clock.advance(seconds)

    # -- workspace ----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/London",
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        name = name or user_id.lower()
        user = User(
            user_id,
            team_id or self.team_id,
            name,
            real_name or name.title(),
            tz,
            is_admin,
            is_owner,
            is_bot,
            deleted,
        )
        with self._lock:
            self._ws.users[user_id] = user

    def add_team(self, team_id: str, name: str) -> None:
        """Name a workspace (this one, or a Slack Connect organisation) for team.info."""
        with self._lock:
            self._ws.teams[team_id] = name

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_member: bool = True,
        is_private: bool = False,
        is_archived: bool = False,
        members: list[str] | None = None,
    ) -> None:
        """Add (or replace) a channel. ``members=None`` means every user is in it."""
        channel = Channel(
            channel_id,
            name,
            is_member,
            is_private,
            is_archived,
            None if members is None else set(members),
        )
        with self._lock:
            self._ws.channels[channel_id] = channel

    def im_channel(self, user_id: str) -> str | None:
        """The id of the bot's DM with a user, if conversations.open made one."""
        with self._lock:
            return self._ws.ims.get(user_id)

    def channel_name(self, channel_id: str) -> str | None:
        with self._lock:
            channel = self._ws.channels.get(channel_id)
            return channel.name if channel is not None else None

    def user_name(self, user_id: str) -> str | None:
        with self._lock:
            user = self._ws.users.get(user_id)
            return user.name if user is not None else None

    # -- recorded calls -----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._dispatcher.calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._dispatcher.calls if c.method == method]

    def clear_calls(self) -> None:
        with self._lock:
            self._dispatcher.calls.clear()

    # -- messages -----------------------------------------------------------------------------

    def messages(self, channel: str) -> list[Json]:
        """Every (not deleted) message in a channel, thread replies included, oldest first."""
        with self._lock:
            found = [m for m in self._ws.messages.get(channel, []) if not m.deleted]
            return [m.record(self.team_id) for m in sorted(found, key=lambda m: m.ts)]

    def message(self, channel: str, ts: str) -> Json:
        with self._lock:
            for m in self._ws.messages.get(channel, []):
                if m.ts == ts and not m.deleted:
                    return m.record(self.team_id)
        raise KeyError(f"no message {ts} in {channel}")

    def channel_history(self, channel: str) -> list[Json]:
        """What the channel itself shows (like conversations.history): top-level messages and
        thread replies that were also sent to the channel, oldest first."""
        return [
            m
            for m in self.messages(channel)
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]

    def thread(self, channel: str, thread_ts: str) -> list[Json]:
        """Like conversations.replies: the parent (when it exists) then the replies."""
        return [
            m
            for m in self.messages(channel)
            if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
        ]

    def ephemerals(self, user: str | None = None) -> list[Json]:
        with self._lock:
            return [
                e.record() for e in self._ws.ephemerals if not e.deleted and user in (None, e.user)
            ]

    def all_posts(self) -> list[Json]:
        """Every live message and ephemeral the bot produced, oldest first, with a ``kind``."""
        with self._lock:
            posts = [
                (m.at, {"kind": "message", **m.record(self.team_id)})
                for ms in self._ws.messages.values()
                for m in ms
                if not m.deleted
            ]
            posts += [
                (e.at, {"kind": "ephemeral", **e.record()})
                for e in self._ws.ephemerals
                if not e.deleted
            ]
        return [p for _, p in sorted(posts, key=lambda p: p[0])]

    def surfaces(self, user: str | None = None) -> list[Surface]:
        """Everything with blocks that ``user`` can see (None: everything), newest last."""
        with self._lock:
            return copy.deepcopy(self._ws.surfaces(user))

    # -- views --------------------------------------------------------------------------------

    def issue_trigger_id(self, user: str | None = None) -> str:
        """A trigger id as Slack puts in an interaction: usable once, within 3 seconds."""
        with self._lock:
            return methods_views.issue_trigger_id(self._ws, user)

    def open_views(self, user: str | None = None) -> list[Json]:
        """Open modals (root first, top of the stack last) of one user or of everyone."""
        with self._lock:
            return [
                self._ws.views[v].to_slack()
                for owner, stack in self._ws.stacks.items()
                if user in (None, owner)
                for v in stack
            ]

    def view(self, view_id: str) -> Json:
        with self._lock:
            return self._ws.views[view_id].to_slack()

    def home_view(self, user: str) -> Json | None:
        with self._lock:
            view_id = self._ws.homes.get(user)
            return self._ws.views[view_id].to_slack() if view_id else None

    def view_owner(self, view_id: str) -> str | None:
        with self._lock:
            return self._ws.views[view_id].user

    def close_view(self, view_id: str) -> None:
        """The user closes a modal (Cancel / X)."""
        with self._lock:
            methods_views.close_view(self._ws, view_id)

    def apply_view_ack(self, view_id: str, ack: Any) -> None:
        """Apply a view_submission acknowledgement body to the modal stack, as Slack would.
        Raises ``InvalidAck`` for an answer Slack would refuse."""
        with self._lock:
            methods_views.apply_submission_ack(self._ws, view_id, ack)

    # -- files and response_urls --------------------------------------------------------------

    def uploaded_files(self) -> list[UploadedFile]:
        with self._lock:
            return list(self._ws.files)

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
    ) -> str:
        """A response_url: 5 posts within 30 minutes. Bind it to the message a click came from
        (``message_ts``) so that ``replace_original`` / ``delete_original`` act on it."""
        with self._lock:
            return methods_chat.new_response_url(
                self._ws,
                self.base_url,
                channel=channel,
                user=user,
                message_ts=message_ts,
                is_ephemeral=is_ephemeral,
            )

    def response_posts(
        self, url: str | None = None, *, include_rejected: bool = False
    ) -> list[ResponsePost]:
        with self._lock:
            return [
                p
                for p in self._ws.response_posts
                if url in (None, p.url) and (include_rejected or p.accepted)
            ]

    # -- faults and rate limits ---------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        drop: bool = False,
        delay: float | None = None,
        times: int = 1,
        user: str | None = None,
        accept_then_drop: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (``"*"``: any method; also
        ``"response_url"`` and ``"upload"`` for those endpoints; ``user``: only calls about that
        person). See ``faults.Fault``."""
        if not (error or status or retry_after is not None or drop or delay or accept_then_drop):
            raise ValueError(
                "fail_next needs error, status, retry_after, drop, delay or accept_then_drop"
            )
        with self._lock:
            self._dispatcher.faults.add(
                method,
                Fault(error, status, retry_after, drop, delay, user, accept_then_drop),
                times,
            )

    def slow_down(self, method: str, seconds: float | None) -> None:
        """Every call of ``method`` waits ``seconds`` before it is answered (None: no more),
        like a Slack that is slow today rather than one failing call."""
        with self._lock:
            if seconds:
                self._dispatcher.delays[method] = seconds
            else:
                self._dispatcher.delays.pop(method, None)

    def clear_faults(self) -> None:
        with self._lock:
            self._dispatcher.faults.clear()

    def rate_limit_channels(self, per_second: float | None = 1.0, burst: int = 1) -> None:
        """Slack's special chat.postMessage limit per channel (None turns it off)."""
        with self._lock:
            self._dispatcher.limits.set_channel_limit(
                None if per_second is None else Limit(per_second, burst)
            )

    def rate_limit(self, method: str, *, per_minute: float | None, burst: int = 1) -> None:
        """A workspace-wide limit for one method, like Slack's tiers (None turns it off)."""
        with self._lock:
            self._dispatcher.limits.set_method_limit(
                method, None if per_minute is None else Limit(per_minute / 60.0, burst)
            )

    # -- Socket Mode --------------------------------------------------------------------------

    def _socket_server(self) -> SocketModeServer:
        with self._lock:
            if self._socket is None:
                self._socket = SocketModeServer(self.app_id)
            return self._socket

    def _socket_url(self) -> str:
        return self._socket_server().issue_url()

    def socket_connected(self, timeout: float = 5.0) -> bool:
        """Wait until a Socket Mode client is connected."""
        return self._socket_server().wait_connected(timeout)

    @property
    def socket_connection_count(self) -> int:
        return self._socket_server().connection_count

    def socket_send(
        self,
        envelope_type: EnvelopeType,
        payload: Mapping[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Send an envelope to a connected client; returns its envelope_id."""
        return self._socket_server().send(
            envelope_type,
            dict(payload),
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            timeout=timeout,
        )

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Json:
        """The app's ack ``{"envelope_id", "payload"?}``; raises TimeoutError without one."""
        return self._socket_server().wait_for_ack(envelope_id, timeout)

    def socket_request_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message: clients open a new connection."""
        self._socket_server().request_disconnect(reason)

    def socket_close_connections(self) -> None:
        """Hang up on every Socket Mode client."""
        self._socket_server().close_connections()
