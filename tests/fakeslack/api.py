"""Parsing Web API requests like Slack does, and the pieces every method handler shares."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from .state import ApiError, Json, Workspace


@dataclass(frozen=True)
class Reply:
    """What the HTTP layer writes back (or ``drop``: close the connection, answer nothing)."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: bool = False

    @staticmethod
    def json(body: Json, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return Reply(status, json.dumps(body).encode(), headers=headers or {})

    @staticmethod
    def text(text: str, status: int = 200) -> Reply:
        return Reply(status, text.encode(), content_type="text/plain; charset=utf-8")

    @staticmethod
    def dropped() -> Reply:
        return Reply(0, b"", drop=True)


@dataclass(frozen=True)
class ApiRequest:
    method: str
    params: Json
    is_json: bool

    def string(self, name: str) -> str | None:
        """A scalar argument as Slack reads it (form values are strings, JSON may be typed)."""
        value = self.params.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise ApiError("invalid_array_arg")

    def json(self, name: str, *, bad: str = "invalid_arguments") -> Any:
        """A structured argument: JSON bodies carry it as-is, forms as a JSON string."""
        value = self.params.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(bad) from None
        return value

    def flag(self, name: str) -> bool:
        return self.params.get(name) in (True, 1, "1", "true", "True")


@dataclass(frozen=True)
class Context:
    """What a method handler may use. Handlers run with the fake's lock held."""

    ws: Workspace
    base_url: str  # "http://127.0.0.1:PORT"
    socket_url: Callable[[], str]


Handler = Callable[[Context, ApiRequest], Json]


def invalid_arguments(errors: list[str]) -> ApiError:
    """Slack's answer to a bad view (and other schema failures)."""
    return ApiError(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
    )


def invalid_blocks(errors: list[str]) -> ApiError:
    """Slack's answer to bad blocks in a message."""
    return ApiError(
        "invalid_blocks",
        errors=errors,
        response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
    )


def parse_params(query: str, body: bytes, content_type: str) -> tuple[Json, bool, str | None]:
    """(params, is_json, error code) from a query string and a body, like Slack parses them."""
    params: Json = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return params, False, None
    if kind == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            return params, True, "invalid_json"
        if not isinstance(data, dict):
            return params, True, "invalid_json"
        params.update(data)
        return params, True, None
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                params[name] = payload if part.get_filename() else payload.decode()
        return params, False, None
    if kind in ("application/x-www-form-urlencoded", "text/plain", ""):
        try:
            for key, value in parse_qsl(
                body.decode(), keep_blank_values=True, strict_parsing=False
            ):
                params.setdefault(key, value)
        except UnicodeDecodeError:
            return params, False, "invalid_form_data"
        return params, False, None
    return params, False, "invalid_post_type"


def bearer(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None
