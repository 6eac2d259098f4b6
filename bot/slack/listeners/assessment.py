"""The conversation: start or resume, rate, skip, give a reason, add evidence, see status.

Every click is saved before it is acknowledged, so whatever Slack saw succeed is in the
database; then the thread is brought up to date. Button values are only ever trusted after
the assessment they name is found inside the clicker's own workspace.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.blocks.assessment import closed_click_text, closed_inline_text, parse_card_value
from bot.blocks.forms import build_evidence_modal, build_not_applicable_modal, card_metadata
from bot.core.closed import Closed, ClosedAssessment, Source, check_open
from bot.core.flow import (
    FlowError,
    ReservedCard,
    Tally,
    complete_if_done,
    parse_links,
    record_evidence,
    record_rating,
    reserve_next_card,
    skip_point,
)
from bot.core.text import safe
from bot.deps import Deps
from bot.slack import view_state
from bot.slack.after_ack import later
from bot.slack.closed_cards import close_card
from bot.slack.errors import COULD_NOT_SAVE, DATABASE_ERRORS, tell_user_on_failure
from bot.slack.lookup import manages, named_in, named_service, refusal_text
from bot.slack.router import CommandRequest, CommandRouter
from bot.slack.starting import start_or_resume
from bot.slack.status_view import open_status, refresh_status, status_blocks, view_of
from bot.slack.thread import (
    CompletionClaim,
    Posted,
    announce_completion,
    claimed_by,
    completion_destinations,
    newest_posted,
    post_reserved,
    settle_completions,
    thread_state,
    update_card,
    update_parent,
)
from storage.assessment_queries import (
    assessment_by_id,
    assessment_for_update_with_latest,
    cards_of,
    claim_completion,
    current_answers,
)
from storage.models import Service
from storage.service_queries import service_by_id, service_view_of_assessment
from storage.values import Rating
from storage.view_rows import answer_view, answer_views, assessment_view, service_view
from storage.views import AnswerView, AssessmentView, ServiceView

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps, router: CommandRouter) -> None:
    router.add(
        "start",
        _start,
        usage="/assess start <service>",
        summary="Start an assessment in a thread here, or resume the one in progress",
        example="/assess start Garden waste",
    )
    router.add(
        "status",
        _status,
        usage="/assess status <service>",
        summary="Every point's latest rating, who answered, evidence and what is missing",
        example="/assess status Garden waste",
    )

    for action_id, rating in ids.RATE_ACTIONS.items():
        app.action(action_id)(_rating_listener(deps, rating))

    @app.action(ids.SKIP_POINT)
    def on_skip(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _answer_click(deps, ack, body, respond, client, rating=None)

    @app.action(ids.RATE_NOT_APPLICABLE)
    def on_not_applicable(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        _open_point_modal(
            deps,
            body,
            respond,
            client,
            ids.NOT_APPLICABLE_VIEW,
            body["actions"][0].get("value", ""),
        )

    @app.action(ids.ADD_EVIDENCE)
    def on_add_evidence(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        _open_point_modal(
            deps, body, respond, client, ids.EVIDENCE_VIEW, body["actions"][0].get("value", "")
        )

    @app.action(re.compile(rf"^{ids.STATUS_CHANGE}_\d+$"))
    def on_status_change(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        _status_change(deps, ack, body, respond, client)

    @app.view(ids.NOT_APPLICABLE_VIEW)
    def on_reason(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _submit_point_modal(deps, ack, body, client, evidence=False)

    @app.view(ids.EVIDENCE_VIEW)
    def on_evidence(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _submit_point_modal(deps, ack, body, client, evidence=True)

    @app.action(ids.ASSESSMENT_START)
    def on_start_button(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        value = body["actions"][0].get("value", "")
        later(
            deps, "starting an assessment", lambda: _start_by_id(deps, body, respond, client, value)
        )

    @app.action(ids.HOME_SERVICE_MENU)
    def on_home_menu(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        choice = (body["actions"][0].get("selected_option") or {}).get("value", "")
        verb, _, service_id = choice.partition(":")
        if verb == "start":
            later(
                deps,
                "starting an assessment",
                lambda: _start_by_id(deps, body, respond, client, service_id),
            )
        elif verb == "status":
            _status_modal(deps, body, respond, client, service_id)


# --- commands -------------------------------------------------------------------------------


def _start(request: CommandRequest) -> None:
    service = named_service(request, "/assess start <service>")
    if service is None:
        return
    message = start_or_resume(
        request.deps,
        request.client,
        team_id=request.team_id,
        user_id=request.user_id,
        service_id=service.id,
        channel_id=request.channel_id,
    )
    request.reply(message)


def _status(request: CommandRequest) -> None:
    """Found and shown in one reading session (each session costs a pooled connection's
    check-out, which on PostgreSQL pings the server); the reply goes once it has closed."""
    deps = request.deps
    now = deps.clock()
    with deps.sessions() as session:
        found = named_in(request, "/assess status <service>", session)
        blocks = status_blocks(deps, session, found, now) if isinstance(found, Service) else []
    if isinstance(found, str):
        request.reply(found)
        return
    request.reply(f"Status of {safe(found.name, 80)}", blocks)


def _status_modal(
    deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient, service_id: str
) -> None:
    if not service_id.isdigit():
        return
    tell = lambda text: _tell(client, respond, body, text)  # noqa: E731
    with tell_user_on_failure(tell, "opening the status"):
        open_status(deps, client, body, int(service_id))


def _start_by_id(
    deps: Deps, body: dict[str, Any], respond: Respond, client: WebClient, value: str
) -> None:
    """Start from a button (Home tab, reminder): the thread goes in the team's channel."""
    if not value.isdigit():
        return
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    with deps.sessions() as session:
        service = service_by_id(int(value), team_id=team_id, session=session)
    if service is None:
        return
    message = start_or_resume(
        deps,
        client,
        team_id=team_id,
        user_id=user_id,
        service_id=service.id,
        channel_id=service.team_channel_id,
    )
    _tell(client, respond, body, message)


