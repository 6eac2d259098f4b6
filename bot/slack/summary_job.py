"""The weekly leadership summary: claim the week for a channel, post, record the figures.

The scheduler and `assessbot jobs run summary` call `run_summary_tick` every few minutes on
every replica. A channel gets its summary once this week's scheduled moment has passed and
nothing was posted for this week yet, so a bot that was down at 09:00 catches up later in the
week. The claim row is inserted and committed before Slack is called, so of two replicas (or a
restart) ticking at 09:00 exactly one posts. If Slack refuses the parent message the claim is
deleted and a later tick tries again; a claim a crashed process left for over 10 minutes is
taken over, and logged, because its holder may have posted already.
"""

from __future__ import annotations

import http.client
import logging
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from bot.blocks.summary import SummaryMessage, build_summary_messages, summary_text
from bot.core.action_summary import figures_for
from bot.core.collector import collector_paused
from bot.core.heatmap import HeatImage, render_summary
from bot.core.outcome_summary import LoadedOutcomes, attach_outcomes, load_outcomes
from bot.core.review_overview import review_portfolio
from bot.core.summary import Figures, Summary, build_summary, scheduled_instant, week_bounds
from bot.deps import Deps
from bot.slack.claimed_post import OutcomeUnknown, claims_in, post_claimed
from bot.slack.outcome_charts import upload_outcome_charts
from storage.summary_queries import (
    all_settings,
    claim_extra,
    claim_scheduled,
    get_settings,
    load_portfolio,
    mark_sent,
    previous_figures,
    release,
    scheduled_posts_in_week,
)
from storage.values import ServiceRecord, SummarySettings

logger = logging.getLogger(__name__)

SEND_FAILURES = (SlackClientError, OSError, http.client.HTTPException)
DATABASE_FAILURES = (OperationalError, DBAPIError)
FILES_PER_UPLOAD = 10
# The weakest 200 services of each standard (8 pictures): enough for leaders to act on, and
# bounded work and thread length however large the portfolio. The CLI draws them all.
PICTURE_ROWS_PER_STANDARD = 200
NOT_CONFIGURED = (
    "leadership summary: no workspace has a summary channel yet, so nothing is posted "
    "(an admin can choose one with /assess settings)"
)

_said_once: set[str] = set()


def _log_once(message: str) -> None:
    """Say it once per process, not every tick."""
    if message not in _said_once:
        _said_once.add(message)
        logger.info(message)


@dataclass(frozen=True)
class Posted:
    channel_id: str
    ts: str
    messages: int
    images: int


def standard_labels(deps: Deps) -> dict[str, str]:
    return {standard.id: standard.short_title for standard in deps.catalogue}


@collector_paused()  # hundreds of thousands of live objects at 5,000 services (#17)
def compute_summary(
    deps: Deps,
    session: Session,
    settings: SummarySettings,
    *,
    now: datetime,
    channel_id: str | None,
    before: datetime | None = None,
    portfolio: Sequence[ServiceRecord] | None = None,
) -> Summary:
    """The summary as it stands now, compared with the channel's last weekly summary.

    On PostgreSQL the outcomes are read on a second connection while this one reads the
    portfolio: each thread waits on the server while the other turns rows into objects, so
    the two loads overlap (5,000 services: 1.12 -> 0.98 s, medians of three runs of five on
    2 CPUs). They are two snapshots a moment apart; a write landing between them shows in the
    next summary. On SQLite, whose work runs in our own process, the same made it slower
    (0.95 -> 1.04 s), so it reads everything on one connection.
    """
    apart = deps.engine.dialect.name == "postgresql"
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="summary-outcomes") as pool:
        return _compute_summary(
            deps,
            session,
            settings,
            now=now,
            channel_id=channel_id,
            before=before,
            portfolio=portfolio,
            loading=pool.submit(_load_outcomes_apart, deps, settings) if apart else None,
        )


def _load_outcomes_apart(deps: Deps, settings: SummarySettings) -> LoadedOutcomes:
    with deps.sessions() as session:
        return load_outcomes(session=session, team_id=settings.team_id, phases=settings.phases)


