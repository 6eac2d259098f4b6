"""Events: the Home tab, and ignoring Slack's redeliveries of events already handled."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.blocks.outcomes import measure_lines
from bot.blocks.portfolio import build_home
from bot.core.overview import service_lines
from bot.core.review_overview import reviewed_service_ids, team_reviews
from bot.deps import Deps
from bot.slack.after_ack import later
from bot.slack.lookup import admin_here
from bot.slack.router import CommandRouter
from storage.action_queries import action_counts
from storage.event_queries import first_delivery
from storage.outcome_queries import measures_in_workspace
from storage.service_queries import services_in_workspace

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
        services = services_in_workspace(team_id=team_id, session=session)
        lines = service_lines(services, catalogue=deps.catalogue, session=session)
        counts = action_counts(session=session, team_id=team_id, today=today)  # actions (#14)
        reviews = team_reviews(team_id, session=session)  # peer review (#15)
        measures = measures_in_workspace(session=session, team_id=team_id)  # outcomes (#13)
    reviewed = reviewed_service_ids(services, reviews, deps.clock(), deps.settings.timezone)
    outcomes = {service_id: measure_lines(views) for service_id, views in measures.items()}
    mine = [line for line in lines if user_id in line.service.owner_ids]
    others = [line for line in lines if user_id not in line.service.owner_ids]
    mine.sort(key=lambda line: line.service.next_due_on)
    admin = admin_here(deps, client, team_id, user_id)
    view = build_home(mine, others, today, counts, frozenset(reviewed), outcomes, admin=admin)
    client.views_publish(user_id=user_id, view=view)
