"""Peer-review reminders inside the reminders tick: owners' challenge digests, reviewer nudges.

`review_digest_nudges` hands the tick planned nudges of the existing type, so open challenges
ride in the owners' usual digest and are claimed and sent by the tick's own machinery.
`send_reviewer_nudges` posts each reviewer's one nudge in the review thread (a DM can't reach
a reviewer from another organisation), claiming it first in the same `nudges` table.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime

from slack_sdk import WebClient

from bot.core.people import Directory, Person
from bot.core.reminders import PlannedNudge
from bot.core.review_overview import with_states
from bot.core.review_reminders import open_challenges, plan_challenge_nudges, plan_reviewer_nudges
from bot.core.working_hours import WorkingHours
from bot.deps import Deps
from bot.slack.errors import SLACK_CALL_ERRORS, slack_error_code
from storage.models import ClaimStatus
from storage.reminder_queries import (
    STALE_CLAIM_AFTER,
    claim_or_reclaim,
    load_nudge_states,
    mark_sent,
    release_claims,
)
from storage.review_queries import active_invitations, unfinished_invitations
from storage.values import NudgeKey

logger = logging.getLogger(__name__)


def _not_done(deps: Deps, keys: list[NudgeKey], now: datetime) -> set[NudgeKey]:
    """The keys still to send (never claimed, or left claimed by a process that stopped)."""
    with deps.sessions() as session:
        states = load_nudge_states(
            session=session,
            service_ids={key.service_id for key in keys},
            due_dates={key.due_on for key in keys},
        )
    todo = set()
    for key in keys:
        state = states.get(key)
        stale = state is not None and (
            state.status == ClaimStatus.CLAIMED and state.claimed_at < now - STALE_CLAIM_AFTER
        )
        if state is None or stale:
            todo.add(key)
    return todo


def review_digest_nudges(
    deps: Deps, directory: Directory, now: datetime, hours: WorkingHours
) -> list[PlannedNudge]:
    """Open challenges older than 14 days, as nudges for their owners' digests (unsent only)."""
    with deps.sessions() as session:
        invitations = active_invitations(session=session)
        challenges = open_challenges(invitations, session=session)
    owners = sorted({owner for c in challenges for owner in c.service.owner_ids})
    people: dict[str, Person | None] = {}
    for owner in owners:
        try:
            people[owner] = directory.lookup(owner)
        except SLACK_CALL_ERRORS as error:  # that owner waits a tick, like the tick's own
            logger.warning("could not look up %s for review reminders: %s", owner, error)
    planned = plan_challenge_nudges(challenges, now, people, hours)
    todo = _not_done(deps, [nudge.key for nudge in planned], now)
    return [nudge for nudge in planned if nudge.key in todo]


def send_reviewer_nudges(deps: Deps, client: WebClient, now: datetime, hours: WorkingHours) -> int:
    """Nudge each reviewer unfinished after 7 days, once, in the review thread; how many sent."""
    with deps.sessions() as session:
        reviews = with_states(unfinished_invitations(session=session), session)
    planned = plan_reviewer_nudges(reviews, now, hours)
    todo = _not_done(deps, [nudge.key for nudge in planned], now)
    sent = 0
    for nudge in (n for n in planned if n.key in todo):
        invitation = nudge.invitation
        with deps.sessions.begin() as session:
            claim = claim_or_reclaim(
                session=session,
                key=nudge.key,
                team_id=invitation.team_id,
                now=now,
                claimed_by=f"{deps.process_name}:{os.getpid()}",
            )
        if claim is None:
            continue
        text = (
            f"<@{invitation.reviewer_id}>, a gentle reminder: this peer review is waiting for "
            f"you ({nudge.answered} points answered so far). *Continue review* on the first "
            "message brings back the next point."
        )
        try:
            response = client.chat_postMessage(
                channel=invitation.channel_id, thread_ts=invitation.thread_ts, text=text
            )
        except SLACK_CALL_ERRORS as error:
            logger.warning("reviewer nudge not sent (%s); released", slack_error_code(error))
            with deps.sessions.begin() as session:
                release_claims(session=session, claims=[claim])
            continue
        with deps.sessions.begin() as session:
            mark_sent(
                session=session, claims=[claim], now=deps.clock(), message_ts=response.get("ts")
            )
        sent += 1
    return sent
