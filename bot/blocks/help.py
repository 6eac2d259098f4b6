"""The help message: what the bot does and every subcommand with an example."""

from __future__ import annotations

from typing import Protocol

from bot.blocks.kit import Block, context, divider, header, section
from bot.core.text import safe

INTRO = (
    "I help your team assess its services against a digital service standard, right here in "
    "Slack: register a service, answer one point at a time in a thread, keep the evidence, "
    "and I'll remind the owners when a reassessment is due."
)


class CommandInfo(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def usage(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def example(self) -> str: ...


def build_help(commands: list[CommandInfo]) -> list[Block]:
    lines = [
        f"`{command.usage}` — {command.summary}. _e.g._ `{command.example}`"
        for command in sorted(commands, key=lambda c: c.name)
    ]
    return [
        header("assessbot: your service standard, in Slack"),
        section(INTRO),
        divider(),
        section("\n".join(lines)),
        context('Service names can be quoted: `/assess start "Adult social care"`.'),
    ]


def build_unknown_subcommand(name: str, commands: list[CommandInfo]) -> list[Block]:
    known = ", ".join(f"`{command.name}`" for command in sorted(commands, key=lambda c: c.name))
    return [
        section(
            f"I don't know the command `{safe(name, 50)}`. Try one of: {known}, or `/assess help`."
        )
    ]
