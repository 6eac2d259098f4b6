"""The conversational assessment: one point at a time, nothing lost, nothing posted twice.

The order of cards is derived from the database every time (answers and the cards already
posted), never from memory, so a restart, a second replica or an old card clicked days later
all continue the same flow. A card is reserved in the database before it is posted; the unique
key on (assessment, point, attempt) means two people answering at once reserve it only once.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.core.due import DueReason, due_after_completion
from standards import Standard
from storage.assessment_queries import cards_of, current_answers, reserve_card
from storage.models import Answer, Assessment, AssessmentPoint, Card, CardStatus, Service
from storage.values import AssessmentStatus, Rating
from storage.views import AnswerView

SUPERSEDED = "superseded"
MAX_LINKS = 10
LINK_LIMIT = 500
EVIDENCE_LIMIT = 3000


class FlowError(Exception):
    """Something the person asked for cannot be done; the message says why."""


@dataclass(frozen=True)
class Tally:
    total: int
    met: int
    partly_met: int
    not_met: int
    not_applicable: int
    unanswered: tuple[int, ...]
    not_met_points: tuple[int, ...]

    @property
    def answered(self) -> int:
        return self.total - len(self.unanswered)

    @property
    def complete(self) -> bool:
        return not self.unanswered


def tally(point_numbers: Sequence[int], answers: Mapping[int, Answer | AnswerView]) -> Tally:
    ratings = {number: answers[number].rating for number in point_numbers if number in answers}
    counted = list(ratings.values())
    return Tally(
        total=len(point_numbers),
        met=counted.count(Rating.MET),
        partly_met=counted.count(Rating.PARTLY_MET),
        not_met=counted.count(Rating.NOT_MET),
        not_applicable=counted.count(Rating.NOT_APPLICABLE),
        unanswered=tuple(number for number in point_numbers if number not in ratings),
        not_met_points=tuple(
            number for number in point_numbers if ratings.get(number) == Rating.NOT_MET
        ),
    )


def point_numbers(assessment: Assessment) -> list[int]:
    return [point.number for point in assessment.points]


def start_assessment(
    service: Service,
    standard: Standard,
    *,
    user_id: str,
    channel_id: str,
    thread_ts: str | None,
    now: datetime,
    session: Session,
) -> Assessment:
    """A new assessment with a snapshot of the standard's point titles as they read today."""
    assessment = Assessment(
        team_id=service.team_id,
        service_id=service.id,
        standard_id=standard.id,
        standard_version=standard.version,
        standard_title=standard.title,
        phase=service.phase,
        status=AssessmentStatus.IN_PROGRESS,
        started_by=user_id,
        started_at=now,
        channel_id=channel_id,
        thread_ts=thread_ts,
        point_count=standard.point_count,
        points=[AssessmentPoint(number=p.number, title=p.title) for p in standard.points],
    )
    session.add(assessment)
    session.flush()
    return assessment


def check_point(assessment: Assessment, point_number: int) -> None:
    if point_number not in point_numbers(assessment):
        raise FlowError(f"Point {point_number} is not part of this assessment.")


def record_rating(
    assessment: Assessment,
    point_number: int,
    rating: Rating,
    *,
    user_id: str,
    now: datetime,
    session: Session,
    reason: str | None = None,
    answers: MutableMapping[int, Answer] | None = None,
) -> Answer | None:
    """Append a rating; None when it repeats the current answer by the same person.

    A double click (or Slack redelivering a click) must not add a second row, while two
    different people rating the same point both land in history. `answers`: the current
    answers the caller already loaded in this transaction (a click loads them once); the new
    answer is put in it.
    """
    check_point(assessment, point_number)
    answers = _loaded(assessment, answers, session)
    current = answers.get(point_number)
    evidence = current.evidence if current is not None else ""
    links = list(current.evidence_links) if current is not None else []
    if rating == Rating.NOT_APPLICABLE:
        if not reason or not reason.strip():
            raise FlowError("Not applicable needs a reason.")
        evidence = reason.strip()[:EVIDENCE_LIMIT]
    elif current is not None and current.rating == Rating.NOT_APPLICABLE:
        evidence, links = "", []  # the n/a reason is not evidence for a real rating
    if (
        current is not None
        and current.rating == rating
        and current.answered_by == user_id
        and current.evidence == evidence
    ):
        return None
    answer = Answer(
        team_id=assessment.team_id,
        assessment_id=assessment.id,
        point_number=point_number,
        rating=rating,
        evidence=evidence,
        evidence_links=links,
        answered_by=user_id,
        answered_at=now,
    )
    session.add(answer)
    close_cards(assessment.id, point_number, CardStatus.ANSWERED, user_id, now, session)
    session.flush()
    answers[point_number] = answer
    return answer


def _loaded(
    assessment: Assessment, answers: MutableMapping[int, Answer] | None, session: Session
) -> MutableMapping[int, Answer]:
    return current_answers(assessment.id, session=session) if answers is None else answers


