"""Events: the Home tab, and ignoring Slack's redeliveries of events already handled."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.blocks.outcomes import measure_lines
from bot.blocks.portfolio import HOME_LINES, build_home, home_row_ids
from bot.core.overview import service_lines
from bot.core.review_overview import reviewed_service_ids, team_reviews
from bot.deps import Deps
from bot.slack.after_ack import later
from bot.slack.lookup import admin_here
from bot.slack.router import CommandRouter
from storage.action_queries import action_counts
from storage.event_queries import first_delivery
from storage.outcome_queries import measures_in_workspace
from storage.overview_queries import service_views

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    @app.middleware
    def skip_redelivered_events(
        body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """Slack retries an event it thinks we missed; Bolt does not deduplicate, we do."""
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and event_id:
            with deps.sessions.begin() as session:
                fresh = first_delivery(
                    str(event_id),
                    team_id=str(body.get("team_id", "")),
                    now=deps.clock(),
                    session=session,
                )
            if not fresh:
                logger.info("ignoring redelivered event %s", event_id)
                return BoltResponse(status=200, body="")
        return next()

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id, user_id = body["team_id"], event["user"]
        later(
            deps,
            "publishing the Home tab",
            lambda: publish_home(deps, client, team_id=team_id, user_id=user_id),
            slow=True,
        )


def publish_home(deps: Deps, client: WebClient, *, team_id: str, user_id: str) -> None:
    today = deps.clock().astimezone(deps.settings.timezone).date()
    with deps.sessions() as session:
        services = service_views(session=session, team_id=team_id)
        yours = sorted(
            (service for service in services if user_id in service.owner_ids),
            key=lambda service: service.next_due_on,
        )
        rest = [service for service in services if user_id not in service.owner_ids]
        # Only the first HOME_LINES of each section can show: only they are read further.
        lines = service_lines(
            [*yours[:HOME_LINES], *rest[:HOME_LINES]], catalogue=deps.catalogue, session=session
        )
        mine, others = lines[: min(len(yours), HOME_LINES)], lines[min(len(yours), HOME_LINES) :]
        shown = home_row_ids(mine, others)  # only these rows show actions and measures
        counts = action_counts(  # improvement actions (#14)
            session=session, team_id=team_id, today=today, service_ids=shown
        )
        reviews = team_reviews(team_id, session=session)  # peer review (#15)
        measures = measures_in_workspace(  # outcomes (#13)
            session=session, team_id=team_id, service_ids=shown
        )
    reviewed = reviewed_service_ids(services, reviews, deps.clock(), deps.settings.timezone)
    outcomes = {service_id: measure_lines(views) for service_id, views in measures.items()}
    admin = admin_here(deps, client, team_id, user_id)
    view = build_home(
        mine,
        others,
        today,
        counts,
        frozenset(reviewed),
        outcomes,
        admin=admin,
        totals=(len(yours), len(rest)),
    )
    client.views_publish(user_id=user_id, view=view)
