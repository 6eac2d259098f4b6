"""One reminder tick: plan from the database, claim each nudge, send, record — exactly once.

The scheduler and `assessbot jobs run reminders` both call `run_reminders_tick`. Every replica
may tick at the same moment; the claim row (inserted and committed before Slack is called) is
what makes one of them, and only one, send a nudge. A failed send deletes its claims so the next
tick retries; a claim a crashed process left behind is taken over after 10 minutes and re-sent,
logged as a possible duplicate. Only the current occurrence of each nudge is ever sent.
"""

from __future__ import annotations

import http.client
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks.reminders import MAX_DIGEST_ITEMS, build_nudge_message
from bot.core.people import Directory, Person
from bot.core.reading_nudges import plan_reading_nudges, reading_nudge_dates, readings_settled
from bot.core.reminders import (
    Audience,
    Delivery,
    PlannedNudge,
    group_deliveries,
    is_settled,
    nudge_dates,
    plan_nudges,
)
from bot.core.working_hours import WorkingHours
from bot.deps import Deps
from bot.slack.action_nudge_job import gather_action_nudges
from bot.slack.claimed_post import OutcomeUnknown, outcome_unknown, post_claimed
from bot.slack.directory import SlackDirectory
from bot.slack.review_reminder_job import review_digest_nudges, send_reviewer_nudges
from storage.models import ClaimStatus
from storage.outcome_reminder_queries import load_reading_candidates
from storage.reminder_queries import (
    STALE_CLAIM_AFTER,
    Claim,
    NudgeState,
    claim_or_reclaim,
    load_nudge_states,
    load_reminder_candidates,
    mark_sent,
    release_claims,
)
from storage.values import NudgeKey, ServiceDue

logger = logging.getLogger(__name__)

# What a send may fail with that the next tick can retry: Slack's answers (429s that outlived
# the retry handler included), timeouts and dropped connections.
SEND_FAILURES = (SlackClientError, OSError, http.client.HTTPException)


@dataclass
class TickReport:
    """What one tick did, for logs, the CLI and tests."""

    started_at: datetime
    dry_run: bool = False
    services: int = 0
    settled_services: int = 0
    deferred_services: int = 0
    planned: int = 0
    already_done: int = 0
    claimed: int = 0
    reclaimed: int = 0
    lost_races: int = 0
    sent: int = 0
    messages: int = 0
    released: int = 0
    failed_messages: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.dry_run:
            return (
                f"dry run: {len(self.lines)} nudges would be sent "
                f"({self.already_done} already sent, {self.deferred_services} services deferred)"
            )
        return (
            f"{self.sent} nudges sent in {self.messages} messages, {self.released} released "
            f"for retry, {self.reclaimed} re-sent after a crash, {self.already_done} already "
            f"sent, {self.lost_races} taken by another process"
        )


def run_reminders_tick(
    deps: Deps,
    client: WebClient,
    *,
    dry_run: bool = False,
    out: TextIO | None = None,
    directory: Directory | None = None,
) -> TickReport:
    """Send every nudge that is due now and not sent yet (or, with `dry_run`, say who'd get one)."""
    now = deps.clock()
    report = TickReport(started_at=now, dry_run=dry_run)
    hours = WorkingHours(deps.settings.bank_holidays, deps.settings.timezone)
    with deps.sessions.begin() as session:
        services = load_reminder_candidates(session=session, today=now.date())
        # Reading-due nudges (outcomes, #13): own planner, same claims, digests and sends.
        readings = load_reading_candidates(session=session, tz=deps.settings.timezone)
        states = load_nudge_states(
            session=session,
            service_ids=[service.id for service in services] + [r.service.id for r in readings],
            due_dates=set().union(*(nudge_dates(service, now) for service in services))
            | reading_nudge_dates(readings, now, hours),
        )

    def done(key: NudgeKey) -> bool:
        return not _still_to_send(states.get(key), now)

    # Only services with something still to send need their owners looked up in Slack.
    unsettled = [s for s in services if not is_settled(s, now, hours, done)]
    report.services, report.settled_services = len(services), len(services) - len(unsettled)
    owing = [r for r in readings if not readings_settled(r, now, hours, done)]
    wanted = unsettled + [r.service for r in owing]
    people, ready = _look_up_owners(deps, client, directory, wanted, report)
    looked_up = {service.id for service in ready}
    planned: list[PlannedNudge] = list(
        plan_nudges([s for s in unsettled if s.id in looked_up], now, people, hours)
    )
    # Outcome readings (#13), improvement actions (#14) and peer review (#15): their own
    # planners; the same claims, digests and sends, and the process's one directory of people.
    planned += plan_reading_nudges(
        [r for r in owing if r.service.id in looked_up], now, people, hours
    )
    shared = directory or SlackDirectory(client, cache=deps.people)
    actions = gather_action_nudges(
        deps,
        shared,
        now,
        hours,
        still_to_send=_still_to_send,
        lookup_failures=SEND_FAILURES,
    )
    states.update(actions.states)
    people.update(actions.people)
    planned.extend(actions.planned)
    planned += review_digest_nudges(deps, shared, now, hours)
    todo = [nudge for nudge in planned if not done(nudge.key)]
    report.planned, report.already_done = len(planned), len(planned) - len(todo)
    deliveries = group_deliveries(todo, MAX_DIGEST_ITEMS)
    if dry_run:
        _print_dry_run(deliveries, people, report, out or sys.stdout)
        return report
    for delivery in deliveries:
        _deliver(deps, client, delivery, report)
    report.sent += send_reviewer_nudges(deps, client, now, hours)  # peer review (#15)
    if report.sent or report.released or report.failed_messages:
        logger.info("reminders tick: %s", report.summary())
    if out is not None:
        print(report.summary(), file=out)
    return report


