"""Uploading the summary's outcome trend charts into its thread (after the heatmap).

A drawing or upload failure costs the charts, never the summary: it is logged and the words,
which carry every figure the charts show, stand on their own.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.core.summary import Summary
from bot.slack.errors import SLACK_CALL_ERRORS

logger = logging.getLogger(__name__)


def upload_outcome_charts(
    client: WebClient, channel_id: str, thread_ts: str, summary: Summary
) -> int:
    outcomes = summary.outcomes
    if outcomes is None or not outcomes.charts:
        return 0
    try:
        from bot.core.outcome_chart import render_charts  # matplotlib only when there are charts

        charts = render_charts(outcomes.charts)
    except Exception:  # matplotlib or font trouble: the summary's words stand alone
        logger.exception("could not draw the outcome charts")
        return 0
    uploads: list[dict[str, Any]] = [
        {"content": c.png, "filename": c.filename, "title": c.title, "alt_txt": c.alt_text}
        for c in charts
    ]
    try:
        client.files_upload_v2(
            file_uploads=uploads,
            channel=channel_id,
            thread_ts=thread_ts,
            initial_comment="Outcome trend charts: each value is written on its chart.",
        )
    except SLACK_CALL_ERRORS:
        logger.warning("summary in %s: the outcome charts could not be uploaded", channel_id)
        return 0
    return len(charts)
