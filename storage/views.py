"""Read-only snapshots of rows, for everything that renders: Block Kit, reports, summaries.

Builders of Slack messages take these instead of ORM rows, so a message can be built after
its session has closed (no lazy load can run, and none can surprise a benchmark), from a
narrow query that selected only the columns it shows, and in tests without a database.
`storage.view_rows` turns ORM rows into these; list queries build them from plain columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.values import AssessmentStatus, ServiceType


@dataclass(frozen=True)
class ServiceView:
    id: int
    team_id: str
    name: str
    standard_id: str
    phase: str
    team_channel_id: str
    next_due_on: date
    owner_ids: tuple[str, ...] = ()
    service_type: str = ServiceType.TRANSACTIONAL.value
    description: str = ""
    interval_months: int = 12
    last_assessed_on: date | None = None
    due_reason: str = ""
    snoozed_until: datetime | None = None
    publishable: bool = False


@dataclass(frozen=True)
class AssessmentView:
    id: int
    service_id: int
    standard_id: str
    standard_title: str
    phase: str
    status: str
    started_at: datetime
    point_count: int
    channel_id: str = ""
    thread_ts: str | None = None
    started_by: str = ""
    standard_version: str = ""
    completed_at: datetime | None = None
    # The snapshot of point titles, (number, title) in number order; empty when the reader
    # only needed counts (lists), in which case points are 1..point_count.
    points: tuple[tuple[int, str], ...] = ()

    @property
    def in_progress(self) -> bool:
        return self.status == AssessmentStatus.IN_PROGRESS

    @property
    def point_numbers(self) -> list[int]:
        if self.points:
            return [number for number, _ in self.points]
        return list(range(1, self.point_count + 1))

    @property
    def titles(self) -> dict[int, str]:
        return dict(self.points)


@dataclass(frozen=True)
class AnswerView:
    """The newest answer of one point (answers are append-only; this is the row that wins)."""

    point_number: int
    rating: str
    answered_by: str
    answered_at: datetime
    evidence: str = ""
    evidence_links: tuple[str, ...] = ()
    id: int = 0
    assessment_id: int = 0


@dataclass(frozen=True)
class ActionItem:
    """An improvement action as it stood when read (the row changes; this never does)."""

    id: int
    team_id: str
    service_id: int
    assessment_id: int
    point_number: int
    text: str
    owner_id: str
    due_on: date
    status: str
    created_by: str
    created_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None
    note: str = ""
    evidence_links: tuple[str, ...] = ()
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class InvitationView:
    """A peer-review invitation: the one grant a reviewer has, and where its thread is."""

    id: int
    team_id: str
    service_id: int
    assessment_id: int
    reviewer_id: str
    reviewer_team_id: str
    reviewer_name: str
    reviewer_org: str
    invited_by: str
    invited_at: datetime
    expires_at: datetime
    channel_id: str
    thread_ts: str | None = None
    assessment_link: str | None = None
    finished_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None


@dataclass(frozen=True)
class ChallengeResponseView:
    """An owner's answer to a challenge: accepted, or responded with a note for the reviewer."""

    id: int
    invitation_id: int
    verdict_id: int
    point_number: int
    kind: str
    responded_by: str
    responded_at: datetime
    note: str = ""
    links: tuple[str, ...] = ()
    answer_id: int | None = None


@dataclass(frozen=True)
class VerdictView:
    """One word of a reviewer on one point: agree or challenge, in a round of the exchange."""

    id: int
    invitation_id: int
    assessment_id: int
    point_number: int
    round: int
    verdict: str
    team_rating: str
    reviewer_rating: str
    given_by: str
    given_at: datetime
    comment: str = ""
