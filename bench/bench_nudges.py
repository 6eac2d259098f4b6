"""Nudge throughput: 2,000 nudges due at once, through a Slack that rate-limits.

1,000 services fall due today, each with one owner (200 owners, five services each) and a team
channel (50 channels, twenty services each): every service nudges its owner by DM and its team
channel, 2,000 nudges. The fake Slack allows one message a second per channel (no burst) and
answers 429 with Retry-After beyond that, and a few extra 429s are injected. The reminder tick
(`run_reminders_tick`, the production client with its retry handlers) runs until nothing is
left to send; we check in the fake Slack that every nudge arrived exactly once and time the
drain. The lower bound on the drain is what the per-channel limit itself imposes.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bench.common import SQLITE, temporary_database
from bench.report import BenchResult, Row, markdown_table, verdict
from bench.seed import seed_due_today
from bot.blocks import reminder_ids
from bot.config import load_settings
from bot.deps import Deps
from bot.slack.client import build_web_client
from bot.slack.directory import SlackDirectory
from standards import load_catalogue
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import ClaimStatus, Nudge
from tests.fakeslack import Call, FakeSlack
from tests.harness import settings_env

logger = logging.getLogger(__name__)

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # Tuesday 10:00 in London: working hours
TEAM = "T1"
FULL = {"services": 1000, "owners": 200, "channels": 50, "injected_429s": 5}
QUICK = {"services": 40, "owners": 8, "channels": 2, "injected_429s": 1}
MAX_TICKS = 6
PER_SECOND = 1.0
BURST = 1


def run(quick: bool = False) -> BenchResult:
    shape = QUICK if quick else FULL
    result = BenchResult("nudges", "4. Nudge throughput")
    started = time.perf_counter()
    owners = [f"UN{n:04d}" for n in range(shape["owners"])]
    channels = [f"CN{n:04d}" for n in range(shape["channels"])]
    with FakeSlack(team_id=TEAM) as fake, temporary_database(SQLITE, "nudges") as url:
        for owner in owners:
            fake.add_user(owner, name=owner.lower())
        for channel in channels:
            fake.add_channel(channel, channel.lower())
        engine = make_engine(url)
        upgrade(engine)
        seed_due_today(
            engine,
            shape["services"],
            today=NOW.date(),
            team_id=TEAM,
            owner_pool=owners,
            channels=channels,
        )
        settings = load_settings(settings_env(fake, url))
        deps = Deps(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            catalogue=load_catalogue(settings.standards_dir),
            clock=lambda: NOW,
            process_name="bench",
        )
        client = build_web_client(settings)
        directory = SlackDirectory(client)
        fake.rate_limit_channels(per_second=PER_SECOND, burst=BURST)
        fake.fail_next("chat.postMessage", retry_after=1, times=shape["injected_429s"])
        from bot.slack.reminder_job import run_reminders_tick

        ticks: list[dict[str, Any]] = []
        drain_started = time.perf_counter()
        for _ in range(MAX_TICKS):
            tick_started = time.perf_counter()
            report = run_reminders_tick(deps, client, directory=directory)
            ticks.append(
                {
                    "seconds": time.perf_counter() - tick_started,
                    "sent": report.sent,
                    "messages": report.messages,
                    "released": report.released,
                    "failed_messages": report.failed_messages,
                }
            )
            if report.sent == 0 and report.released == 0:
                break
        drain = sum(t["seconds"] for t in ticks if t["sent"] or t["released"])
        total = time.perf_counter() - drain_started
        with deps.sessions() as session:
            rows = dict(
                session.execute(select(Nudge.status, func.count()).group_by(Nudge.status)).all()
            )
        engine.dispose()
        delivered = _delivered(fake, owners, channels)
        limited = sum(1 for call in fake.calls_to("chat.postMessage") if _was_429(call))
    expected = 2 * shape["services"]
    once = sum(1 for n in delivered.values() if n == 1)
    twice = sum(1 for n in delivered.values() if n > 1)
    per_channel = math.ceil(shape["services"] / shape["channels"] / 16)  # 16 per digest
    lower_bound = max(0.0, (per_channel - BURST) / PER_SECOND)
    ok = once == expected and twice == 0 and rows.get(ClaimStatus.SENT, 0) == expected
    result.seconds = time.perf_counter() - started
    result.raw = {
        "shape": shape,
        "ticks": ticks,
        "drain_seconds": drain,
        "total_seconds": total,
        "nudge_rows": rows,
        "delivered_once": once,
        "delivered_more_than_once": twice,
        "http_429s": limited,
        "lower_bound_seconds": lower_bound,
    }
    messages = sum(t["messages"] for t in ticks)
    result.rows += [
        Row(
            "nudges",
            f"sqlite · {expected:,} nudges",
            "delivered exactly once",
            f"{once:,} once, {twice} more than once, {expected - once - twice} missing",
            "all, once",
            verdict(ok),
        ),
        Row(
            "nudges",
            f"sqlite · {expected:,} nudges",
            "time to drain",
            f"{drain:.1f} s ({messages} messages, {limited} × 429, {len(ticks)} ticks)",
            f"reported (limit allows ≈ {lower_bound:.0f} s)",
        ),
    ]
    if not ok:
        result.missed.append(
            f"{once:,} of {expected:,} nudges delivered exactly once, {twice} more than once; "
            f"nudge rows by status: {rows}"
        )
    result.details += [
        f"{shape['services']:,} services due today, {shape['owners']} owners "
        f"({shape['services'] // shape['owners']} services each), {shape['channels']} team "
        f"channels ({shape['services'] // shape['channels']} services each). Fake Slack: "
        f"{PER_SECOND:.0f} message/s per channel, burst {BURST}, 429 + Retry-After beyond it, "
        f"and {shape['injected_429s']} extra 429s injected. Ticks until nothing was left:",
        "",
        *markdown_table(
            ["tick", "seconds", "nudges sent", "messages", "claims released", "failed messages"],
            [
                (
                    n + 1,
                    f"{t['seconds']:.1f}",
                    t["sent"],
                    t["messages"],
                    t["released"],
                    t["failed_messages"],
                )
                for n, t in enumerate(ticks)
            ],
        ),
    ]
    result.notes += [
        f"Drain {drain:.1f} s for {messages} messages, {limited} of them answered 429 first. "
        "The tick sends one message at a time, and on a 429 the client (slack_sdk's "
        "RateLimitErrorRetryHandler) sleeps Retry-After plus a random 0-1 s before retrying, "
        f"so those waits alone come to about {limited * 1.5:.0f} s, during which nothing else "
        "is sent. Deliveries are grouped by recipient, so a channel's second digest comes "
        "straight after its first and always hits the limit; interleaving recipients (every "
        "recipient's first digest, then every second one) would leave each channel more than "
        f"a second between posts and bring the drain near the limit's own bound "
        f"(≈ {lower_bound:.0f} s here) plus the sending itself.",
        "The fake Slack runs in this process; the tick runs in this process too (no server).",
    ]
    return result


def _was_429(call: Call) -> bool:
    return call.status == 429


def _delivered(fake: FakeSlack, owners: list[str], channels: list[str]) -> Counter[tuple[str, int]]:
    """(recipient, service id) → how many messages named that nudge."""
    seen: Counter[tuple[str, int]] = Counter()
    recipients = [(owner, fake.im_channel(owner)) for owner in owners]
    recipients += [(channel, channel) for channel in channels]
    prefix = reminder_ids.NUDGE_BLOCK_PREFIX + ":"
    for recipient, channel in recipients:
        if channel is None:
            continue
        for message in fake.messages(channel):
            named = {
                int(block["block_id"].split(":")[1])
                for block in message.get("blocks") or []
                if str(block.get("block_id", "")).startswith(prefix)
            }
            for service_id in named:
                seen[(recipient, service_id)] += 1
    return seen
