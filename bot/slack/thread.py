"""Posting and refreshing the messages of an assessment thread.

Every message here is built from the database, so posting it twice shows the same thing and
a failed update is mended by the next one. After a click, what the thread shows is gathered
once (`ThreadState`: the save's snapshots, plus one read of the service's history) and every
message is built from it once. Slack failures are logged and swallowed: a card that could not
be updated must never stop the next point from being posted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.actions import card_action_blocks
from bot.blocks.assessment import CardView, build_card, build_completion, build_parent
from bot.blocks.kit import Block
from bot.blocks.reviews import ask_button
from bot.blocks.words import day
from bot.core.actions import is_weak
from bot.core.flow import ReservedCard, Tally, tally
from bot.deps import Deps
from bot.slack.claimed_post import post_claimed
from bot.slack.errors import SLACK_CALL_ERRORS, slack_error_code
from storage.action_queries import actioned_points, point_actions
from storage.assessment_queries import (
    current_answer_views,
    previous_completed_answers,
    record_card_posted,
    record_completion_sent,
    stale_completions,
    take_over_completions,
)
from storage.models import Assessment, Card, Service
from storage.outcome_queries import measures_for_service
from storage.values import MeasureView
from storage.view_rows import assessment_view, service_view
from storage.views import ActionItem, AnswerView, AssessmentView, ServiceView

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


@dataclass(frozen=True)
class CompletionClaim:
    """A completion message claimed in the database for one channel (see CompletionPost)."""

    id: int
    channel: str
    thread_ts: str | None
    broadcast: bool


@dataclass(frozen=True)
class ThreadState:
    """What the thread's messages show, read once and shared by every message built from it."""

    assessment: AssessmentView
    service: ServiceView
    answers: dict[int, AnswerView]
    today: date
    previous_id: int | None = None  # the completed assessment before this one
    previous: dict[int, AnswerView] = field(default_factory=dict)
    actions: dict[int, tuple[ActionItem, ...]] = field(default_factory=dict)
    measures: tuple[MeasureView, ...] = ()
    actioned: frozenset[int] = frozenset()  # points with an action (the completion lists the rest)

    @property
    def tally(self) -> Tally:
        return tally(self.assessment.point_numbers, self.answers)


def thread_state(
    deps: Deps,
    assessment: AssessmentView,
    service: ServiceView,
    answers: dict[int, AnswerView],
    *,
    points: Collection[int] = (),
    completing: bool = False,
) -> ThreadState:
    """The history the cards of `points` show (and, `completing`, what the completion lists),
    in one short read: a fixed number of statements however many points are answered."""
    with deps.sessions() as session:
        previous_id, previous = previous_completed_answers(
            service.id, before_id=assessment.id, session=session
        )
        since = previous_id if previous_id is not None else assessment.id
        actions = {  # improvement actions (#14) since the last assessment
            point: tuple(
                point_actions(
                    session=session,
                    service_id=service.id,
                    point_number=point,
                    since_assessment_id=since,
                )
            )
            for point in sorted(set(points))
        }
        measures = measures_for_service(session=session, service_id=service.id) if points else []
        actioned = (
            actioned_points(session=session, assessment_id=assessment.id) if completing else set()
        )
    return ThreadState(
        assessment=assessment,
        service=service,
        answers=answers,
        today=deps.clock().astimezone(deps.settings.timezone).date(),
        previous_id=previous_id,
        previous=previous,
        actions=actions,
        measures=tuple(measures),
        actioned=frozenset(actioned),
    )


def loaded_state(
    deps: Deps,
    assessment: Assessment,
    service: Service,
    *,
    points: Collection[int] = (),
    completing: bool = False,
) -> ThreadState:
    """The state of the thread of rows a caller already has (read their answers first)."""
    with deps.sessions() as session:
        answers = current_answer_views(assessment.id, session=session)
    return thread_state(
        deps,
        assessment_view(assessment),
        service_view(service),
        answers,
        points=points,
        completing=completing,
    )


def card_message(
    deps: Deps, state: ThreadState, point: int, *, came_back: bool
) -> tuple[str, list[Block]]:
    return build_card(card_view(deps, state, point, came_back=came_back))


