"""The `/assess` slash command: acknowledge at once, then hand over to the subcommand."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.help import build_help, build_unknown_subcommand
from bot.core.text import safe
from bot.deps import Deps
from bot.slack.after_ack import later
from bot.slack.errors import tell_user_on_failure
from bot.slack.lookup import admin_here
from bot.slack.router import CommandRequest, CommandRouter

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "help",
        lambda request: request.reply(
            "assessbot help", build_help(list(router.subcommands.values()))
        ),
        usage="/assess help",
        summary="What I do and every command",
        example="/assess help",
    )

    @app.command("/assess")
    def on_assess(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        name, args = router.split(command.get("text", ""))
        subcommand = router.find(name)
        if subcommand is None:
            respond(
                text=f"I don't know the command '{safe(name, 50)}'.",
                blocks=build_unknown_subcommand(name, list(router.subcommands.values())),
                response_type="ephemeral",
            )
            return
        user_id = command["user_id"]
        request = CommandRequest(
            deps=deps,
            client=client,
            respond=respond,
            team_id=command["team_id"],
            user_id=user_id,
            channel_id=command.get("channel_id", ""),
            trigger_id=command.get("trigger_id", ""),
            args=args,
            text=command.get("text", ""),
            is_admin=lambda: admin_here(deps, client, command["team_id"], user_id, strict=True),
        )
        tell = lambda text: respond(text=text)  # noqa: E731
        if subcommand.opens_modal:
            with tell_user_on_failure(tell, f"/assess {name}"):
                subcommand.handler(request)
        else:
            later(deps, f"/assess {name}", lambda: subcommand.handler(request), tell, slow=True)
