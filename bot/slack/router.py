"""Dispatching `/assess <subcommand>` to the feature that owns it.

One slash command keeps the manifest simple for councils; the router keeps each feature's
subcommands in the feature's own module and gives help a single list to print.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.core.commands import parse_arguments
from bot.deps import Deps

logger = logging.getLogger(__name__)


@dataclass
class CommandRequest:
    deps: Deps
    client: WebClient
    respond: Callable[..., Any]
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    args: list[str]
    text: str
    is_admin: Callable[[], bool]

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """An ephemeral answer to the person who typed the command."""
        if blocks is None:
            self.respond(text=text, response_type="ephemeral")
        else:
            self.respond(text=text, blocks=blocks, response_type="ephemeral")


Handler = Callable[[CommandRequest], None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    handler: Handler
    usage: str
    summary: str
    example: str
    opens_modal: bool = False  # run before anything else: a trigger_id lives 3 seconds


@dataclass
class CommandRouter:
    subcommands: dict[str, Subcommand] = field(default_factory=dict)

    def add(
        self,
        name: str,
        handler: Handler,
        *,
        usage: str,
        summary: str,
        example: str,
        opens_modal: bool = False,
    ) -> None:
        if name in self.subcommands:
            raise ValueError(f"subcommand {name!r} registered twice")
        self.subcommands[name] = Subcommand(name, handler, usage, summary, example, opens_modal)

    def find(self, name: str) -> Subcommand | None:
        return self.subcommands.get(name)

    def split(self, text: str) -> tuple[str, list[str]]:
        """The subcommand name and its arguments (quoted names kept whole)."""
        # Slack escapes &, < and > in command text; people typed the plain characters.
        words = parse_arguments(html.unescape(text))
        if not words:
            return "help", []
        return words[0].casefold(), words[1:]
