"""The improvement-action part of a reminders tick: load, skip what is sent, look owners up.

`run_reminders_tick` calls `gather_action_nudges` beside its own planner and then claims,
digests and sends the result with every other nudge, so an action owner gets one message with
everything they are owed, exactly once across replicas. Owners are looked up in Slack (for
their timezone and whether they left) only for actions with something still to send, and
outside any transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.action_nudges import (
    UPCOMING_DAYS,
    ActionDue,
    ActionNudge,
    is_action_settled,
    plan_action_nudges,
)
from bot.core.people import Directory, Person
from bot.core.working_hours import WorkingHours
from bot.deps import Deps
from storage.action_queries import nudge_candidates
from storage.reminder_queries import NudgeState, load_nudge_states
from storage.values import ActionView, NudgeKey, ServiceDue

logger = logging.getLogger(__name__)

# Local dates run up to a day ahead of UTC (Pacific/Kiritimati is UTC+14).
_CANDIDATE_DAYS = UPCOMING_DAYS + 2


@dataclass
class ActionNudgeLoad:
    planned: list[ActionNudge] = field(default_factory=list)
    states: dict[NudgeKey, NudgeState] = field(default_factory=dict)
    people: dict[str, Person | None] = field(default_factory=dict)
    deferred: int = 0


def gather_action_nudges(
    deps: Deps,
    directory: Directory,
    now: datetime,
    hours: WorkingHours,
    *,
    still_to_send: Callable[[NudgeState | None, datetime], bool],
    lookup_failures: tuple[type[BaseException], ...],
) -> ActionNudgeLoad:
    """The action nudges current now, their claims so far and their owners."""
    with deps.sessions.begin() as session:
        found = nudge_candidates(session=session, due_by=now.date() + timedelta(_CANDIDATE_DAYS))
        actions = [action_due(view, service) for view, service in found]
        states = load_nudge_states(
            session=session,
            service_ids={action.service.id for action in actions},
            due_dates={action.due_on for action in actions},
        )
    load = ActionNudgeLoad(states=states)

    def done(key: NudgeKey) -> bool:
        return not still_to_send(states.get(key), now)

    unsettled = [action for action in actions if not is_action_settled(action, now, hours, done)]
    failed: set[str] = set()
    for owner_id in sorted({action.owner_id for action in unsettled}):
        try:
            load.people[owner_id] = directory.lookup(owner_id)
        except lookup_failures as error:
            logger.warning("could not look up %s for action reminders: %s", owner_id, error)
            failed.add(owner_id)
    ready = [action for action in unsettled if action.owner_id not in failed]
    load.deferred = len(unsettled) - len(ready)
    load.planned = plan_action_nudges(ready, now, load.people, hours)
    return load


def action_due(view: ActionView, service: ServiceDue) -> ActionDue:
    action = view.action
    return ActionDue(
        id=action.id,
        service=service,
        point_number=action.point_number,
        point_title=view.point_title,
        text=action.text,
        owner_id=action.owner_id,
        due_on=action.due_on,
        snoozed_until=action.snoozed_until,
    )
