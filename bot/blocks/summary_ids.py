"""Action, block and callback ids of the leadership summary, shared by builders and listeners."""

from __future__ import annotations

import re

SETTINGS_CALLBACK = "summary_settings"

CHANNELS_BLOCK = "summary_channels"
CHANNELS_ACTION = "summary_channels_select"
WEEKDAY_BLOCK = "summary_weekday"
WEEKDAY_ACTION = "summary_weekday_select"
TIME_BLOCK = "summary_time"
TIME_ACTION = "summary_time_pick"
PHASES_BLOCK = "summary_phases"
PHASES_ACTION = "summary_phases_pick"

# One "Post to #channel" button per configured channel, in one actions block: action ids must
# be unique within a block, so each carries its index; the listener matches the pattern.
POST_BLOCK = "summary_post"
POST_ACTION_PREFIX = "summary_post_"
POST_ACTION_PATTERN = re.compile(r"^summary_post_\d+$")


def post_action(index: int) -> str:
    return f"{POST_ACTION_PREFIX}{index}"