# --- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a saved answer changed, as the save's transaction saw it: the thread is updated
    from these snapshots after the ack, without reading them again."""

    assessment: AssessmentView
    service: ServiceView
    point: int
    answers: dict[int, AnswerView]
    shown_at: Posted | None  # the point's newest posted card
    came_back: bool  # that point had more than one card
    next_card: ReservedCard | None
    completed: Tally | None
    completions: tuple[CompletionClaim, ...] = ()


def _rating_listener(deps: Deps, rating: Rating) -> Any:
    def on_rating(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        _answer_click(deps, ack, body, respond, client, rating=rating)

    on_rating.__name__ = f"on_{rating}"
    return on_rating


def _answer_click(
    deps: Deps,
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    *,
    rating: Rating | None,
) -> None:
    parsed = parse_card_value(body["actions"][0].get("value", ""))
    if parsed is None:
        ack()
        return
    clicked = _clicked_message(body)
    outcome = _save_then_ack(deps, ack, body, respond, client, parsed, rating)
    if outcome is not None:
        later(deps, "updating the thread", lambda: _after_save(deps, client, outcome, clicked))


def _save_then_ack(
    deps: Deps,
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    parsed: tuple[int, int],
    rating: Rating | None,
    source: Source = Source.CARD,
) -> Outcome | None:
    """Save a click, then acknowledge it; a failure is acknowledged and explained instead."""
    try:
        outcome = _save(deps, client, body, parsed, rating=rating, source=source)
    except DATABASE_ERRORS:
        ack()
        logger.warning("database unavailable while saving an answer", exc_info=True)
        _tell(client, respond, body, COULD_NOT_SAVE)
        return None
    except _Refused as refused:
        ack()
        _tell(client, respond, body, str(refused))
        _close_clicked_card(deps, client, body, refused.closed, parsed[1])
        return None
    ack()
    return outcome


class _Refused(Exception):
    def __init__(self, text: str, closed: Closed | None = None) -> None:
        super().__init__(text)
        self.closed = closed


def _close_clicked_card(
    deps: Deps, client: WebClient, body: dict[str, Any], closed: Closed | None, point: int
) -> None:
    """After refusing a click on a closed card, redraw that card as closed; and settle a
    completion message whose post was never confirmed (the click may be its retry)."""
    if closed is None:
        return
    clicked = _clicked_message(body)

    def work() -> None:
        if clicked is not None:
            close_card(deps, client, closed, point, clicked)
        settle_completions(deps, client, closed.assessment_id)

    later(deps, "closing an old card", work)


def _save(
    deps: Deps,
    client: WebClient,
    body: dict[str, Any],
    parsed: tuple[int, int],
    *,
    rating: Rating | None,
    reason: str | None = None,
    evidence: tuple[str, list[str]] | None = None,
    source: Source = Source.CARD,
) -> Outcome | None:
    """Ask Slack who the person is first; then one short transaction: record, maybe complete,
    reserve the next card. A slow users.info never holds the assessment's lock. The current
    answers are read once, and the snapshots the thread needs are taken before it commits."""
    assessment_id, point = parsed
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    now = deps.clock()
    with deps.sessions() as session:  # who may answer: read, then let go before asking Slack
        checked = service_view_of_assessment(assessment_id, team_id=team_id, session=session)
    if checked is None:
        return None
    if not manages(deps, client, user_id, checked):
        raise _Refused(refusal_text(checked, "answer for it"))
    with deps.sessions.begin() as session:
        locked = assessment_for_update_with_latest(assessment_id, team_id=team_id, session=session)
        if locked is None:
            return None
        assessment, latest_id = locked
        try:
            check_open(assessment, checked, source=source, session=session, latest_id=latest_id)
            answers = current_answers(assessment.id, session=session)
            if evidence is not None:
                record_evidence(
                    assessment,
                    point,
                    evidence[0],
                    evidence[1],
                    user_id=user_id,
                    now=now,
                    session=session,
                    answers=answers,
                )
            elif rating is None:
                skip_point(assessment, point, user_id=user_id, now=now, session=session)
            else:
                record_rating(
                    assessment,
                    point,
                    rating,
                    user_id=user_id,
                    now=now,
                    session=session,
                    reason=reason,
                    answers=answers,
                )
        except ClosedAssessment as error:
            raise _Refused(closed_click_text(error.closed), error.closed) from None
        except FlowError as error:
            raise _Refused(str(error)) from None
        completed = complete_if_done(
            assessment,
            None,  # the service's row is read only by a completing click
            now=now,
            tz=deps.settings.timezone,
            session=session,
            answers=answers,
        )
        cards = cards_of(assessment.id, session=session)
        card = reserve_next_card(assessment, now=now, session=session, answers=answers, cards=cards)
        # The snapshot the thread is built from: the service as the permission check read it
        # a moment ago, or as this transaction left it when the click completed the assessment
        # (its due date and last assessment changed).
        seen = assessment_view(assessment)
        served = checked
        if completed is not None:  # from the session's identity map: no statement
            completing = session.get(Service, assessment.service_id)
            assert completing is not None
            served = service_view(completing)
        claims = _claim_completions(deps, seen, served, session) if completed is not None else ()
        return Outcome(
            assessment=seen,
            service=served,
            point=point,
            answers=answer_views(answers),
            shown_at=newest_posted(cards, point),
            came_back=sum(1 for c in cards if c.point_number == point) > 1,
            next_card=card,
            completed=completed,
            completions=claims,
        )


def _claim_completions(
    deps: Deps, assessment: AssessmentView, service: ServiceView, session: Session
) -> tuple[CompletionClaim, ...]:
    """Claim the completion messages in the completing transaction: committed before
    anything is posted, so a retry or another replica knows they are owed and by whom."""
    claims = []
    for channel, thread_ts, broadcast in completion_destinations(assessment, service):
        claim_id = claim_completion(
            assessment_id=assessment.id,
            channel_id=channel,
            thread_ts=thread_ts,
            broadcast=broadcast,
            now=deps.clock(),
            claimed_by=claimed_by(deps),
            session=session,
        )
        if claim_id is not None:
            claims.append(CompletionClaim(claim_id, channel, thread_ts, broadcast))
    return tuple(claims)


def _after_save(deps: Deps, client: WebClient, outcome: Outcome, clicked: Posted | None) -> None:
    """Every message built once from the save's snapshots and one read of the history."""
    points = {outcome.point}
    if outcome.next_card is not None:
        points.add(outcome.next_card.point_number)
    state = thread_state(
        deps,
        outcome.assessment,
        outcome.service,
        outcome.answers,
        points=points,
        completing=bool(outcome.completions),
    )
    update_card(
        deps,
        client,
        state,
        outcome.point,
        came_back=outcome.came_back,
        on=[outcome.shown_at, clicked],
    )
    if outcome.next_card is not None:
        post_reserved(deps, client, state, outcome.next_card)
    update_parent(client, state)
    announce_completion(deps, client, state, outcome.completions)


