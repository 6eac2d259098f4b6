"""Action ids on reminder messages, shared by the builders and the listeners."""

from __future__ import annotations

from typing import Final

from bot.blocks.ids import ASSESSMENT_START

# Start / Resume belongs to the assessment flow: same id and value (the service id) as its own.
START: Final = ASSESSMENT_START
SNOOZE: Final = "reminder_snooze"
# Each nudge's section carries a block id naming it, so one message can hold several.
NUDGE_BLOCK_PREFIX: Final = "nudge"

__all__ = ["NUDGE_BLOCK_PREFIX", "SNOOZE", "START"]
