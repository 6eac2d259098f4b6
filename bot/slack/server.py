"""Serving the app: the WSGI app, an in-process HTTP server (waitress) or a Socket Mode connection.

`assessbot run` serves HTTP mode with several processes (`bot.slack.prefork`, gunicorn); the
in-process `HttpServer` serves the same WSGI app for the tests and the benchmarks' harness.
Either way it is a production WSGI server, not Bolt's development server: Slack's requests and
the load balancer's health checks arrive on many threads at once. `/healthz` answers 200 only
while the database answers, so a balancer stops sending traffic to a replica that cannot save.
Every answer names the process that gave it (`X-Assessbot-Pid`), so an operator (and a test) can
see which worker answered.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine
from waitress import wasyncore
from waitress.server import create_server

from storage.db import database_answers

logger = logging.getLogger(__name__)

SERVER_THREADS = 32  # more than concurrent Slack requests, so none waits in waitress's queue
LOOP_TIMEOUT_SECONDS = 1.0
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def build_wsgi(app: App, engine: Engine) -> WsgiApp:
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], answer: StartResponse) -> Iterable[bytes]:
        pid = ("X-Assessbot-Pid", str(os.getpid()))  # read per request: workers are forks

        def start_response(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            return answer(status, [*headers, pid], *rest)

        if environ.get("PATH_INFO") == "/healthz":
            healthy = database_answers(engine)
            body = json.dumps({"ok": healthy}).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(
                status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return slack(environ, start_response)

    return wsgi


class HttpServer:
    """waitress, bound to a port, stoppable from a signal handler or another thread.

    waitress's own `run()` can only be stopped by KeyboardInterrupt in its thread; we drive its
    event loop ourselves (on a map we own) so `stop()` is safe from anywhere and in-flight
    requests are finished before the process exits.
    """

    def __init__(self, wsgi: WsgiApp, port: int, host: str = "0.0.0.0") -> None:
        self._map: dict[int, Any] = {}
        self._stopping = threading.Event()
        self._server = create_server(
            wsgi, map=self._map, host=host, port=port, threads=SERVER_THREADS, ident="assessbot"
        )

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=LOOP_TIMEOUT_SECONDS, map=self._map, count=1)
        finally:
            self._server.task_dispatcher.shutdown()
            self._server.close()

    def stop(self) -> None:
        self._stopping.set()
        self._server.pull_trigger()  # type: ignore[union-attr]

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="http", daemon=True)
        thread.start()
        return thread


class SocketModeServer:
    def __init__(self, app: App, app_token: str) -> None:
        self._handler = SocketModeHandler(app, app_token)

    def serve_forever(self) -> None:
        self._handler.connect()  # type: ignore[no-untyped-call]
        self._stopped = threading.Event()
        self._stopped.wait()

    def stop(self) -> None:
        self._handler.close()  # type: ignore[no-untyped-call]
        if hasattr(self, "_stopped"):
            self._stopped.set()