def _clicked_message(body: dict[str, Any]) -> Posted | None:
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return Posted(channel, ts) if channel and ts else None


def _tell(client: WebClient, respond: Respond, body: dict[str, Any], text: str) -> None:
    """An ephemeral note to the clicker (a click's ack body is shown to nobody)."""
    with tell_user_on_failure(lambda _text: None, "telling a user"):
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif channel:
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
        else:
            dm = client.conversations_open(users=body["user"]["id"])["channel"]["id"]
            client.chat_postMessage(channel=dm, text=text)


# --- modals for a point -----------------------------------------------------------------------


def _open_point_modal(
    deps: Deps,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    kind: str,
    value: str,
    source: Source = Source.CARD,
) -> None:
    parsed = parse_card_value(value)
    if parsed is None:
        return
    assessment_id, point = parsed
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    with tell_user_on_failure(lambda text: _tell(client, respond, body, text), "opening a modal"):
        with deps.sessions() as session:  # read, then let go before asking Slack anything
            assessment = assessment_by_id(assessment_id, team_id=team_id, session=session)
            if assessment is None:
                return
            service = session.get(Service, assessment.service_id)
            assert service is not None
            closed: Closed | None = None
            try:
                check_open(assessment, service, source=source, session=session)
            except ClosedAssessment as error:
                closed = error.closed
            titles = {p.number: p.title for p in assessment.points}
            answer = current_answers(assessment.id, session=session).get(point)
        if not manages(deps, client, user_id, service):
            _tell(client, respond, body, refusal_text(service, "answer for it"))
            return
        if closed is not None:
            _tell(client, respond, body, closed_click_text(closed))
            _close_clicked_card(deps, client, body, closed, point)
            return
        if point not in titles:
            return
        clicked = _clicked_message(body)
        in_view = view_of(body)  # opened from the status modal: goes on top of it
        metadata = card_metadata(
            assessment_id,
            point,
            clicked.channel if clicked else "",
            clicked.ts if clicked else None,
            source=source,
            status_view=in_view,
        )
        title = f"Point {point} · {titles[point]}"
        if kind == ids.EVIDENCE_VIEW:
            if answer is None:
                _tell(client, respond, body, "Rate this point first, then add its evidence.")
                return
            view = build_evidence_modal(title, answer_view(answer), metadata)
        else:
            view = build_not_applicable_modal(title, metadata)
        if in_view is not None:
            client.views_push(trigger_id=body["trigger_id"], view=view)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=view)


