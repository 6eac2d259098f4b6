"""Keeping tables that only grow small: run by the scheduler, on every replica, harmlessly.

Deleting rows older than a cut-off is idempotent, so two replicas pruning at once just find
less to do; no claim is needed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.deps import Deps
from storage.event_queries import forget_events_before

logger = logging.getLogger(__name__)

KEEP_EVENT_IDS_FOR = timedelta(days=1)


def run_housekeeping_tick(deps: Deps) -> int:
    """Forget Slack event ids older than a day; how many were forgotten."""
    with deps.sessions.begin() as session:
        forgotten = forget_events_before(deps.clock() - KEEP_EVENT_IDS_FOR, session=session)
    if forgotten:
        logger.info("forgot %d processed event ids older than a day", forgotten)
    return forgotten
