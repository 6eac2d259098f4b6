"""The database schema, as typed SQLAlchemy 2.0 models.

Every row carries the Slack workspace (`team_id`) it belongs to, directly or through its
service, so one database can serve many workspaces and every query can be scoped to one.
Answers are append-only: changing a rating or its evidence adds a row and the newest row wins,
so nothing a team said is ever lost. Assessments keep a snapshot of the point titles they were
answered against, so they stay readable after a standard file changes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime
from storage.values import ActionStatus, AssessmentStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SlackId = Annotated[str, mapped_column(String(32))]
Timestamp = Annotated[datetime, mapped_column(UTCDateTime())]
OptionalTimestamp = Annotated[datetime | None, mapped_column(UTCDateTime(), nullable=True)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CardStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    SKIPPED = "skipped"


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("team_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    standard_id: Mapped[str] = mapped_column(String(40))
    phase: Mapped[str] = mapped_column(String(16))
    team_channel_id: Mapped[SlackId]
    interval_months: Mapped[int]
    last_assessed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    next_due_on: Mapped[date] = mapped_column(Date)
    due_reason: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[SlackId]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    archived_at: Mapped[OptionalTimestamp]
    archived_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    snoozed_until: Mapped[OptionalTimestamp]
    # The day the phase last changed (a reassessment is due from then until one completes).
    phase_changed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Whether `assessbot publish` may put this service's results on a public site (#16).
    publishable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Outcomes (#13): transactional (forms, payments) or relational (care, casework).
    service_type: Mapped[str] = mapped_column(
        String(16), default="transactional", server_default="transactional"
    )

    owners: Mapped[list[ServiceOwner]] = relationship(
        back_populates="service",
        cascade="all, delete-orphan",
        order_by="ServiceOwner.user_id",
        lazy="selectin",  # owners are needed wherever a service is (permissions, messages)
    )

    @property
    def owner_ids(self) -> list[str]:
        return [owner.user_id for owner in self.owners]

    def __repr__(self) -> str:
        return f"Service(id={self.id}, team_id={self.team_id!r}, name={self.name!r})"


class ServiceOwner(Base):
    __tablename__ = "service_owners"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)

    service: Mapped[Service] = relationship(back_populates="owners")


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        # One assessment in progress per service: a second /assess start resumes it.
        Index(
            "uq_assessments_one_in_progress",
            "service_id",
            unique=True,
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    standard_id: Mapped[str] = mapped_column(String(40))
    standard_version: Mapped[str] = mapped_column(String(40))
    standard_title: Mapped[str] = mapped_column(String(150))
    phase: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=AssessmentStatus.IN_PROGRESS)
    started_by: Mapped[SlackId]
    started_at: Mapped[Timestamp]
    completed_at: Mapped[OptionalTimestamp]
    channel_id: Mapped[SlackId]
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    point_count: Mapped[int]

    service: Mapped[Service] = relationship()
    points: Mapped[list[AssessmentPoint]] = relationship(
        back_populates="assessment",
        cascade="all, delete-orphan",
        order_by="AssessmentPoint.number",
        lazy="selectin",  # the snapshot is needed wherever an assessment is shown
    )

    def __repr__(self) -> str:
        return f"Assessment(id={self.id}, service_id={self.service_id}, status={self.status!r})"


class AssessmentPoint(Base):
    """The point as it read when the assessment started (the snapshot)."""

    __tablename__ = "assessment_points"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(150))

    assessment: Mapped[Assessment] = relationship(back_populates="points")


class Answer(Base):
    """One rating (with its evidence) given for one point; never updated, only appended."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_assessment_point", "assessment_id", "point_number", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    point_number: Mapped[int]
    rating: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_links: Mapped[list[str]] = mapped_column(JSON, default=list)
    answered_by: Mapped[SlackId]
    answered_at: Mapped[Timestamp]

    def __repr__(self) -> str:
        return (
            f"Answer(id={self.id}, assessment_id={self.assessment_id}, "
            f"point={self.point_number}, rating={self.rating!r})"
        )


class Card(Base):
    """A point's card posted in an assessment thread.

    The unique key makes "post the next card" idempotent: when two people answer at once, both
    try to reserve the same (point, attempt) and only one wins and posts. A reserved card without
    a `message_ts` was never posted (a crash between reserve and post) and is posted on resume.
    """

    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("assessment_id", "point_number", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    point_number: Mapped[int]
    attempt: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=CardStatus.OPEN)
    channel_id: Mapped[SlackId]
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reserved_at: Mapped[Timestamp]
    posted_at: Mapped[OptionalTimestamp]
    closed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    closed_at: Mapped[OptionalTimestamp]


