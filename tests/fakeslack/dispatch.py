"""Routes one HTTP request: record it, apply injected faults, authenticate, rate-limit, handle."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import methods_chat, methods_files, methods_views, methods_workspace
from .api import ApiRequest, Context, Handler, Reply, bearer, parse_params
from .faults import Fault, FaultPlan, RateLimiter
from .state import ApiError, Call, Workspace

HANDLERS: dict[str, Handler] = {
    **methods_workspace.HANDLERS,
    **methods_chat.HANDLERS,
    **methods_views.HANDLERS,
    **methods_files.HANDLERS,
}
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


@dataclass(frozen=True)
class Tokens:
    bot: str
    app: str


class Dispatcher:
    def __init__(
        self,
        ws: Workspace,
        lock: threading.RLock,
        tokens: Tokens,
        base_url: Callable[[], str],
        socket_url: Callable[[], str],
    ) -> None:
        self.ws = ws
        self.lock = lock
        self.tokens = tokens
        self.calls: list[Call] = []
        self.faults = FaultPlan()
        self.limits = RateLimiter()
        self.delays: dict[str, float] = {}  # method -> seconds every call of it waits
        self._base_url = base_url
        self._socket_url = socket_url

    def route(
        self, verb: str, path: str, query: str, body: bytes, headers: Mapping[str, str]
    ) -> Reply:
        if path.startswith("/api/"):
            return self.api(path.removeprefix("/api/"), query, body, headers)
        if verb == "POST" and path.startswith("/response/"):
            return self._hook("response_url", lambda: self._response_url(path, body))
        if verb == "POST" and path.startswith("/upload/v1/"):
            ticket = path.removeprefix("/upload/v1/")
            return self._hook("upload", lambda: methods_files.receive_upload(self.ws, ticket, body))
        return Reply.text("Not Found", 404)

    # -- Web API ------------------------------------------------------------------------------

    def api(self, method: str, query: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        params, is_json, parse_error = parse_params(query, body, headers.get("content-type", ""))
        with self.lock:
            call = Call(method, params, dict(headers), self.ws.clock.now())
            self.calls.append(call)
            fault = self.faults.take(method, _user_of(params))
            delay = self.delays.get(method)
        if delay:
            time.sleep(delay)
        reply = self._fault_reply(fault)
        if reply is None:
            with self.lock:
                reply = self._answer(
                    method, headers, ApiRequest(method, params, is_json), parse_error
                )
            if fault is not None and fault.accept_then_drop:
                with self.lock:
                    call.status, call.response = 0, _json_or_none(reply)
                return Reply.dropped()
        with self.lock:
            call.status = reply.status
            call.response = _json_or_none(reply)
        return reply

    def _answer(
        self, method: str, headers: Mapping[str, str], req: ApiRequest, parse_error: str | None
    ) -> Reply:
        try:
            if parse_error:
                raise ApiError(parse_error)
            handler = HANDLERS.get(method)
            if handler is None:
                raise ApiError("unknown_method")
            self._authenticate(method, headers, req)
            wait = self.limits.check(method, _channel_of(req), self.ws.clock.now())
            if wait is not None:
                return Reply.json(
                    {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(wait)}
                )
            body = handler(Context(self.ws, self._base_url(), self._socket_url), req)
        except ApiError as e:
            body = e.body()
        return Reply.json(body)

    def _authenticate(self, method: str, headers: Mapping[str, str], req: ApiRequest) -> None:
        token = bearer(headers)
        if token is None and not req.is_json and method not in APP_TOKEN_METHODS:
            token = req.string("token")  # form/query token; JSON bodies need the header
        if token is None:
            raise ApiError("not_authed")
        wanted, other = (self.tokens.app, self.tokens.bot)
        if method not in APP_TOKEN_METHODS:
            wanted, other = other, wanted
        if token == other:
            raise ApiError("not_allowed_token_type")
        if token != wanted:
            raise ApiError("invalid_auth")

    # -- faults -------------------------------------------------------------------------------

    def _fault_reply(self, fault: Fault | None) -> Reply | None:
        if fault is None:
            return None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.accept_then_drop:
            return None  # handled first, dropped after (see `api`)
        if fault.drop:
            return Reply.dropped()
        if fault.retry_after is not None:
            return Reply.json(
                {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(fault.retry_after)}
            )
        if fault.status is not None:
            return Reply.text(f"{fault.status} fakeslack injected failure", fault.status)
        if fault.error is not None:
            return Reply.json({"ok": False, "error": fault.error})
        return None

    def _hook(self, name: str, handle: Callable[[], Reply]) -> Reply:
        """response_url and upload posts: faults (by those names) apply, then the handler."""
        with self.lock:
            fault = self.faults.take(name)
        reply = self._fault_reply(fault)
        if reply is not None:
            return reply
        with self.lock:
            return handle()

    def _response_url(self, path: str, body: bytes) -> Reply:
        rid = path.removeprefix("/response/")
        return methods_chat.post_to_response_url(self.ws, self._base_url(), rid, body)


def _channel_of(req: ApiRequest) -> str | None:
    try:
        return req.string("channel")
    except ApiError:
        return None


def _user_of(params: dict[str, object]) -> str | None:
    user = params.get("user")
    return user if isinstance(user, str) else None


def _json_or_none(reply: Reply) -> dict[str, object] | None:
    if not reply.content_type.startswith("application/json"):
        return None
    data = json.loads(reply.body)
    return data if isinstance(data, dict) else None
