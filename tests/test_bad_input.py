"""Whatever people type: arbitrary Unicode, control characters, 10,000 characters, empty and
whitespace-only values, mentions and links. No 500, every reply within Slack's limits, a clear
message for what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks.assessment import CardView, build_card, build_completion, build_parent
from bot.blocks.forms import build_evidence_modal, build_service_modal
from bot.blocks.help import build_unknown_subcommand
from bot.blocks.portfolio import build_list, build_status
from bot.core.commands import parse_arguments
from bot.core.flow import parse_links, tally
from bot.core.overview import ServiceLine
from bot.core.services import NotFound
from bot.slack.lookup import not_found_text
from standards import load_catalogue
from storage.models import Answer, Assessment, AssessmentPoint, Service, ServiceOwner
from storage.overview_queries import RatingCounts
from storage.view_rows import answer_view, assessment_view, service_view
from tests.fakeslack.blockkit import validate_blocks, validate_view
from tests.harness import CHANNEL, OWNER, RunningApp

CATALOGUE = load_catalogue()
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)

nasty_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=10_000),
    st.sampled_from(
        [
            "",
            "   ",
            "\t\n\r",
            "<!channel>",
            "<!here|here> & co",
            "<@U123>",
            "<https://evil.example|click me>",
            '=HYPERLINK("x")',
            "Gwasanaethau ŵyr ŷd 🗑️",
            "\u0000\u0007\u202e",
            '"unbalanced',
            "a" * 10_000,
        ]
    ),
)


def service_named(name: str) -> Service:
    return Service(
        id=7,
        team_id="T1",
        name=name,
        name_key=name.casefold(),
        description=name,
        standard_id="lgdss",
        phase="beta",
        team_channel_id=CHANNEL,
        interval_months=6,
        next_due_on=date(2026, 4, 1),
        due_reason="interval",
        created_by=OWNER,
        created_at=NOW,
        updated_at=NOW,
        owners=[ServiceOwner(user_id=OWNER)],
    )


def assessment_for(service: Service) -> Assessment:
    standard = CATALOGUE.get("lgdss")
    assert standard is not None
    return Assessment(
        id=3,
        team_id="T1",
        service_id=service.id,
        standard_id="lgdss",
        standard_version="2016",
        standard_title=standard.title,
        phase="beta",
        status="in_progress",
        started_by=OWNER,
        started_at=NOW,
        channel_id=CHANNEL,
        thread_ts="1.0",
        point_count=15,
        points=[AssessmentPoint(number=p.number, title=p.title) for p in standard.points],
    )


def mrkdwn_texts(value: Any) -> list[str]:
    """Every mrkdwn string in a block tree (plain_text is never parsed for mentions)."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            return [str(value.get("text", ""))]
        return [text for item in value.values() for text in mrkdwn_texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in mrkdwn_texts(item)]
    return []


def with_fallback(message: tuple[str, list[dict[str, Any]]]) -> list[Any]:
    """A message's blocks and its top-level text (mrkdwn too, shown in notifications)."""
    text, blocks = message
    return [blocks, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]]


def no_smuggling(blocks: Any) -> None:
    """User text never reaches mrkdwn as a control sequence."""
    for text in mrkdwn_texts(blocks):
        for sequence in ("<!channel>", "<!here", "<https://evil", "<@U123>"):
            assert sequence not in text


@settings(max_examples=60, deadline=None)
@given(nasty_text)
def test_the_argument_parser_never_fails(text: str) -> None:
    words = parse_arguments(text)
    assert all(isinstance(word, str) and word and word.isprintable() for word in words)
    assert sum(map(len, words)) <= 4000


@settings(max_examples=40, deadline=None)
@given(name=nasty_text, evidence=nasty_text)
def test_every_view_of_user_text_is_within_slacks_limits(name: str, evidence: str) -> None:
    service = service_named(name)
    assessment = assessment_for(service)
    answer = Answer(
        id=1,
        team_id="T1",
        assessment_id=3,
        point_number=1,
        rating="met",
        evidence=evidence,
        evidence_links=["https://example.gov.uk/a&b"],
        answered_by=OWNER,
        answered_at=NOW,
    )
    result = tally(list(range(1, 16)), {1: answer})
    counts = RatingCounts(total=15, answered=1, met=1, partly_met=0, not_met=0, not_applicable=0)
    line = ServiceLine(service_view(service), "LGDSS", assessment_view(assessment), counts)
    messages = [
        build_list([line] * 3, NOW.date()),
        build_status(
            line,
            {1: answer_view(answer)},
            {p.number: p.title for p in assessment.points},
            today=NOW.date(),
            now=NOW,
        ),
        *with_fallback(build_parent(assessment, name, result, reassessment=False)),
        *with_fallback(build_completion(name, result, {1: name}, "Thu 3 Sep 2026")),
        *with_fallback(build_card(CardView(assessment, name, 1, name or "x", None, answer, None))),
        build_unknown_subcommand(name, []),
    ]
    for blocks in messages:
        assert validate_blocks(blocks) == []
        no_smuggling(blocks)
    modal = build_service_modal(CATALOGUE, service=service_view(service), user_id=OWNER)
    assert validate_view(modal) == []
    evidence_modal = build_evidence_modal(name, answer_view(answer), "{}")
    assert validate_view(evidence_modal) == []
    refused = not_found_text(NotFound(name, (name,), (name,)))
    assert len(refused) < 3000
    no_smuggling(refused)


@settings(max_examples=60, deadline=None)
@given(nasty_text)
def test_links_are_refused_clearly_or_accepted_safely(text: str) -> None:
    links, problem = parse_links(text)
    if problem is None:
        assert all(link.startswith(("https://", "http://")) for link in links)
        assert not any(ch in link for link in links for ch in "<>|")
    else:
        assert problem and len(problem) < 150


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=nasty_text)
def test_any_command_text_gets_a_reply_slack_accepts(slack_app: RunningApp, text: str) -> None:
    before = len(slack_app.fake.response_posts())
    response = slack_app.driver.command(text, user=OWNER, channel=CHANNEL)
    assert response.status == 200
    assert len(slack_app.fake.response_posts()) > before or slack_app.fake.open_views(OWNER)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=nasty_text, description=nasty_text)
def test_any_register_form_is_saved_or_refused_inline(
    slack_app: RunningApp, name: str, description: str
) -> None:
    slack_app.driver.command("new", user=OWNER, channel=CHANNEL)
    view = slack_app.fake.open_views(OWNER)[-1]
    values = {"phase": "beta", "channel": CHANNEL, "owners": [OWNER]}
    if name.strip():
        values["name"] = name[:150]
    if description.strip():
        values["description"] = description[:3000]
    try:
        response = slack_app.driver.submit_view(view, values, user=OWNER)
    except AssertionError as refused:  # the driver won't submit what Slack's client wouldn't
        assert "required" in str(refused) or "max_length" in str(refused) or "empty" in str(refused)
        slack_app.fake.close_view(view["id"])
        return
    assert response.status == 200
    body = response.json()
    if body:
        assert body["response_action"] == "errors" and body["errors"]
        assert all(len(message) < 2000 for message in body["errors"].values())
        slack_app.fake.close_view(view["id"])
