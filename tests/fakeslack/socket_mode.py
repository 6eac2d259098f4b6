"""A Socket Mode WebSocket endpoint on loopback (websockets' threaded server).

``apps.connections.open`` hands out ``ws://127.0.0.1:PORT/link/?ticket=…`` URLs; each ticket
connects once. A connection gets Slack's ``hello`` first; envelopes go out round-robin over
the open connections; the app's acknowledgements (``{"envelope_id", "payload"?}``) are kept
for ``wait_for_ack``. Ping frames are answered by the websockets library.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
import threading
import uuid
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

Json = dict[str, Any]
EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


class SocketModeServer:
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, Json] = {}
        self._sent: dict[str, Json] = {}
        self._rotation = itertools.count()
        self._server: Server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            close_timeout=1,
            server_header=None,
        )
        self.port: int = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fakeslack-socket-mode", daemon=True
        )
        self._thread.start()

    # -- connection handling ------------------------------------------------------------------

    def issue_url(self) -> str:
        ticket = secrets.token_urlsafe(16)
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        query = parse_qs(urlsplit(request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._cond:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return None
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")

    def _handle(self, connection: ServerConnection) -> None:
        with self._cond:
            self._connections.append(connection)
            count = len(self._connections)
            self._cond.notify_all()
        try:
            connection.send(json.dumps(self._hello(count)))
            for message in connection:
                self._receive(message)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                self._connections.remove(connection)
                self._cond.notify_all()

    def _hello(self, count: int) -> Json:
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-fakeslack",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _receive(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            return
        if isinstance(data, dict) and isinstance(data.get("envelope_id"), str):
            with self._cond:
                self._acks[data["envelope_id"]] = data
                self._cond.notify_all()

    # -- API used by FakeSlack ------------------------------------------------------------------

    @property
    def connection_count(self) -> int:
        with self._cond:
            return len(self._connections)

    def wait_connected(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: bool(self._connections), timeout)

    def send(
        self,
        envelope_type: str,
        payload: Json,
        *,
        retry_attempt: int,
        retry_reason: str,
        timeout: float,
    ) -> str:
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope_type must be one of {ENVELOPE_TYPES}")
        envelope: Json = {
            "envelope_id": str(uuid.uuid4()),
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        if not self.wait_connected(timeout):
            raise TimeoutError("no Socket Mode client is connected")
        with self._cond:
            connections = list(self._connections)
            self._sent[envelope["envelope_id"]] = envelope
        target = connections[next(self._rotation) % len(connections)]
        target.send(json.dumps(envelope))
        return str(envelope["envelope_id"])

    def wait_for_ack(self, envelope_id: str, timeout: float) -> Json:
        with self._cond:
            if envelope_id not in self._sent:
                raise KeyError(f"no envelope {envelope_id} was sent")
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"envelope {envelope_id} was not acknowledged within {timeout}s")
            return dict(self._acks[envelope_id])

    def acks(self) -> list[Json]:
        with self._cond:
            return [dict(a) for a in self._acks.values()]

    def request_disconnect(self, reason: str) -> None:
        """Slack's ``disconnect`` message (e.g. ``refresh_requested``): clients reconnect."""
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fakeslack"}}
        )
        with self._cond:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(ConnectionClosed):
                connection.send(message)

    def close_connections(self) -> None:
        """Hang up on every client (Slack does this when it rotates servers)."""
        with self._cond:
            connections = list(self._connections)
        for connection in connections:
            connection.close()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