def _submit_point_modal(
    deps: Deps, ack: Ack, body: dict[str, Any], client: WebClient, *, evidence: bool
) -> None:
    view = body["view"]
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        parsed = (int(meta["a"]), int(meta["p"]))
    except (ValueError, KeyError, TypeError):
        ack()
        return
    clicked = Posted(meta["c"], meta["ts"]) if meta.get("c") and meta.get("ts") else None
    source = Source.STATUS if meta.get("s") == Source.STATUS else Source.CARD
    under = (str(meta["sv"]), str(meta.get("sh") or "")) if meta.get("sv") else None
    if evidence:
        note = view_state.text_value(view, "note")
        links, problem = parse_links(view_state.text_value(view, "links"))
        if problem:
            ack(response_action="errors", errors={"links": problem})
            return
        kwargs: dict[str, Any] = {"rating": None, "evidence": (note, links)}
    else:
        reason = view_state.text_value(view, "reason").strip()
        if not reason:
            ack(response_action="errors", errors={"reason": "Say why this point doesn't apply."})
            return
        kwargs = {"rating": Rating.NOT_APPLICABLE, "reason": reason}
    try:
        outcome = _save(deps, client, body, parsed, source=source, **kwargs)
    except DATABASE_ERRORS:
        logger.warning("database unavailable while saving from a modal", exc_info=True)
        ack(response_action="errors", errors={"note" if evidence else "reason": COULD_NOT_SAVE})
        return
    except _Refused as refused:
        text = closed_inline_text(refused.closed) if refused.closed else str(refused)[:150]
        ack(response_action="errors", errors={"note" if evidence else "reason": text})
        return
    ack()
    if outcome is not None:
        later(
            deps,
            "updating the thread",
            lambda: _after_modal_save(deps, client, body, outcome, clicked, under),
        )


