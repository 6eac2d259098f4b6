"""Outcome measures through signed HTTP and the fake Slack: add, edit, retire, record, refuse."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.blocks import outcome_ids as oid
from storage.models import Measure, MeasurePoint, Reading, Service
from tests.harness import CHANNEL, OUTSIDER, OWNER, TEAMMATE, RunningApp

Json = dict[str, Any]


def register_relational(app: RunningApp, name: str = "Home care") -> int:
    app.driver.command(f'new "{name}"', user=OWNER, channel=CHANNEL)
    view = app.fake.open_views(OWNER)[-1]
    fields = {
        "phase": "live",
        "channel": CHANNEL,
        "owners": [OWNER, TEAMMATE],
        "service_type": "relational",
    }
    assert app.driver.submit_view(view, fields, user=OWNER).status == 200
    with app.deps.sessions() as session:
        service = session.scalars(select(Service).where(Service.name == name)).one()
        assert service.service_type == "relational"
        return service.id


def last_reply(app: RunningApp) -> str:
    body = app.fake.response_posts()[-1].body
    return json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else str(body)


def open_add_measure(app: RunningApp, service: str = "Home care", user: str = OWNER) -> Json:
    app.driver.command(f"measures {service}", user=user, channel=CHANNEL)
    app.driver.click("Add measure", user=user)
    return app.fake.open_views(user)[-1]


def add_measure(app: RunningApp, values: dict[str, Any], service: str = "Home care") -> Json:
    view = open_add_measure(app, service)
    response = app.driver.submit_view(view, values, user=OWNER)
    assert response.status == 200
    return response.json() if response.body.strip() else {}


def add_three_measures(app: RunningApp) -> None:
    """Two from templates (one with a target typed in) and one of our own, linked to point 1."""
    assert add_measure(app, {"template": "ascof-control-over-daily-life", "target": "80"}) == {}
    assert add_measure(app, {"template": "ascof-feel-safe"}) == {}
    own = {
        "template": "own",
        "name": "Days from referral to first visit",
        "counts": "Working days between a referral and the first home visit.",
        "unit": "days",
        "better_when": "lower",
        "target": "10 days",
        "frequency": "monthly",
        "source": "Case management system, monthly report",
        "points": ["1"],
    }
    assert add_measure(app, own) == {}


def record(app: RunningApp, month: str, values: dict[str, str], *, correct: bool = False) -> Json:
    app.driver.command("record Home care", user=OWNER, channel=CHANNEL)
    view = app.fake.open_views(OWNER)[-1]
    with app.deps.sessions() as session:
        ids = {m.name: m.id for m in session.scalars(select(Measure))}
    fields: dict[str, Any] = {oid.PERIOD_BLOCK: month}
    for name, value in values.items():
        fields[oid.reading_block(ids[name])] = value
    if correct:
        fields[oid.CONFIRM_BLOCK] = [oid.CONFIRM_VALUE]
    response = app.driver.submit_view(view, fields, user=OWNER)
    assert response.status == 200
    return response.json() if response.body.strip() else {}


CONTROL = "Control over daily life"
SAFE = "People who use services who feel safe"
VISIT = "Days from referral to first visit"


def test_measures_from_templates_and_our_own_and_readings(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register_relational(app)
    app.driver.command("measures Home care", user=TEAMMATE, channel=CHANNEL)
    assert "relational service should track" in last_reply(app)
    add_three_measures(app)
    with app.deps.sessions() as session:
        measures = {m.name: m for m in session.scalars(select(Measure))}
        assert set(measures) == {CONTROL, SAFE, VISIT}
        assert measures[CONTROL].target == "80" and measures[CONTROL].frequency == "quarterly"
        assert measures[CONTROL].template_id == "ascof-control-over-daily-life"
        assert measures[VISIT].target == "10" and measures[VISIT].unit == "days"
        links = {
            (p.measure_id, p.standard_id, p.point_number)
            for p in session.scalars(select(MeasurePoint))
        }
        assert (measures[VISIT].id, "lgdss", 1) in links
        assert (measures[CONTROL].id, "lgdss", 1) in links  # from the template

    assert record(app, "2025-06-01", {CONTROL: "82%", SAFE: "70", VISIT: "8"}) == {}
    assert record(app, "2025-09-01", {CONTROL: "78", SAFE: "71", VISIT: "14"}) == {}
    assert record(app, "2025-12-01", {CONTROL: "75", SAFE: "74", VISIT: "15"}) == {}

    # A second reading for a recorded period asks first, then corrects (a new row wins).
    again = record(app, "2025-12-01", {CONTROL: "76"})
    assert "already has 75%" in again["errors"][oid.reading_block(measures[CONTROL].id)]
    assert record(app, "2025-12-01", {CONTROL: "76"}, correct=True) == {}
    with app.deps.sessions() as session:
        rows = session.scalars(
            select(Reading).where(Reading.measure_id == measures[CONTROL].id).order_by(Reading.id)
        ).all()
        assert [r.value for r in rows] == ["82", "78", "75", "76"]

    app.driver.command("measures Home care", user=TEAMMATE, channel=CHANNEL)
    listing = last_reply(app)
    assert "76% for Oct–Dec 2025" in listing
    assert "✗ off target (at least 80%)" in listing
    assert "▼ down 2 points since Jul–Sep 2025, worse" in listing
    assert "▲ up 1 day since September 2025, worse" in listing

    app.driver.command("status Home care", user=TEAMMATE, channel=CHANNEL)
    status = last_reply(app)
    assert "relational service" in status and "*Outcomes*" in status
    assert "▼ down 2 points" in status

    app.driver.event({"type": "app_home_opened", "user": OWNER, "tab": "home"})
    home = str(app.fake.home_view(OWNER))
    assert "Relational" in home and "✗ off target (at least 80%)" in home
    assert "▲ up 1 day since September 2025, worse" in home
    app.driver.command("list", user=OWNER, channel=CHANNEL)
    assert "Live · Relational" in last_reply(app)


def test_bad_input_is_refused_inline_and_nothing_is_saved(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register_relational(app)
    bad = [
        ({"template": "own", "name": "X"}, {"unit", "better_when", "frequency"}),
        (
            {
                "template": "own",
                "name": "Wait",
                "unit": "days",
                "better_when": "lower",
                "frequency": "monthly",
                "target": "45%",
            },
            {"target"},
        ),
        ({"template": "ascof-feel-safe", "target": "lots"}, {"target"}),
        ({"template": "ascof-feel-safe", "target": "120"}, {"target"}),
    ]
    for values, fields in bad:
        ack = add_measure(app, values)
        assert ack["response_action"] == "errors"
        assert set(ack["errors"]) == fields, ack
    assert (
        "percentage"
        in add_measure(
            app,
            {
                "template": "own",
                "name": "Wait",
                "unit": "days",
                "better_when": "lower",
                "frequency": "monthly",
                "target": "45%",
            },
        )["errors"]["target"]
    )
    # A point the standard lacks, as a forged submission would send it.
    view = open_add_measure(app)
    forged = {
        "points": {
            "value": {
                "type": "multi_static_select",
                "selected_options": [{"text": {"type": "plain_text", "text": "99"}, "value": "99"}],
            }
        }
    }
    response = app.driver.submit_view(view, {"template": "ascof-feel-safe", **forged}, user=OWNER)
    assert "has no point 99" in response.json()["errors"]["points"]
    with app.deps.sessions() as session:
        assert session.scalars(select(Measure)).all() == []

    assert add_measure(app, {"template": "ascof-feel-safe"}) == {}
    for value, words in (("ten", "not a number"), ("101", "between 0 and 100"), ("-3", "negative")):
        ack = record(app, "2025-12-01", {SAFE: value})
        assert words in next(iter(ack["errors"].values())), (value, ack)
    with app.deps.sessions() as session:
        assert session.scalars(select(Reading)).all() == []
        measure = session.scalars(select(Measure)).one()
        assert measure.target is None


def test_only_owners_and_admins_change_measures(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register_relational(app)
    assert add_measure(app, {"template": "ascof-feel-safe"}) == {}
    app.driver.command("record Home care", user=OUTSIDER, channel=CHANNEL)
    assert "only the owners" in last_reply(app)
    app.driver.command("measures Home care", user=OUTSIDER, channel=CHANNEL)
    app.driver.click("Add measure", user=OUTSIDER)
    assert "only the owners" in last_reply(app)
    app.driver.select(oid.MEASURE_MENU, f"retire:{_measure_id(app)}", user=OUTSIDER)
    assert "only the owners" in last_reply(app)
    with app.deps.sessions() as session:
        assert session.scalars(select(Measure)).one().retired_at is None
    app.driver.command("export outcomes", user=OUTSIDER, channel=CHANNEL)
    assert "don't own any services" in last_reply(app)
    app.driver.command("export outcomes all", user=OWNER, channel=CHANNEL)
    assert "Only admins can export every service" in last_reply(app)
    app.driver.command("export outcomes Home care", user=OWNER, channel=CHANNEL)
    assert "No readings to export yet" in last_reply(app)


def test_edit_and_retire_keep_history(slack_app_each_db: RunningApp) -> None:
    app = slack_app_each_db
    register_relational(app)
    assert add_measure(app, {"template": "ascof-feel-safe"}) == {}
    assert record(app, "2025-12-01", {SAFE: "70"}) == {}
    measure_id = _measure_id(app)
    app.driver.command("measures Home care", user=OWNER, channel=CHANNEL)
    app.driver.select(oid.MEASURE_MENU, f"edit:{measure_id}", user=OWNER)
    view = app.fake.open_views(OWNER)[-1]
    assert app.driver.submit_view(view, {"target": "75"}, user=OWNER).status == 200
    with app.deps.sessions() as session:
        assert session.get(Measure, measure_id).target == "75"  # type: ignore[union-attr]
    app.driver.command("measures Home care", user=OWNER, channel=CHANNEL)
    app.driver.select(oid.MEASURE_MENU, f"retire:{measure_id}", user=OWNER)
    assert "Retired" in last_reply(app)
    with app.deps.sessions() as session:
        measure = session.get(Measure, measure_id)
        assert measure is not None and measure.retired_at is not None
        assert [r.value for r in session.scalars(select(Reading))] == ["70"]
    app.driver.command("measures Home care", user=OWNER, channel=CHANNEL)
    assert "no outcome measures yet" in last_reply(app)
    assert Decimal("70") == Decimal(70)


def _measure_id(app: RunningApp) -> int:
    with app.deps.sessions() as session:
        return session.scalars(select(Measure.id)).first() or 0