def _compute_summary(
    deps: Deps,
    session: Session,
    settings: SummarySettings,
    *,
    now: datetime,
    channel_id: str | None,
    before: datetime | None,
    portfolio: Sequence[ServiceRecord] | None,
    loading: Future[LoadedOutcomes] | None,
) -> Summary:
    if portfolio is None:
        portfolio = load_portfolio(
            session=session, team_id=settings.team_id, phases=settings.phases
        )
    previous = None
    if channel_id is not None:
        previous = Figures.from_json(
            previous_figures(
                session=session, team_id=settings.team_id, channel_id=channel_id, before=before
            )
        )
    summary = build_summary(
        portfolio,
        team_id=settings.team_id,
        now=now,
        tz=deps.settings.timezone,
        previous=previous,
        phases=settings.phases,
        standard_labels=standard_labels(deps),
    )
    # Improvement actions (#14): three more statements, whatever the portfolio's size.
    actions = figures_for(
        portfolio, session=session, team_id=settings.team_id, now=now, tz=deps.settings.timezone
    )
    reviews = review_portfolio(  # peer review (#15): a fixed number of queries
        settings.team_id,
        now=now,
        tz=deps.settings.timezone,
        session=session,
        service_ids=[record.id for record in portfolio],
    )
    summary = replace(summary, actions=actions, reviews=reviews)
    return attach_outcomes(  # outcomes (#13)
        summary,
        portfolio,
        session=session,
        phases=settings.phases,
        subdivision=deps.settings.bank_holidays,
        tz=deps.settings.timezone,
        channel_id=channel_id,
        before=before,
        loaded=None if loading is None else loading.result(),
    )


