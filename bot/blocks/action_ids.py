"""Action and callback ids of improvement actions, shared by the builders and the listener."""

from __future__ import annotations

from typing import Final

ADD: Final = "improvement_add"  # value: "<assessment id>:<point>", like a card's buttons
DONE: Final = "improvement_done"  # value: the action id
REDATE: Final = "improvement_redate"
DROP: Final = "improvement_drop"
SNOOZE: Final = "improvement_snooze"

# The completion message's points carry this block id prefix, so Add action there can refresh it.
COMPLETION_BLOCK: Final = "improvement_completion"

ADD_VIEW: Final = "improvement_add_view"
DONE_VIEW: Final = "improvement_done_view"
REDATE_VIEW: Final = "improvement_redate_view"
DROP_VIEW: Final = "improvement_drop_view"
