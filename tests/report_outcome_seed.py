"""A relational service with outcome measures, for the report's outcome tests (#13 in #16).

"Adult care" (publishable, relational) has a completed assessment rating points 1 and 2 met and
point 3 partly met, and two measures with three monthly readings each:
- "Control over daily life" (%, higher is better, target 80, evidence for point 1): 82, 75, 72
  — off target in its last two readings while point 1 is rated met, so the report must say
  "met on paper, off target in practice";
- "Days to first visit" (days, lower is better, target 10, points 2 and 3): 12, 9, 8 — on target.
The latest reading of the first has a note that must not be published without evidence.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from storage.outcome_queries import MeasureFields, add_measure, add_reading
from storage.values import Period
from tests.report_seed import TITLES_NEW
from tests.test_export import T0, add_answer, add_assessment, add_service

CARE = "Adult care"
CONTROL = "Control over daily life"
VISITS = "Days to first visit"
READING_NOTE = "Dip after staff shortage, see Mrs Patel's case"
PERIODS = (
    Period(date(2025, 11, 1), date(2025, 11, 30)),
    Period(date(2025, 12, 1), date(2025, 12, 31)),
    Period(date(2026, 1, 1), date(2026, 1, 31)),
)


def seed_outcomes(
    sessions: sessionmaker[Session],
    *,
    team_id: str = "T1",
    name: str = CARE,
    measure_name: str = CONTROL,
    note: str = READING_NOTE,
) -> int:
    """The service's id."""
    with sessions.begin() as session:
        service = add_service(session, name, team_id=team_id)
        service.service_type = "relational"
        service.publishable = True
        assessment = add_assessment(
            session, service, TITLES_NEW, started_at=T0, completed_at=T0 + timedelta(days=1)
        )
        for number, rating in ((1, "met"), (2, "met"), (3, "partly_met")):
            add_answer(session, assessment, number, rating, at=T0)
        control = add_measure(
            session=session,
            service=service,
            fields=MeasureFields(
                name=measure_name,
                counts="People who say they have control over their daily life",
                unit="percent",
                better_when="higher",
                target=Decimal(80),
                frequency="monthly",
                source="Annual survey",
                points=(("lgdss", 1),),
            ),
            user_id="UOWNER",
            now=T0,
        )
        visits = add_measure(
            session=session,
            service=service,
            fields=MeasureFields(
                name=VISITS,
                counts="Days from referral to first visit",
                unit="days",
                better_when="lower",
                target=Decimal(10),
                frequency="monthly",
                source="Case system",
                points=(("lgdss", 2), ("lgdss", 3)),
            ),
            user_id="UOWNER",
            now=T0,
        )
        for index, period in enumerate(PERIODS):
            last = index == len(PERIODS) - 1
            for measure, value in ((control, (82, 75, 72)[index]), (visits, (12, 9, 8)[index])):
                add_reading(
                    session=session,
                    measure=measure,
                    period=period,
                    value=Decimal(value),
                    note=note if last and measure is control else "",
                    user_id="UOWNER",
                    now=T0,
                )
        return service.id