class CompletionPost(Base):
    """An assessment's completion message, claimed for one channel before it is posted.

    The claim is committed with the completion itself, so whichever process (or retry) comes
    next knows the message is owed; `status` becomes `sent` once Slack has it. A claim left
    `claimed` for long (its process stopped, or Slack's answer was lost) is looked for in the
    conversation before it is posted again.
    """

    __tablename__ = "completion_posts"
    __table_args__ = (UniqueConstraint("assessment_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    channel_id: Mapped[SlackId]
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    broadcast: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.CLAIMED)
    claimed_at: Mapped[Timestamp]
    claimed_by: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    sent_at: Mapped[OptionalTimestamp]
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Snooze(Base):
    """Who snoozed a service's reminders and until when (history; the service holds the latest)."""

    __tablename__ = "snoozes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    snoozed_by: Mapped[SlackId]
    snoozed_at: Mapped[Timestamp]
    until: Mapped[Timestamp]


class Nudge(Base):
    """A reminder claimed before it is sent, so that it is sent exactly once.

    The unique key is the nudge's identity; inserting it is the claim. `status` becomes `sent`
    after Slack accepted the message. A claim left `claimed` by a crash is retried later.
    """

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("service_id", "stage", "due_on", "occurrence", "recipient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    occurrence: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[SlackId]
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.CLAIMED)
    claimed_at: Mapped[Timestamp]
    claimed_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[OptionalTimestamp]
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)


class WorkspaceSettings(Base):
    """Per-workspace settings edited in Slack (`/assess settings`)."""

    __tablename__ = "workspace_settings"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    summary_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary_weekday: Mapped[int] = mapped_column(Integer, default=0)
    summary_time: Mapped[str] = mapped_column(String(5), default="09:00")
    summary_phases: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_by: Mapped[SlackId]
    updated_at: Mapped[Timestamp]


class SummaryPost(Base):
    """A leadership summary claimed for one channel and one scheduled week.

    Scheduled summaries have `scheduled_for` set and are unique per channel and week; extra
    posts from `/assess summary` leave it empty, so they never collide and never become the
    baseline for trends. `figures` keeps the headline numbers the next summary compares with.
    """

    __tablename__ = "summary_posts"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId]
    channel_id: Mapped[SlackId]
    scheduled_for: Mapped[OptionalTimestamp]
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.CLAIMED)
    claimed_at: Mapped[Timestamp]
    claimed_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[OptionalTimestamp]
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProcessedEvent(Base):
    """Slack Events API deliveries already handled: Slack retries, Bolt does not deduplicate."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[SlackId]
    received_at: Mapped[Timestamp]


# --- improvement actions (#14) -----------------------------------------------------------------


class ActionChange(StrEnum):
    """What one history row of an action records."""

    CREATED = "created"
    DONE = "done"
    DROPPED = "dropped"
    REDATED = "redated"
    SNOOZED = "snoozed"


class ImprovementAction(Base):
    """What a team will do about a point not met, who does it and by when.

    The row holds the action's current state; every change also appends an `ActionEvent`, so
    the history is kept like answers are. An action belongs to the assessment it arose in.
    """

    __tablename__ = "actions"
    __table_args__ = (
        Index("ix_actions_service_point", "service_id", "point_number"),
        Index("ix_actions_owner_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    point_number: Mapped[int]
    text: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[SlackId]
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.OPEN)
    created_by: Mapped[SlackId]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    closed_at: Mapped[OptionalTimestamp]
    closed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")  # the done note, or why it was dropped
    evidence_links: Mapped[list[str]] = mapped_column(JSON, default=list)
    snoozed_until: Mapped[OptionalTimestamp]

    def __repr__(self) -> str:
        return (
            f"ImprovementAction(id={self.id}, service_id={self.service_id}, "
            f"point={self.point_number}, status={self.status!r})"
        )


class ActionEvent(Base):
    """One change to an action, with the state it left (append-only)."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId]
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    change: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[SlackId]
    changed_at: Mapped[Timestamp]
    status: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")  # note, drop or re-dating reason
    evidence_links: Mapped[list[str]] = mapped_column(JSON, default=list)


# --- peer review (#15) ------------------------------------------------------------------------


class Verdict(StrEnum):
    """Stable lowercase words: they appear in the reviews export."""

    AGREE = "agree"
    CHALLENGE = "challenge"


class ResponseKind(StrEnum):
    ACCEPTED = "accepted"
    RESPONDED = "responded"


