"""The report and portfolio pages as pure functions: structure, escaping, links, sections."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from bot.core.portfolio_html import render_portfolio
from bot.core.report import (
    AnswerEntry,
    OutcomeReading,
    PointReport,
    ReportData,
)
from bot.core.report_follow_up import ActionEntry, PeerReview, PeerVerdict
from bot.core.report_html import render_report
from bot.core.summary import build_summary
from storage.values import CurrentAnswer, LatestAssessment, ServiceRecord

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def answer(rating: str, evidence: str = "", links: tuple[str, ...] = ()) -> AnswerEntry:
    return AnswerEntry(
        rating, evidence, links, "Olive Owner", datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    )


def report(**changes: object) -> ReportData:
    base = ReportData(
        organisation="Borsetshire County Council",
        service_id=7,
        service_name="Bins",
        description="Collecting waste.",
        phase="beta",
        team_channel="#team-bins",
        owners=("Olive Owner",),
        next_due_on=date(2026, 9, 2),
        standard_id="lgdss",
        standard_title="Local Government Digital Service Standard",
        standard_version="2024.1",
        status="completed",
        assessment_id=30,
        started_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        completed_at=datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
        previous_assessment_id=20,
        previous_completed_at=datetime(2025, 9, 1, 9, 0, tzinfo=UTC),
        points=(
            PointReport(
                1,
                "Understand users",
                answer("met", "Research", ("https://x.gov.uk",)),
                (answer("not_met"),),
                "not_met",
            ),
            PointReport(2, "Solve a whole problem", None, (), "met"),
            PointReport(3, "Joined up", answer("not_applicable"), (), None),
        ),
        with_evidence=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


class Outline(HTMLParser):
    """The tags, attributes and text of a page, to check structure without a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def outline(page: str) -> Outline:
    parsed = Outline()
    parsed.feed(page)
    return parsed


def test_the_report_is_one_accessible_self_contained_page() -> None:
    page = render_report(report(), tz=LONDON, generated_at=NOW)
    parsed = outline(page)
    assert parsed.having("html") == [{"lang": "en-GB"}]
    assert parsed.having("main") == [{"id": "main", "tabindex": "-1"}]
    assert parsed.having("header") and parsed.having("footer")
    assert parsed.having("a")[0] == {"class": "skip", "href": "#main"}
    assert len(parsed.having("h1")) == 1
    assert parsed.having("script") == [] and parsed.having("img") == []
    assert parsed.having("link") == []
    # nothing is fetched: the only addresses are the evidence link and the SVG namespace
    addresses = set(re.findall(r"https?://[^\s\"'<)]+", page))
    assert addresses == {"https://x.gov.uk", "http://www.w3.org/2000/svg"}
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "@page{size:A4" in page and "@media print" in page
    assert "<caption>" in page and '<th scope="col">Previously</th>' in page


def test_the_report_says_what_people_need() -> None:
    text = " ".join(outline(render_report(report(), tz=LONDON, generated_at=NOW)).text)
    for needed in (
        "Bins",
        "Collecting waste.",
        "Local Government Digital Service Standard (version 2024.1)",
        "Beta",
        "#team-bins",
        "Olive Owner",
        "2 Mar 2026, 09:00",  # started, London time (GMT in March)
        "4 Mar 2026, 09:00",
        "2 September 2026",
        "Overall result",
        "Partly met",  # one point unanswered
        "1. Understand users",
        "Research",
        "https://x.gov.uk",
        "Earlier answers",
        "Not met",
        "Nobody has answered this point.",
        "(previously Met)",
    ):
        assert needed in text, needed


def test_ratings_are_words_and_symbols_not_only_colour() -> None:
    page = render_report(report(), tz=LONDON, generated_at=NOW)
    assert '<span class="badge met"><span class="sym" aria-hidden="true">✔</span>Met</span>' in page
    assert '<span class="sym" aria-hidden="true">?</span>Not answered' in page
    assert '<span class="sym" aria-hidden="true">–</span>Not applicable' in page


def test_everything_typed_is_escaped() -> None:
    hostile = report(
        service_name=SCRIPT,
        description=IMG,
        owners=(IMG,),
        team_channel=SCRIPT,
        points=(
            PointReport(1, SCRIPT, answer("met", IMG, ('https://x.gov.uk/"><script>',)), (), None),
        ),
        organisation=IMG,
    )
    page = render_report(hostile, tz=LONDON, generated_at=NOW)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    parsed = outline(page)
    assert parsed.having("script") == [] and parsed.having("img") == []
    assert all(not key.startswith("on") for _, attrs in parsed.tags for key in attrs)


