"""Reminder planning as pure functions, and a year of one service's life with a moving clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.due import DueReason, add_months
from bot.core.people import Person
from bot.core.reminders import (
    Audience,
    PlannedNudge,
    Stage,
    due_stage,
    flagged_overdue,
    group_deliveries,
    is_settled,
    plan_nudges,
    snooze_until,
)
from bot.core.working_hours import (
    WorkingHours,
    first_working_day_on_or_after,
    is_bank_holiday,
    is_working_day,
)
from storage.values import InProgress, NudgeKey, ServiceDue

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
HOURS = WorkingHours(subdivision="ENG", fallback=LONDON)
NY_OWNER = Person(id="UNY", name="Nia", tz="America/New_York")
LONDON_OWNER = Person(id="ULDN", name="Lee", tz="Europe/London")
LEAVER = Person(id="UGONE", name="Gone", tz="Europe/London", deleted=True)
PEOPLE: dict[str, Person | None] = {p.id: p for p in (NY_OWNER, LONDON_OWNER, LEAVER)}


def at(day: str, clock: str, tz: ZoneInfo = LONDON) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tz)


def service(**changes: object) -> ServiceDue:
    base = ServiceDue(
        id=7,
        team_id="T1",
        name="Bins & <recycling>",
        phase="beta",
        team_channel_id="CTEAM",
        interval_months=6,
        last_assessed_on=None,
        next_due_on=date(2027, 1, 20),
        due_reason=DueReason.NEVER_ASSESSED,
        created_at=at("2026-12-21", "10:00"),
        owner_ids=("ULDN",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def keys(planned: list[PlannedNudge]) -> set[tuple[str, str, str]]:
    return {(n.key.stage, n.key.occurrence, n.recipient) for n in planned}


# --- working hours ---------------------------------------------------------------------------


def test_bank_holidays_are_the_configured_uk_calendar() -> None:
    assert is_bank_holiday(date(2026, 12, 25), "ENG")
    assert is_bank_holiday(date(2027, 3, 29), "ENG")  # Easter Monday
    assert not is_bank_holiday(date(2027, 3, 29), "SCT")  # not a bank holiday in Scotland
    assert is_bank_holiday(date(2027, 1, 4), "SCT")  # but 2 January (observed) is
    assert not is_working_day(date(2027, 3, 27), "ENG")  # Saturday
    assert first_working_day_on_or_after(date(2026, 12, 25), "ENG") == date(2026, 12, 29)


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (at("2027-01-05", "08:59"), LONDON, False),
        (at("2027-01-05", "09:00"), LONDON, True),
        (at("2027-01-05", "17:29"), LONDON, True),
        (at("2027-01-05", "17:30"), LONDON, False),
        (at("2027-01-05", "09:00"), NEW_YORK, False),  # 04:00 in New York
        (at("2027-01-05", "14:00"), NEW_YORK, True),  # 09:00 in New York
        (at("2027-01-05", "22:29"), NEW_YORK, True),  # 17:29 in New York
        (at("2027-03-29", "12:00"), LONDON, False),  # Easter Monday
        (at("2027-03-29", "12:00", NEW_YORK), NEW_YORK, False),  # a UK holiday there too
        (at("2026-12-25", "10:00", NEW_YORK), NEW_YORK, False),
        (at("2027-07-05", "10:00", NEW_YORK), NEW_YORK, True),  # US holidays do not count
        (at("2027-01-09", "12:00"), LONDON, False),  # Saturday
    ],
)
def test_working_time(moment: datetime, tz: ZoneInfo, expected: bool) -> None:
    assert HOURS.is_working_time(moment, tz) is expected


def test_working_time_uses_the_local_date_for_holidays() -> None:
    # 23:00 on Christmas Eve in London is already 25 December in Auckland: not a working day.
    auckland = ZoneInfo("Pacific/Auckland")
    assert not HOURS.is_working_time(at("2026-12-25", "10:00", auckland), auckland)
    assert HOURS.is_working_time(at("2026-12-24", "10:00", auckland), auckland)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        HOURS.is_working_time(datetime(2027, 1, 5, 10, 0))


# --- stages, flags, snoozes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2027-01-05", None),
        ("2027-01-06", (Stage.UPCOMING, 0)),
        ("2027-01-19", (Stage.UPCOMING, 0)),
        ("2027-01-20", (Stage.DUE, 0)),
        ("2027-01-26", (Stage.DUE, 0)),
        ("2027-01-27", (Stage.OVERDUE, 1)),
        ("2027-02-02", (Stage.OVERDUE, 1)),
        ("2027-02-03", (Stage.OVERDUE, 2)),
        ("2027-12-31", (Stage.OVERDUE, 49)),
    ],
)
def test_due_stage(today: str, expected: tuple[Stage, int] | None) -> None:
    assert due_stage(date(2027, 1, 20), date.fromisoformat(today)) == expected


class _Row:
    def __init__(self, next_due_on: date, archived_at: datetime | None = None) -> None:
        self.next_due_on = next_due_on
        self.archived_at = archived_at


def test_flagged_overdue_from_30_days() -> None:
    due = date(2027, 1, 20)
    assert not flagged_overdue(_Row(due), date(2027, 2, 18))
    assert flagged_overdue(_Row(due), date(2027, 2, 19))
    assert not flagged_overdue(_Row(due, archived_at=at("2027-02-01", "10:00")), date(2027, 3, 1))


def test_snooze_adds_a_week_up_to_four_weeks_from_now() -> None:
    now = at("2027-01-05", "10:00")
    first = snooze_until(None, now)
    assert first == now + timedelta(weeks=1)
    until = first
    for _ in range(6):
        until = snooze_until(until, now)
    assert until == now + timedelta(weeks=4)
    assert snooze_until(now - timedelta(days=1), now) == now + timedelta(weeks=1)


# --- planning --------------------------------------------------------------------------------


def test_due_day_nudges_owners_and_the_team_channel() -> None:
    planned = plan_nudges([service()], at("2027-01-20", "10:00"), PEOPLE, HOURS)
    assert keys(planned) == {("due", "0", "ULDN"), ("due", "0", "CTEAM")}
    dm = next(n for n in planned if n.audience is Audience.OWNER)
    assert dm.key == NudgeKey(7, "due", date(2027, 1, 20), "0", "ULDN")
    assert "due today" in dm.what
    assert "registered on Mon 21 Dec 2026" in dm.why
    assert not dm.no_active_owner


def test_upcoming_is_a_dm_only() -> None:
    planned = plan_nudges([service()], at("2027-01-06", "10:00"), PEOPLE, HOURS)
    assert keys(planned) == {("upcoming", "0", "ULDN")}
    assert "due in 14 days" in planned[0].what


def test_overdue_occurrence_is_weeks_overdue_and_flags_after_30_days() -> None:
    planned = plan_nudges([service()], at("2027-02-22", "10:00"), PEOPLE, HOURS)
    assert keys(planned) == {("overdue", "4", "ULDN"), ("overdue", "4", "CTEAM")}
    assert "overdue by 33 days" in planned[0].what
    assert "leadership summary" in planned[0].what


def test_each_owner_in_their_own_working_hours() -> None:
    both = service(owner_ids=("ULDN", "UNY"))
    morning = plan_nudges([both], at("2027-01-20", "10:00"), PEOPLE, HOURS)
    assert keys(morning) == {("due", "0", "ULDN"), ("due", "0", "CTEAM")}
    evening = plan_nudges([both], at("2027-01-20", "18:00"), PEOPLE, HOURS)
    assert keys(evening) == {("due", "0", "UNY")}


def test_leavers_are_skipped() -> None:
    planned = plan_nudges(
        [service(owner_ids=("UGONE", "ULDN", "UNKNOWN"))], at("2027-01-20", "10:00"), PEOPLE, HOURS
    )
    assert keys(planned) == {("due", "0", "ULDN"), ("due", "0", "CTEAM")}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2027-01-06", {("upcoming", "0", "CTEAM")}),
        ("2027-01-20", {("due", "0", "CTEAM")}),
        ("2027-02-22", {("overdue", "4", "CTEAM")}),
    ],
)
def test_no_reachable_owner_tells_the_channel(day: str, expected: set[object]) -> None:
    ownerless = service(owner_ids=("UGONE", "UNKNOWN"))
    planned = plan_nudges([ownerless], at(day, "10:00"), PEOPLE, HOURS)
    assert keys(planned) == expected
    assert all(n.no_active_owner for n in planned)


def test_archived_and_snoozed_services_are_never_nudged() -> None:
    now = at("2027-01-20", "10:00")
    assert plan_nudges([service(archived=True)], now, PEOPLE, HOURS) == []
    snoozed = service(snoozed_until=now + timedelta(minutes=1))
    assert plan_nudges([snoozed], now, PEOPLE, HOURS) == []
    assert plan_nudges([replace(snoozed, snoozed_until=now)], now, PEOPLE, HOURS) != []


def test_stalled_after_14_days_without_an_answer() -> None:
    work = InProgress(
        assessment_id=3,
        started_at=at("2027-03-01", "10:00"),
        last_answer_at=at("2027-03-02", "15:00"),
        answered_points=4,
        point_count=15,
    )
    later = service(next_due_on=date(2027, 9, 1), in_progress=work)
    assert plan_nudges([later], at("2027-03-16", "14:59"), PEOPLE, HOURS) == []
    planned = plan_nudges([later], at("2027-03-16", "15:00"), PEOPLE, HOURS)
    assert [n.key for n in planned] == [
        NudgeKey(7, "stalled", date(2027, 3, 16), "2027-03-02", "ULDN")
    ]
    assert "no answers since Tue 2 Mar 2027 (4 of 15 points answered)" in planned[0].what
    ownerless = replace(later, owner_ids=("UGONE",))
    planned = plan_nudges([ownerless], at("2027-03-16", "15:00"), PEOPLE, HOURS)
    assert keys(planned) == {("stalled", "2027-03-02", "CTEAM")}


def test_digests_group_per_recipient_in_chunks() -> None:
    services = [service(id=i, name=f"S{i}", owner_ids=("ULDN",)) for i in range(1, 8)]
    planned = plan_nudges(services, at("2027-01-20", "10:00"), PEOPLE, HOURS)
    deliveries = group_deliveries(planned, max_items=3)
    # Every recipient's first digest before anyone's second (Slack limits posts per channel).
    assert [(d.recipient, len(d.nudges)) for d in deliveries] == [
        ("CTEAM", 3),
        ("ULDN", 3),
        ("CTEAM", 3),
        ("ULDN", 3),
        ("CTEAM", 1),
        ("ULDN", 1),
    ]


# --- a year in the life of one service ---------------------------------------------------------


class Life:
    """One service, its owners and a clock; sends each planned nudge once, as the claim would."""

    def __init__(self, subject: ServiceDue) -> None:
        self.service = subject
        self.sent: dict[NudgeKey, datetime] = {}
        self.texts: dict[NudgeKey, str] = {}
        self.settled_ticks = 0

    def tick(self, now: datetime) -> None:
        planned = plan_nudges([self.service], now, PEOPLE, HOURS)
        if is_settled(self.service, now, HOURS, self.sent.__contains__):
            # The shortcut that spares Slack lookups must never hide an unsent nudge.
            assert all(nudge.key in self.sent for nudge in planned), (now, planned)
            self.settled_ticks += 1
        for nudge in planned:
            if nudge.key not in self.sent:
                self.sent[nudge.key] = now
                self.texts[nudge.key] = nudge.what


def local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %a %H:%M")


def test_a_year_of_nudges_for_a_new_york_owner() -> None:
    registered = at("2026-11-25", "10:00")
    life = Life(
        service(
            owner_ids=("UNY", "UGONE"),
            created_at=registered,
            next_due_on=registered.date() + timedelta(days=30),  # Christmas Day
        )
    )
    first_answers = at("2027-01-14", "16:00")

    def start_assessment(s: ServiceDue) -> ServiceDue:
        return replace(
            s, in_progress=InProgress(9, at("2027-01-12", "15:00"), first_answers, 5, 15)
        )

    def complete(on: date) -> Callable[[ServiceDue], ServiceDue]:
        def apply(s: ServiceDue) -> ServiceDue:
            return replace(
                s,
                in_progress=None,
                last_assessed_on=on,
                next_due_on=add_months(on, s.interval_months),
                due_reason=DueReason.INTERVAL,
            )

        return apply

    def change_phase(s: ServiceDue) -> ServiceDue:
        return replace(
            s, phase="live", next_due_on=date(2027, 3, 15), due_reason=DueReason.PHASE_CHANGE
        )

    events: dict[datetime, Callable[[ServiceDue], ServiceDue]] = {
        first_answers: start_assessment,
        at("2027-02-03", "12:00"): complete(date(2027, 2, 3)),
        at("2027-03-15", "11:00"): change_phase,
        at("2027-04-01", "10:00"): complete(date(2027, 4, 1)),
    }
    now, end = registered, registered + timedelta(days=365)
    while now < end:
        if now in events:
            life.service = events[now](life.service)
        life.tick(now)
        now += timedelta(minutes=15)

    def sent_to(recipient: str, tz: ZoneInfo) -> list[tuple[str, str, str]]:
        return sorted(
            (local(when, tz), key.stage, key.occurrence)
            for key, when in life.sent.items()
            if key.recipient == recipient
        )

    assert sent_to("UNY", NEW_YORK) == [
        ("2026-12-11 Fri 09:00", "upcoming", "0"),
        ("2026-12-29 Tue 09:00", "due", "0"),  # 25 Dec, weekend, 28 Dec (Boxing Day observed)
        ("2027-01-04 Mon 09:00", "overdue", "1"),  # 1 Jan is a bank holiday
        ("2027-01-08 Fri 09:00", "overdue", "2"),
        ("2027-01-15 Fri 09:00", "overdue", "3"),
        ("2027-01-22 Fri 09:00", "overdue", "4"),
        ("2027-01-28 Thu 11:00", "stalled", "2027-01-14"),  # 14 days after the last answer
        ("2027-01-29 Fri 09:00", "overdue", "5"),
        ("2027-03-15 Mon 09:00", "due", "0"),  # the phase change at 11:00 London (07:00 NY)
        ("2027-03-22 Mon 09:00", "overdue", "1"),
        ("2027-03-30 Tue 09:00", "overdue", "2"),  # 29 March is Easter Monday
        ("2027-09-17 Fri 09:00", "upcoming", "0"),
        ("2027-10-01 Fri 09:00", "due", "0"),
        ("2027-10-08 Fri 09:00", "overdue", "1"),
        ("2027-10-15 Fri 09:00", "overdue", "2"),
        ("2027-10-22 Fri 09:00", "overdue", "3"),
        ("2027-10-29 Fri 09:00", "overdue", "4"),
        ("2027-11-05 Fri 09:00", "overdue", "5"),
        ("2027-11-12 Fri 09:00", "overdue", "6"),
        ("2027-11-19 Fri 09:00", "overdue", "7"),
    ]
    assert sent_to("CTEAM", LONDON) == [
        ("2026-12-29 Tue 09:00", "due", "0"),
        ("2027-01-04 Mon 09:00", "overdue", "1"),
        ("2027-01-08 Fri 09:00", "overdue", "2"),
        ("2027-01-15 Fri 09:00", "overdue", "3"),
        ("2027-01-22 Fri 09:00", "overdue", "4"),
        ("2027-01-29 Fri 09:00", "overdue", "5"),
        ("2027-03-15 Mon 11:00", "due", "0"),
        ("2027-03-22 Mon 09:00", "overdue", "1"),
        ("2027-03-30 Tue 09:00", "overdue", "2"),
        ("2027-10-01 Fri 09:00", "due", "0"),
        ("2027-10-08 Fri 09:00", "overdue", "1"),
        ("2027-10-15 Fri 09:00", "overdue", "2"),
        ("2027-10-22 Fri 09:00", "overdue", "3"),
        ("2027-10-29 Fri 09:00", "overdue", "4"),
        ("2027-11-05 Fri 09:00", "overdue", "5"),
        ("2027-11-12 Fri 09:00", "overdue", "6"),
        ("2027-11-19 Fri 09:00", "overdue", "7"),
    ]
    assert not any(key.recipient == "UGONE" for key in life.sent)
    for key, when in life.sent.items():
        tz = NEW_YORK if key.recipient == "UNY" else LONDON
        assert HOURS.is_working_time(when, tz), (key, when)
        assert is_working_day(when.astimezone(tz).date(), "ENG")
    flagged = [k for k, text in life.texts.items() if "leadership summary" in text]
    assert {(k.due_on, k.occurrence) for k in flagged} == {
        (date(2026, 12, 25), "5"),  # 35 days overdue on 29 Jan
        *((date(2027, 10, 1), str(n)) for n in (5, 6, 7)),
    }
    assert all(when.tzinfo is not None for when in life.sent.values())
    # Most ticks need no Slack lookups; the leaver's DMs never go out, so while a stage is
    # current the service stays unsettled (the directory's cache absorbs those lookups).
    assert life.settled_ticks > 0.7 * 365 * 24 * 4
    assert min(life.sent.values()).astimezone(UTC) > registered


def test_settled_services_need_no_lookups_but_ownerless_ones_always_do() -> None:
    now = at("2027-01-20", "10:00")
    subject = service(owner_ids=("ULDN", "UNY"))
    sent: set[NudgeKey] = set()
    assert not is_settled(subject, now, HOURS, sent.__contains__)
    sent |= {n.key for n in plan_nudges([subject], now, PEOPLE, HOURS)}
    # New York is not at work yet, so its DM is still to come.
    assert not is_settled(subject, now, HOURS, sent.__contains__)
    sent.add(NudgeKey(7, "due", date(2027, 1, 20), "0", "UNY"))
    assert is_settled(subject, now, HOURS, sent.__contains__)
    assert not is_settled(replace(subject, owner_ids=()), now, HOURS, sent.__contains__)
    assert is_settled(replace(subject, archived=True), now, HOURS, lambda _: False)
    far = replace(subject, next_due_on=date(2027, 6, 1))
    assert is_settled(far, now, HOURS, lambda _: False)
    # On a Saturday nobody anywhere can be nudged, so no lookups at all.
    assert is_settled(subject, at("2027-01-23", "12:00"), HOURS, lambda _: False)


ZONES = [
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Pago_Pago",  # UTC−11
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    minutes=st.integers(0, 366 * 24 * 60),
    due_offset=st.integers(-40, 20),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3),
    stalled_days=st.one_of(st.none(), st.integers(10, 30)),
    data=st.data(),
)
def test_settled_never_hides_an_unsent_nudge(
    minutes: int,
    due_offset: int,
    zones: list[str],
    stalled_days: int | None,
    data: st.DataObject,
) -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    owners = [Person(id=f"U{n}", name=f"P{n}", tz=zone) for n, zone in enumerate(zones)]
    work = None
    if stalled_days is not None:
        last = now - timedelta(days=stalled_days)
        work = InProgress(1, last - timedelta(days=1), last, 3, 15)
    subject = service(
        owner_ids=tuple(p.id for p in owners),
        next_due_on=now.date() + timedelta(days=due_offset),
        in_progress=work,
    )
    # Every key any owner in any timezone could be sent now: the settled check's world.
    everything: set[NudgeKey] = set()
    for zone in ZONES:
        anywhere = {p.id: replace(p, tz=zone) for p in owners}
        everything |= {n.key for n in plan_nudges([subject], now, anywhere, HOURS)}
    done = set(data.draw(st.lists(st.sampled_from(sorted(everything))))) if everything else set()
    people: dict[str, Person | None] = {p.id: p for p in owners}
    planned = {n.key for n in plan_nudges([subject], now, people, HOURS)}
    for sent in (done, everything):
        if is_settled(subject, now, HOURS, sent.__contains__):
            assert planned <= sent