class ReviewInvitation(Base):
    """The only grant a peer reviewer has: one assessment, one person of one workspace.

    The reviewer is identified by their user id *and* their own workspace id, because a Slack
    Connect user from another council carries their own team id. The invitation lapses at
    `expires_at` or when an owner withdraws it; `thread_ts` is the review thread once posted,
    `assessment_link` the permalink to the assessment thread its first message shows.
    """

    __tablename__ = "review_invitations"
    __table_args__ = (
        Index(
            "uq_review_invitations_one_active",
            "assessment_id",
            "reviewer_team_id",
            "reviewer_id",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    reviewer_id: Mapped[SlackId]
    reviewer_team_id: Mapped[SlackId]
    reviewer_name: Mapped[str] = mapped_column(String(120))
    reviewer_org: Mapped[str] = mapped_column(String(120))
    invited_by: Mapped[SlackId]
    invited_at: Mapped[Timestamp]
    expires_at: Mapped[Timestamp]
    channel_id: Mapped[SlackId]
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    assessment_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    finished_at: Mapped[OptionalTimestamp]
    withdrawn_at: Mapped[OptionalTimestamp]
    withdrawn_by: Mapped[str | None] = mapped_column(String(32), nullable=True)

    def __repr__(self) -> str:
        return (
            f"ReviewInvitation(id={self.id}, assessment_id={self.assessment_id}, "
            f"reviewer={self.reviewer_team_id}/{self.reviewer_id})"
        )


class ReviewVerdict(Base):
    """One verdict on one point; never updated, only appended (the newest row per point wins).

    `round` is 0 for the first verdict and counts up each time the reviewer answers the team's
    response to a challenge. `team_rating` is the team's rating the reviewer saw.
    """

    __tablename__ = "review_verdicts"
    __table_args__ = (
        Index("ix_review_verdicts_invitation_point", "invitation_id", "point_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("review_invitations.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    point_number: Mapped[int]
    round: Mapped[int] = mapped_column(Integer, default=0)
    verdict: Mapped[str] = mapped_column(String(16))
    team_rating: Mapped[str] = mapped_column(String(16))
    reviewer_rating: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    given_by: Mapped[SlackId]
    given_at: Mapped[Timestamp]


class ChallengeResponse(Base):
    """An owner's answer to a challenge: accepted (with the answer it added) or responded."""

    __tablename__ = "challenge_responses"
    __table_args__ = (
        Index("ix_challenge_responses_invitation_point", "invitation_id", "point_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("review_invitations.id"))
    verdict_id: Mapped[int] = mapped_column(ForeignKey("review_verdicts.id"))
    point_number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"), nullable=True)
    responded_by: Mapped[SlackId]
    responded_at: Mapped[Timestamp]


class ReviewPost(Base):
    """A message of a review reserved before it is posted, so it is posted exactly once.

    `kind` says what it is (a point card, a challenge in the assessment thread, the finish
    announcement, a question back to the reviewer); `ref` what it is about (a point number or
    a verdict id); `attempt` lets a card come back when the reviewer resumes.
    """

    __tablename__ = "review_posts"
    __table_args__ = (UniqueConstraint("invitation_id", "kind", "ref", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("review_invitations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[int]
    attempt: Mapped[int]
    channel_id: Mapped[SlackId]
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reserved_at: Mapped[Timestamp]
    posted_at: Mapped[OptionalTimestamp]


class WorkspaceName(Base):
    """The workspace's name as Slack last gave it (auth.test), for reports made without Slack.

    Published reports and open data name the organisation; the command line has no Slack
    request to ask, so the name is kept whenever the Slack side learns it (#16).
    """

    __tablename__ = "workspace_names"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[Timestamp]


# --- outcomes (#13) ------------------------------------------------------------------------


class Measure(Base):
    """An outcome measure a service tracks; retiring it hides it and keeps its readings.

    Numbers (target, values) are stored as canonical decimal text so that SQLite and PostgreSQL
    give back exactly what was typed, with no float rounding.
    """

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    name: Mapped[str] = mapped_column(String(150))
    counts: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(16))
    better_when: Mapped[str] = mapped_column(String(8))
    target: Mapped[str | None] = mapped_column(String(40), nullable=True)
    frequency: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[SlackId]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    retired_at: Mapped[OptionalTimestamp]
    retired_by: Mapped[str | None] = mapped_column(String(32), nullable=True)

    points: Mapped[list[MeasurePoint]] = relationship(
        cascade="all, delete-orphan",
        order_by="MeasurePoint.point_number",
        lazy="selectin",  # one measure's links are needed wherever it is edited
    )

    def __repr__(self) -> str:
        return f"Measure(id={self.id}, service_id={self.service_id}, name={self.name!r})"


class MeasurePoint(Base):
    """A standard point a measure is evidence for."""

    __tablename__ = "measure_points"

    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True
    )
    standard_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    point_number: Mapped[int] = mapped_column(Integer, primary_key=True)


class Reading(Base):
    """One value for one period; never updated: a correction adds a row and the newest wins."""

    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_measure_period", "measure_id", "period_start", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[SlackId] = mapped_column(index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[SlackId]
    recorded_at: Mapped[Timestamp]

    def __repr__(self) -> str:
        return (
            f"Reading(id={self.id}, measure_id={self.measure_id}, "
            f"period_start={self.period_start}, value={self.value!r})"
        )