def test_evidence_links_never_refer_or_open_the_report() -> None:
    page = render_report(report(), tz=LONDON, generated_at=NOW)
    links = [a for a in outline(page).having("a") if (a.get("href") or "").startswith("http")]
    assert links == [{"href": "https://x.gov.uk", "rel": "noopener noreferrer"}]


def test_without_evidence_says_so_and_shows_none() -> None:
    bare = report(
        with_evidence=False,
        points=(PointReport(1, "Understand users", answer("met"), (), None),),
        previous_assessment_id=None,
    )
    page = render_report(bare, tz=LONDON, generated_at=NOW)
    assert "Evidence notes and links, action texts and peer reviewers' comments are not" in page
    assert "No evidence was recorded" not in page and "Previously" not in page


def verdict(number: int, said: str, rating: str | None, comment: str, status: str) -> PeerVerdict:
    return PeerVerdict(
        number, "Pat Peer", "Kent CC", said, rating is not None, rating, comment, status, NOW
    )


def test_actions_and_peer_review_by_point_and_in_summary() -> None:
    bare = render_report(report(), tz=LONDON, generated_at=NOW)
    assert "No improvement actions have been recorded." in bare
    assert "No peer review of this assessment yet." in bare
    assert '<th scope="col">Peer review</th>' not in bare
    full = render_report(
        report(
            actions=(
                ActionEntry(
                    1, "Run usability tests <b>", "Olive", date(2026, 3, 1), "open", True, None
                ),
                ActionEntry(
                    9, "On a point now gone", "Olive", date(2026, 9, 1), "open", False, None
                ),
            ),
            reviews=(PeerReview("Pat Peer", "Kent CC", NOW, 1, 1, 1, 3),),
            verdicts=(
                verdict(1, "agree", None, "", "none"),
                verdict(2, "challenge", "not_met", "Not <em>convinced</em>", "open"),
            ),
            outcomes=(TAKE_UP,),
        ),
        tz=LONDON,
        generated_at=NOW,
    )
    parsed = outline(full)
    text = " ".join("".join(parsed.text).split())
    for needed in (
        "Actions and peer review",
        "2 improvement actions: 2 open (1 overdue), 0 done, 0 dropped.",
        "Peer review by Pat Peer (Kent CC), finished 10 Mar 2026, 12:00: 1 agreed, 1 challenged.",
        "1 challenge still open.",
        "Improvement actions on point 1",
        "Run usability tests <b>",
        "1 March 2026 Overdue",
        "Open actions on points this assessment does not have",
        "On a point now gone",
        "Peer review of point 2",
        "Challenge: ✘Not met",
        "Not <em>convinced</em>",
        "Open: waiting for the team",
    ):
        assert needed in text, needed
    assert "<em>" not in full and "<b>" not in full
    # every table has a caption and header cells, inside a labelled, focusable region
    assert full.count("<table") == full.count("<caption") == len(parsed.having("thead"))
    regions = [div for div in parsed.having("div") if div.get("role") == "region"]
    assert len(regions) == full.count("<table") and all(
        div.get("tabindex") == "0" and (div.get("aria-label") or div.get("aria-labelledby"))
        for div in regions
    )
    assert '<th scope="col">Peer review</th>' in full and "Not reviewed" in full


def test_outcomes_appear_only_when_they_have_entries() -> None:
    empty = render_report(report(), tz=LONDON, generated_at=NOW)
    assert 'id="outcomes"' not in empty
    full = render_report(
        report(outcomes=(TAKE_UP,)),
        tz=LONDON,
        generated_at=NOW,
    )
    for needed in ('id="outcomes"', "Digital take-up", "61%"):
        assert needed in full, needed


def test_not_assessed_and_in_progress() -> None:
    never = render_report(
        report(
            status="not_assessed",
            points=(),
            assessment_id=None,
            started_at=None,
            completed_at=None,
            previous_assessment_id=None,
        ),
        tz=LONDON,
        generated_at=NOW,
    )
    assert "has not been assessed yet" in never and "Results by point" not in never
    going = render_report(
        report(status="in_progress", completed_at=None), tz=LONDON, generated_at=NOW
    )
    assert "In progress: 2 of 3 points answered" in going