def post_summary(
    deps: Deps,
    client: WebClient,
    channel_id: str,
    summary: Summary,
    *,
    key: str,
    look_first: bool = False,
) -> Posted:
    """Post the parent, thread the rest and the heatmap under it; the parent's ts.

    Only a refused parent raises: once the parent is in the channel the summary exists, and
    a missing reply or picture is logged rather than worth a second summary. The parent
    carries the claim `key` and each reply its own (`reply_key`). If the parent is already in
    the channel (a lost answer, or `look_first` for a claim taken over), it is not posted
    again: its thread is read once and only the replies missing from it are posted.
    """
    messages = build_summary_messages(summary)
    first = post_claimed(
        client,
        keys=[key],
        channel=channel_id,
        look_first=look_first,
        text=messages[0].text,
        blocks=messages[0].blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
    ts = first.ts
    if first.found_in_history:
        return _settle_replies(client, channel_id, ts, messages, key)
    pictures = _render_quietly(deps, summary)
    sent = 1 + _post_replies(client, channel_id, ts, messages, key, posted={})
    images = 0
    try:
        images = _upload_pictures(client, channel_id, ts, pictures)
    except SEND_FAILURES:
        logger.warning(
            "summary in %s: the heatmap could not be uploaded", channel_id, exc_info=True
        )
    images += upload_outcome_charts(client, channel_id, ts, summary)  # outcomes (#13)
    return Posted(channel_id, ts, sent, images)


def reply_key(key: str, number: int) -> str:
    """The claim a summary's `number`th thread reply carries (the parent is 0)."""
    return f"{key}:reply:{number}"


def _settle_replies(
    client: WebClient, channel_id: str, ts: str, messages: Sequence[SummaryMessage], key: str
) -> Posted:
    """A parent found already posted: post the replies its thread lacks, each once.

    If the thread cannot be read, nothing more is posted: a missing reply costs less than a
    doubled one. Pictures are not uploaded again (an upload carries no claim to look for)."""
    try:
        posted = claims_in(client, channel_id, thread_ts=ts)
    except SEND_FAILURES:
        logger.warning(
            "summary in %s: its thread could not be read; replies left as they are",
            channel_id,
            exc_info=True,
        )
        return Posted(channel_id, ts, 1, 0)
    return Posted(
        channel_id, ts, 1 + _post_replies(client, channel_id, ts, messages, key, posted), 0
    )


def _post_replies(
    client: WebClient,
    channel_id: str,
    ts: str,
    messages: Sequence[SummaryMessage],
    key: str,
    posted: Mapping[str, str],
) -> int:
    """Post the replies not in `posted` (claim key to ts); how many are in the thread now."""
    there = 0
    for number, message in enumerate(messages[1:], start=1):
        keys = [reply_key(key, number)]
        if keys[0] in posted:
            there += 1
            continue
        try:
            post_claimed(
                client,
                keys=keys,
                channel=channel_id,
                thread_ts=ts,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SEND_FAILURES:
            logger.warning(
                "summary in %s: posted %d of %d messages",
                channel_id,
                1 + there,
                len(messages),
                exc_info=True,
            )
            break
        there += 1
    return there


def _render_quietly(deps: Deps, summary: Summary) -> list[HeatImage]:
    """The heatmap pages; a drawing failure costs the picture, never the summary."""
    try:
        return render_summary(
            summary, short_titles=standard_labels(deps), max_rows=PICTURE_ROWS_PER_STANDARD
        )
    except Exception:  # matplotlib or font trouble: log it, post the words anyway
        logger.exception("could not draw the summary heatmap")
        return []


def _upload_pictures(
    client: WebClient, channel_id: str, thread_ts: str, pictures: Sequence[HeatImage]
) -> int:
    for start in range(0, len(pictures), FILES_PER_UPLOAD):
        batch = pictures[start : start + FILES_PER_UPLOAD]
        uploads: list[dict[str, Any]] = [
            {
                "content": picture.png,
                "filename": picture.filename,
                "title": picture.title,
                "alt_txt": picture.alt_text[:1000],
            }
            for picture in batch
        ]
        client.files_upload_v2(
            file_uploads=uploads,
            channel=channel_id,
            thread_ts=thread_ts,
            initial_comment="Heatmap of every service's latest ratings, one per standard.",
        )
    return len(pictures)


def run_summary_tick(
    deps: Deps, client: WebClient, *, dry_run: bool = False, out: TextIO | None = None
) -> int:
    """Post every weekly summary that is due and not yet posted; the number posted."""
    now = deps.clock()
    with deps.sessions.begin() as session:
        configured = [item for item in all_settings(session=session) if item.configured]
    if not configured:
        _log_once(NOT_CONFIGURED)
        if dry_run:
            print(NOT_CONFIGURED, file=out or sys.stdout)
        return 0
    posted = 0
    for settings in configured:
        scheduled_for = scheduled_instant(
            now, settings.weekday, settings.time, deps.settings.timezone
        )
        if now < scheduled_for:
            continue
        portfolios: dict[str, list[ServiceRecord]] = {}  # loaded once, for the first channel
        for channel_id in settings.channels:
            if dry_run:
                posted += _dry_run(
                    deps, settings, channel_id, scheduled_for, now, out or sys.stdout
                )
                continue
            sent = _post_weekly(deps, client, settings, channel_id, scheduled_for, now, portfolios)
            if sent is not None:
                posted += 1
    return posted


def _done_this_week(
    session: Session, deps: Deps, settings: SummarySettings, channel_id: str, now: datetime
) -> list[datetime]:
    return scheduled_posts_in_week(
        session=session,
        team_id=settings.team_id,
        channel_id=channel_id,
        week=week_bounds(now, deps.settings.timezone),
    )


def _dry_run(
    deps: Deps,
    settings: SummarySettings,
    channel_id: str,
    scheduled_for: datetime,
    now: datetime,
    out: TextIO,
) -> int:
    with deps.sessions.begin() as session:
        if _done_this_week(session, deps, settings, channel_id, now):
            print(f"{settings.team_id} {channel_id}: already posted this week", file=out)
            return 0
        summary = compute_summary(
            deps, session, settings, now=now, channel_id=channel_id, before=scheduled_for
        )
    print(f"{settings.team_id} {channel_id}: would post this summary:\n", file=out)
    print(summary_text(summary), file=out)
    return 1


def _post_weekly(
    deps: Deps,
    client: WebClient,
    settings: SummarySettings,
    channel_id: str,
    scheduled_for: datetime,
    now: datetime,
    portfolios: dict[str, list[ServiceRecord]],
) -> Posted | None:
    team_id = settings.team_id
    try:
        with deps.sessions.begin() as session:
            done = _done_this_week(session, deps, settings, channel_id, now)
            if any(when != scheduled_for for when in done):
                return None  # posted earlier this week, before the schedule changed
            claim = claim_scheduled(
                session=session,
                team_id=team_id,
                channel_id=channel_id,
                scheduled_for=scheduled_for,
                now=now,
                claimed_by=deps.process_name,
            )
    except DATABASE_FAILURES:
        logger.warning("summary for %s in %s: database unavailable", team_id, channel_id)
        return None
    if claim is None:
        return None
    if claim.reclaimed:
        logger.warning(
            "summary for %s in %s: took over a claim left for over 10 minutes; its holder "
            "may have posted already, so this may be a duplicate",
            team_id,
            channel_id,
        )
    try:
        with deps.sessions.begin() as session:
            if team_id not in portfolios:
                portfolios[team_id] = load_portfolio(
                    session=session, team_id=team_id, phases=settings.phases
                )
            summary = compute_summary(
                deps,
                session,
                settings,
                now=now,
                channel_id=channel_id,
                before=scheduled_for,
                portfolio=portfolios[team_id],
            )
    except DATABASE_FAILURES:
        logger.warning("summary for %s in %s: database unavailable", team_id, channel_id)
        _release_quietly(deps, claim.post_id)
        return None
    try:
        key = f"summary:{team_id}:{channel_id}:{scheduled_for.isoformat()}"
        posted = post_summary(
            deps, client, channel_id, summary, key=key, look_first=claim.reclaimed
        )
    except OutcomeUnknown:
        logger.warning("summary in %s: outcome unknown; the claim is kept", channel_id)
        return None
    except SEND_FAILURES as error:
        logger.warning(
            "summary for %s in %s: Slack refused it (%s); a later tick will retry",
            team_id,
            channel_id,
            _reason(error),
        )
        _release_quietly(deps, claim.post_id)
        return None
    try:
        with deps.sessions.begin() as session:
            mark_sent(
                claim.post_id,
                session=session,
                now=deps.clock(),
                message_ts=posted.ts,
                figures=summary.figures.to_json(),
            )
    except DATABASE_FAILURES:
        logger.error(
            "summary for %s in %s was posted (ts %s) but could not be recorded",
            team_id,
            channel_id,
            posted.ts,
            exc_info=True,
        )
    logger.info(
        "summary for %s posted in %s: %d messages, %d pictures",
        team_id,
        channel_id,
        posted.messages,
        posted.images,
    )
    return posted


def post_extra_summary(deps: Deps, client: WebClient, team_id: str, channel_id: str) -> Posted:
    """An extra summary posted on request: recorded, but never this week's weekly summary
    and never the baseline the next weekly summary compares with.

    Raises the database or Slack failure (after giving the claim back) for the caller to word.
    """
    now = deps.clock()
    with deps.sessions.begin() as session:
        settings = get_settings(session=session, team_id=team_id)
        post_id = claim_extra(
            session=session,
            team_id=team_id,
            channel_id=channel_id,
            now=now,
            claimed_by=deps.process_name,
        )
    try:
        with deps.sessions.begin() as session:
            summary = compute_summary(deps, session, settings, now=now, channel_id=channel_id)
        posted = post_summary(deps, client, channel_id, summary, key=f"summary:extra:{post_id}")
    except BaseException:
        _release_quietly(deps, post_id)
        raise
    with deps.sessions.begin() as session:
        mark_sent(
            post_id,
            session=session,
            now=deps.clock(),
            message_ts=posted.ts,
            figures=summary.figures.to_json(),
        )
    return posted


def _release_quietly(deps: Deps, post_id: int) -> None:
    try:
        with deps.sessions.begin() as session:
            release(post_id, session=session)
    except DATABASE_FAILURES:
        logger.warning("could not release summary claim %s; it frees itself in 10 minutes", post_id)


def _reason(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if response is not None:
        try:
            return str(response.get("error"))
        except AttributeError:
            pass
    return type(error).__name__