def _look_up_owners(
    deps: Deps,
    client: WebClient,
    directory: Directory | None,
    services: list[ServiceDue],
    report: TickReport,
) -> tuple[dict[str, Person | None], list[ServiceDue]]:
    """Who the owners are; a service whose owners Slack could not tell us about waits a tick.

    Guessing "left" on a lookup failure would tell the team channel that nobody owns it. Unless
    a directory is given, lookups go through the process's shared cache, one workspace at a
    time; a cold cache with many owners is filled by paging users.list.
    """
    people: dict[str, Person | None] = {}
    failed: set[str] = set()
    by_team: dict[str, set[str]] = {}
    for service in services:
        by_team.setdefault(service.team_id, set()).update(service.owner_ids)
    for team_id, owner_ids in sorted(by_team.items()):
        team_directory = directory
        if team_directory is None:
            slack = SlackDirectory(client, team_id=team_id, cache=deps.people)
            slack.warm(owner_ids)
            team_directory = slack
        for owner_id in sorted(owner_ids):
            try:
                people[owner_id] = team_directory.lookup(owner_id)
            except SEND_FAILURES as error:
                logger.warning("could not look up %s for reminders: %s", owner_id, error)
                failed.add(owner_id)
    ready = [s for s in services if not failed.intersection(s.owner_ids)]
    report.deferred_services = len(services) - len(ready)
    return people, ready


def _still_to_send(state: NudgeState | None, now: datetime) -> bool:
    if state is None:
        return True
    return state.status == ClaimStatus.CLAIMED and state.claimed_at < now - STALE_CLAIM_AFTER


def _claimed_by(deps: Deps) -> str:
    return f"{deps.process_name}:{os.getpid()}"


def _deliver(deps: Deps, client: WebClient, delivery: Delivery, report: TickReport) -> None:
    claims = _claim(deps, delivery.nudges, report)
    if not claims:
        return
    nudges = [nudge for nudge, _ in claims]
    text, blocks = build_nudge_message(nudges, delivery.audience)
    try:
        response = post_claimed(
            client,
            keys=[claim_key(claim.key) for _, claim in claims],
            channel=delivery.recipient,
            # a claim taken over from a stopped process may have been sent: look first
            look_first=any(claim.reclaimed for _, claim in claims),
            text=text,
            blocks=blocks,
            unfurl_links=False,
        )
    except OutcomeUnknown:
        # Maybe sent, and history could not tell: keep the claims. After STALE_CLAIM_AFTER a
        # tick takes them over and looks in the conversation before sending again.
        report.failed_messages += 1
        logger.warning("reminder to %s: outcome unknown; claims kept", delivery.recipient)
        return
    except SEND_FAILURES as error:
        with deps.sessions.begin() as session:
            released = release_claims(session=session, claims=[claim for _, claim in claims])
        report.released += released
        report.failed_messages += 1
        logger.log(
            logging.WARNING if _retryable(error) else logging.ERROR,
            "reminder to %s not sent (%s%s); %d claims released for the next tick",
            delivery.recipient,
            _describe(error),
            ", and not in the conversation's history" if outcome_unknown(error) else "",
            released,
        )
        return
    with deps.sessions.begin() as session:
        mark_sent(
            session=session,
            claims=[claim for _, claim in claims],
            now=deps.clock(),
            message_ts=response.ts,
        )
    report.sent += len(claims)
    report.messages += 1


def _claim(
    deps: Deps, nudges: Sequence[PlannedNudge], report: TickReport
) -> list[tuple[PlannedNudge, Claim]]:
    """Claim the digest's nudges in one short transaction, committed before Slack is called."""
    won: list[tuple[PlannedNudge, Claim]] = []
    claimed_by = _claimed_by(deps)
    with deps.sessions.begin() as session:
        for nudge in nudges:
            claim = claim_or_reclaim(
                session=session,
                key=nudge.key,
                team_id=nudge.service.team_id,
                now=deps.clock(),
                claimed_by=claimed_by,
            )
            if claim is None:
                report.lost_races += 1
            else:
                won.append((nudge, claim))
    for _, claim in won:
        report.claimed += 1
        if claim.reclaimed:
            report.reclaimed += 1
            logger.warning(
                "re-sending nudge %s left unsent by a process that stopped (attempt %d): "
                "it may have been sent already, a possible duplicate",
                claim.key,
                claim.attempts,
            )
    return won


def claim_key(key: NudgeKey) -> str:
    """The nudge's claim as it travels in message metadata (stable across attempts)."""
    parts = (key.service_id, key.stage, key.due_on.isoformat(), key.occurrence, key.recipient)
    return "nudge:" + ":".join(str(part) for part in parts)


def _retryable(error: Exception) -> bool:
    if isinstance(error, SlackApiError):
        return error.response.get("error") in {"ratelimited", "internal_error", "fatal_error"}
    return True


def _describe(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack said {error.response.get('error')}"
    return f"{type(error).__name__}: {error}"


def _print_dry_run(
    deliveries: Sequence[Delivery],
    people: dict[str, Person | None],
    report: TickReport,
    out: TextIO,
) -> None:
    for delivery in deliveries:
        person = people.get(delivery.recipient)
        if delivery.audience is Audience.CHANNEL or person is None:
            where = f"channel {delivery.recipient}"
        else:
            where = f"DM {delivery.recipient} ({person.name}, {person.tz or 'default timezone'})"
        for nudge in delivery.nudges:
            owner_note = " [no active owner]" if nudge.no_active_owner else ""
            line = (
                f"{nudge.stage.value:<8} {where}: {nudge.service.name!r}{owner_note} — "
                f"{nudge.what} {nudge.why}"
            )
            report.lines.append(line)
            print(line, file=out)
    print(report.summary(), file=out)