def record(service_id: int, name: str, ratings: dict[int, str]) -> ServiceRecord:
    return ServiceRecord(
        id=service_id,
        name=name,
        phase="beta",
        standard_id="lgdss",
        next_due_on=date(2026, 1, 1) if service_id == 1 else date(2026, 9, 1),
        latest=LatestAssessment(
            id=service_id * 10,
            standard_id="lgdss",
            standard_title="Local Government Digital Service Standard",
            status="completed",
            started_at=NOW,
            last_answered_at=NOW,
            points=((1, "Understand users"), (2, "Solve a whole problem"), (3, "Joined up")),
            answers={n: CurrentAnswer(r, False) for n, r in ratings.items()},
        ),
    )


def test_the_portfolio_heatmap_is_an_accessible_table_with_a_letter_in_every_cell() -> None:
    records = [
        record(1, SCRIPT, {1: "met", 2: "not_met"}),
        record(2, "Parking", {1: "partly_met", 2: "met", 3: "not_applicable"}),
    ]
    summary = build_summary(records, team_id="T1", now=NOW, tz=LONDON)
    page = render_portfolio(
        summary,
        [report(service_id=1, service_name=SCRIPT), report(service_id=2, service_name="Parking")],
        organisation="Borsetshire County Council",
        tz=LONDON,
        generated_at=NOW,
        report_hrefs={1: "services/script-1.html", 2: "services/parking-2.html"},
    )
    assert "<script>" not in page
    heat = page[
        page.index('<table class="heat">') : page.index(
            "</table>", page.index('<table class="heat">')
        )
    ]
    assert "<caption" in heat and heat.count('<th scope="col">') == 4  # Service + 3 points
    assert heat.count('<th scope="row">') == 2
    cells = re.findall(
        r"<td class=\"(\w+)\"><span aria-hidden=\"true\">(\w+)</span>"
        r"<span class=\"vh\">([\w ]+)</span></td>",
        heat,
    )
    assert sorted(cells) == sorted(
        [
            ("met", "M", "Met"),
            ("notmet", "N", "Not met"),
            ("none", "U", "Not answered"),
            ("partly", "P", "Partly met"),
            ("met", "M", "Met"),
            ("na", "NA", "Not applicable"),
        ]
    )
    text = "".join(outline(page).text)
    for needed in (
        "2 services",
        "1 overdue for assessment",
        "Where services fall short most often",
        "2. Solve a whole problem: 1 not met and 0 partly met, of 2 services",
        "assessments.json",
        "All services",
    ):
        assert " ".join(needed.split()) in " ".join(text.split()), needed
    assert 'href="services/parking-2.html"' in page


def test_the_single_file_portfolio_links_nowhere() -> None:
    summary = build_summary([record(2, "Parking", {1: "met"})], team_id="T1", now=NOW, tz=LONDON)
    page = render_portfolio(
        summary,
        [report(service_id=2, service_name="Parking")],
        organisation="B",
        tz=LONDON,
        generated_at=NOW,
    )
    hrefs = [a.get("href") for a in outline(page).having("a")]
    assert hrefs == ["#main"]


def test_with_several_reviewers_the_results_table_says_whose_verdict_is_whose() -> None:
    sam = replace(verdict(1, "challenge", "partly_met", "Thin", "accepted"), reviewer_name="Sam")
    page = render_report(
        report(
            reviews=(
                PeerReview("Pat Peer", "Kent CC", NOW, 1, 0, 0, 3),
                PeerReview("Sam", "", None, 0, 1, 0, 3),
            ),
            verdicts=(verdict(1, "agree", None, "", "none"), sam),
        ),
        tz=LONDON,
        generated_at=NOW,
    )
    text = " ".join("".join(outline(page).text).split())
    for needed in (
        "Pat Peer: Agree",
        "Sam: Challenge: ◐Partly met",
        "Peer review by Sam, in progress, 1 of 3 points: 0 agreed, 1 challenged.",
        "Accepted: the team took the reviewer's rating",
        "0 challenges still open.",
    ):
        assert needed in text, needed


# An outcome row as `bot.core.report_outcomes.outcome_readings` builds it (#13).
TAKE_UP = OutcomeReading(
    measure="Digital take-up",
    unit="%",
    latest_period="February 2026",
    latest_value="61%",
    target="target at least 70%",
    verdict="✗ off target (at least 70%)",
    on_target=False,
    trend="▲ up 4 points since January 2026, better",
    points=(1,),
    missed_last_two=False,
    flagged_points=(),
    history=(("January 2026", "57%", Decimal(57)), ("February 2026", "61%", Decimal(61))),
)