def _after_modal_save(
    deps: Deps,
    client: WebClient,
    body: dict[str, Any],
    outcome: Outcome,
    clicked: Posted | None,
    under: tuple[str, str] | None,
) -> None:
    """The status modal this one was pushed on (if it was: the person is looking at it), then
    the thread."""
    if under is not None:
        refresh_status(deps, client, body["team"]["id"], outcome.service.id, *under)
    _after_save(deps, client, outcome, clicked)


def _status_change(
    deps: Deps, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    choice = (body["actions"][0].get("selected_option") or {}).get("value", "")
    value, _, what = choice.rpartition(":")
    if what in (ids.NOT_APPLICABLE_VIEW, "evidence"):
        ack()
        kind = ids.NOT_APPLICABLE_VIEW if what == ids.NOT_APPLICABLE_VIEW else ids.EVIDENCE_VIEW
        _open_point_modal(deps, body, respond, client, kind, value, Source.STATUS)
        return
    parsed = parse_card_value(value)
    if parsed is None or what not in {Rating.MET, Rating.PARTLY_MET, Rating.NOT_MET}:
        ack()
        return
    outcome = _save_then_ack(deps, ack, body, respond, client, parsed, Rating(what), Source.STATUS)
    if outcome is not None:
        later(
            deps,
            "refreshing status",
            lambda: _after_status_change(deps, client, outcome, respond, body),
        )


def _after_status_change(
    deps: Deps, client: WebClient, outcome: Outcome, respond: Respond, body: dict[str, Any]
) -> None:
    in_view = view_of(body)
    if in_view is not None:  # a modal has no response_url: views.update, with its hash
        refresh_status(deps, client, body["team"]["id"], outcome.service.id, *in_view)
        _after_save(deps, client, outcome, None)
        return
    _after_save(deps, client, outcome, None)
    with deps.sessions() as session:
        service = service_by_id(outcome.service.id, team_id=body["team"]["id"], session=session)
        blocks = status_blocks(deps, session, service, deps.clock()) if service else []
    respond(
        text=f"Status of {safe(outcome.service.name, 80)}", blocks=blocks, replace_original=True
    )