def record_evidence(
    assessment: Assessment,
    point_number: int,
    note: str,
    links: Sequence[str],
    *,
    user_id: str,
    now: datetime,
    session: Session,
    answers: MutableMapping[int, Answer] | None = None,
) -> Answer:
    """Evidence is part of the answer: adding or changing it appends a row like a rating."""
    check_point(assessment, point_number)
    answers = _loaded(assessment, answers, session)
    current = answers.get(point_number)
    if current is None:
        raise FlowError("Rate this point first, then add its evidence.")
    answer = Answer(
        team_id=assessment.team_id,
        assessment_id=assessment.id,
        point_number=point_number,
        rating=current.rating,
        evidence=note.strip()[:EVIDENCE_LIMIT],
        evidence_links=list(links)[:MAX_LINKS],
        answered_by=user_id,
        answered_at=now,
    )
    session.add(answer)
    session.flush()
    answers[point_number] = answer
    return answer


def parse_links(text: str) -> tuple[list[str], str | None]:
    """Links one per line (or separated by spaces); an error message for anything else."""
    links = [word for word in text.split() if word]
    if len(links) > MAX_LINKS:
        return [], f"Add at most {MAX_LINKS} links."
    for link in links:
        if not link.startswith(("https://", "http://")) or len(link) > LINK_LIMIT:
            return [], f"Links must start with https:// (and be under {LINK_LIMIT} characters)."
        if any(ch in link for ch in "<>|\"'"):
            return [], "Links can't contain <, >, | or quotes."
    return links, None


def skip_point(
    assessment: Assessment, point_number: int, *, user_id: str, now: datetime, session: Session
) -> None:
    check_point(assessment, point_number)
    close_cards(assessment.id, point_number, CardStatus.SKIPPED, user_id, now, session)


def close_cards(
    assessment_id: int,
    point_number: int,
    status: str,
    user_id: str,
    now: datetime,
    session: Session,
) -> None:
    session.execute(
        update(Card)
        .where(
            Card.assessment_id == assessment_id,
            Card.point_number == point_number,
            Card.status == CardStatus.OPEN,
        )
        .values(status=status, closed_by=user_id, closed_at=now)
    )


def supersede_open_cards(assessment_id: int, *, now: datetime, session: Session) -> None:
    """On resume the current card is posted again at the bottom of the thread."""
    session.execute(
        update(Card)
        .where(Card.assessment_id == assessment_id, Card.status == CardStatus.OPEN)
        .values(status=SUPERSEDED, closed_at=now)
    )


@dataclass(frozen=True)
class NextCard:
    point_number: int
    attempt: int


def plan_next_card(
    numbers: Sequence[int], answered: set[int], cards: Sequence[Card]
) -> NextCard | None:
    """Which card comes next, or None (an open card is waiting, or every point is rated).

    First pass in point order; then the skipped points come back, each with a new attempt.
    """
    open_points = {card.point_number for card in cards if card.status == CardStatus.OPEN}
    if open_points - answered:
        return None
    attempts: dict[int, int] = {}
    for card in cards:
        attempts[card.point_number] = attempts.get(card.point_number, 0) + 1
    # A superseded card (re-posted on resume) does not count as the point having had its turn.
    had_turn = {card.point_number for card in cards if card.status != SUPERSEDED}
    unanswered = [number for number in numbers if number not in answered]
    for number in unanswered:
        if number not in had_turn:
            return NextCard(number, attempts.get(number, 0))
    for number in unanswered:
        return NextCard(number, attempts[number])
    return None


@dataclass(frozen=True)
class ReservedCard:
    id: int
    point_number: int
    attempt: int

    @property
    def came_back(self) -> bool:
        """A skipped point's later turn (a card re-posted on resume counts too)."""
        return self.attempt > 0


def reserve_next_card(
    assessment: Assessment,
    *,
    now: datetime,
    session: Session,
    answers: Mapping[int, Answer] | None = None,
    cards: Sequence[Card] | None = None,
) -> ReservedCard | None:
    """Reserve the next card if this transaction is the one to post it. `answers` and
    `cards`: what the caller already loaded in this transaction, after its writes."""
    if assessment.status != AssessmentStatus.IN_PROGRESS:
        return None
    if answers is None:
        answers = current_answers(assessment.id, session=session)
    if cards is None:
        cards = cards_of(assessment.id, session=session)
    planned = plan_next_card(point_numbers(assessment), set(answers), cards)
    if planned is None:
        return None
    card_id = reserve_card(
        assessment_id=assessment.id,
        point_number=planned.point_number,
        attempt=planned.attempt,
        channel_id=assessment.channel_id,
        now=now,
        session=session,
    )
    return None if card_id is None else ReservedCard(card_id, planned.point_number, planned.attempt)


def complete_if_done(
    assessment: Assessment,
    service: Service | None,
    *,
    now: datetime,
    tz: ZoneInfo,
    session: Session,
    answers: Mapping[int, Answer] | None = None,
) -> Tally | None:
    """Close the assessment when every point has a rating; the tally only for the closer.

    `service` None: read here, and only by the closing call (the only one that writes to
    it), so a click that does not complete need not read it in its transaction."""
    if assessment.status != AssessmentStatus.IN_PROGRESS:
        return None
    if answers is None:
        answers = current_answers(assessment.id, session=session)
    result = tally(point_numbers(assessment), answers)
    if not result.complete:
        return None
    if service is None:
        service = session.get(Service, assessment.service_id)
        assert service is not None  # a foreign key
    assessment.status = AssessmentStatus.COMPLETED
    assessment.completed_at = now
    today = now.astimezone(tz).date()
    service.last_assessed_on = today
    service.next_due_on = due_after_completion(today, service.interval_months)
    service.due_reason = DueReason.INTERVAL
    service.updated_at = now
    session.flush()
    return result