def card_view(deps: Deps, state: ThreadState, point: int, *, came_back: bool) -> CardView:
    assessment = state.assessment
    linked = tuple(m for m in state.measures if (assessment.standard_id, point) in m.points)
    standard = deps.catalogue.get(assessment.standard_id)
    found = None
    if standard is not None and any(p.number == point for p in standard.points):
        found = standard.point(point)
    return CardView(
        assessment=assessment,
        service_name=state.service.name,
        point_number=point,
        title=assessment.titles.get(point, f"Point {point}"),
        point=found,
        answer=state.answers.get(point),
        previous=state.previous.get(point),
        came_back=came_back,
        action_blocks=tuple(card_action_blocks(state.actions.get(point, ()), state.today)),
        measures=linked,
        service_type=state.service.service_type,
    )


def point_cards(assessment_id: int, point: int, *, session: Session) -> list[Card]:
    return list(
        session.scalars(
            select(Card)
            .where(Card.assessment_id == assessment_id, Card.point_number == point)
            .order_by(Card.id)
        )
    )


def newest_posted(cards: Sequence[Card], point: int) -> Posted | None:
    """Where the point's newest posted card is."""
    posted = [c for c in cards if c.point_number == point and c.message_ts is not None]
    if not posted:
        return None
    newest = max(posted, key=lambda card: card.id)
    assert newest.message_ts is not None
    return Posted(newest.channel_id, newest.message_ts)


def post_card(
    deps: Deps, client: WebClient, card_id: int, *, look_first: bool = False
) -> Posted | None:
    """Post a reserved card in its thread and record where it went (start and resume)."""
    with deps.sessions() as session:
        card = session.get(Card, card_id)
        if card is None or card.message_ts is not None:
            return None
        assessment = session.get(Assessment, card.assessment_id)
        assert assessment is not None
        service = session.get(Service, assessment.service_id)
        assert service is not None
        reserved = ReservedCard(card.id, card.point_number, card.attempt)
    state = loaded_state(deps, assessment, service, points=[reserved.point_number])
    return post_reserved(deps, client, state, reserved, look_first=look_first)


def post_reserved(
    deps: Deps,
    client: WebClient,
    state: ThreadState,
    card: ReservedCard,
    *,
    look_first: bool = False,
) -> Posted | None:
    """Post a reserved card and record where it went.

    The card's claim key travels in the message metadata; `look_first` (a card reserved
    earlier, perhaps posted by a process that stopped before recording it) checks the thread
    before posting, and a lost answer is settled from the thread too."""
    assessment = state.assessment
    text, blocks = card_message(deps, state, card.point_number, came_back=card.came_back)
    try:
        sent = post_claimed(
            client,
            keys=[f"card:{card.id}"],
            channel=assessment.channel_id,
            thread_ts=assessment.thread_ts,
            look_first=look_first,
            text=text,
            blocks=blocks,
            unfurl_links=False,
        )
    except SLACK_CALL_ERRORS as error:
        logger.warning(
            "card for point %d of assessment %d not posted (%s); it will be posted on resume",
            card.point_number,
            assessment.id,
            slack_error_code(error),
        )
        return None
    with deps.sessions.begin() as session:
        record_card_posted(card.id, message_ts=sent.ts, now=deps.clock(), session=session)
    return Posted(assessment.channel_id, sent.ts)


def refresh_card(
    deps: Deps,
    client: WebClient,
    assessment: Assessment,
    service: Service,
    point: int,
    *,
    also: Posted | None = None,
) -> None:
    """Show the latest answer on the point's newest card (and on the clicked one, if other);
    for callers holding rows (actions, reviews), which read the thread's state here."""
    with deps.sessions() as session:
        cards = point_cards(assessment.id, point, session=session)
    state = loaded_state(deps, assessment, service, points=[point])
    update_card(
        deps, client, state, point, came_back=len(cards) > 1, on=[newest_posted(cards, point), also]
    )


def update_card(
    deps: Deps,
    client: WebClient,
    state: ThreadState,
    point: int,
    *,
    came_back: bool,
    on: Sequence[Posted | None],
) -> None:
    """Build the point's card once and update it wherever it is shown."""
    targets: list[Posted] = []
    for target in on:
        if target is not None and target not in targets:
            targets.append(target)
    if not targets:
        return
    text, blocks = card_message(deps, state, point, came_back=came_back)
    for target in targets:
        _update(client, target, text, blocks)


def refresh_parent(deps: Deps, client: WebClient, assessment: Assessment, service: Service) -> None:
    update_parent(client, loaded_state(deps, assessment, service))


def update_parent(client: WebClient, state: ThreadState) -> None:
    assessment = state.assessment
    if assessment.thread_ts is None:
        return
    text, blocks = build_parent(
        assessment, state.service.name, state.tally, reassessment=state.previous_id is not None
    )
    _update(client, Posted(assessment.channel_id, assessment.thread_ts), text, blocks)


def completion_destinations(
    assessment: AssessmentView, service: ServiceView
) -> list[tuple[str, str | None, bool]]:
    """(channel, thread, broadcast) of each completion message.

    In the team's own channel the reply is also sent to the channel (Slack's "also send to
    channel"), so people not following the thread see the result once; elsewhere the team's
    channel gets its own message."""
    in_team_channel = service.team_channel_id == assessment.channel_id
    destinations = [(assessment.channel_id, assessment.thread_ts, in_team_channel)]
    if not in_team_channel:
        destinations.append((service.team_channel_id, None, False))
    return [(c, ts, broadcast and ts is not None) for c, ts, broadcast in destinations]


def claimed_by(deps: Deps) -> str:
    return f"{deps.process_name}:{os.getpid()}"


def announce_completion(
    deps: Deps,
    client: WebClient,
    state: ThreadState,
    claims: Sequence[CompletionClaim],
    *,
    look_first: bool = False,
) -> None:
    """Post the completion message for each claim this process holds, and mark it sent.

    A claim whose post failed stays claimed: after a while it is looked for in the
    conversation and posted only if it is not there (`settle_completions`)."""
    if not claims:
        return
    text, blocks = completion_message(state)
    blocks = [*blocks, ask_button(state.assessment.id)]  # peer review (#15) starts here
    for claim in claims:
        try:
            sent = post_claimed(
                client,
                keys=[f"completion:{state.assessment.id}:{claim.channel}"],
                channel=claim.channel,
                thread_ts=claim.thread_ts,
                look_first=look_first,
                reply_broadcast=claim.broadcast or None,
                text=text,
                blocks=blocks,
            )
        except SLACK_CALL_ERRORS as error:
            logger.warning(
                "completion not posted in %s (%s); it is looked for and posted later",
                claim.channel,
                slack_error_code(error),
            )
            continue
        with deps.sessions.begin() as session:
            record_completion_sent(claim.id, message_ts=sent.ts, now=deps.clock(), session=session)


def settle_completions(deps: Deps, client: WebClient, assessment_id: int) -> None:
    """Completion messages claimed long ago and never marked sent (a process stopped, or
    Slack's answer was lost): look for each in its conversation, post it only if absent."""
    with deps.sessions() as session:
        stale = stale_completions(assessment_id, now=deps.clock(), session=session)
    if not stale:
        return
    with deps.sessions.begin() as session:
        taken = take_over_completions(
            stale, now=deps.clock(), claimed_by=claimed_by(deps), session=session
        )
        claims = [CompletionClaim(c.id, c.channel_id, c.thread_ts, c.broadcast) for c in taken]
        assessment = session.get(Assessment, assessment_id) if claims else None
        service = session.get(Service, assessment.service_id) if assessment else None
    if not claims or assessment is None or service is None:
        return
    state = loaded_state(deps, assessment, service, completing=True)
    announce_completion(deps, client, state, claims, look_first=True)


def refresh_completion(
    deps: Deps, client: WebClient, assessment: Assessment, service: Service, target: Posted
) -> None:
    """After an action was added from a completion message: list only points still without."""
    text, blocks = completion_message(loaded_state(deps, assessment, service, completing=True))
    _update(client, target, text, blocks)


def completion_message(state: ThreadState) -> tuple[str, list[Block]]:
    titles = state.assessment.titles
    needing = [  # improvement actions (#14): weak points still without one
        (number, titles[number])
        for number in sorted(titles)
        if number not in state.actioned
        and is_weak(getattr(state.answers.get(number), "rating", None))
    ]
    service = state.service
    return build_completion(
        service.name,
        state.tally,
        titles,
        day(service.next_due_on),
        needing_action=(state.assessment.id, needing),
        service_id=service.id,
    )


def _update(client: WebClient, target: Posted, text: str, blocks: list[Block]) -> None:
    try:
        client.chat_update(channel=target.channel, ts=target.ts, text=text, blocks=blocks)
    except SLACK_CALL_ERRORS as error:
        logger.warning("could not update message %s: %s", target.ts, slack_error_code(error))
