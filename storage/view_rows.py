"""ORM rows to the snapshots of `storage.views`, taken while the session is open."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from storage.models import (
    Answer,
    Assessment,
    ChallengeResponse,
    ImprovementAction,
    ReviewInvitation,
    ReviewVerdict,
    Service,
)
from storage.views import (
    ActionItem,
    AnswerView,
    AssessmentView,
    ChallengeResponseView,
    InvitationView,
    ServiceView,
    VerdictView,
)


def service_view(service: Service) -> ServiceView:
    return ServiceView(
        id=service.id,
        team_id=service.team_id,
        name=service.name,
        standard_id=service.standard_id,
        phase=service.phase,
        team_channel_id=service.team_channel_id,
        next_due_on=service.next_due_on,
        owner_ids=tuple(service.owner_ids),
        # A service not yet flushed has no type set; the column's default is what it will get.
        service_type=service.service_type or ServiceView.service_type,
        description=service.description or "",
        interval_months=service.interval_months,
        last_assessed_on=service.last_assessed_on,
        due_reason=service.due_reason,
        snoozed_until=service.snoozed_until,
        publishable=bool(service.publishable),
    )


# What a ServiceView is made of, as columns, for read paths that select columns rather than
# entities; `service_view_of_row` reads a row of them by position (by name cost more than the
# query at 5,000 rows).
SERVICE_VIEW_COLUMNS = (
    Service.id,
    Service.team_id,
    Service.name,
    Service.standard_id,
    Service.phase,
    Service.team_channel_id,
    Service.next_due_on,
    Service.service_type,
    Service.description,
    Service.interval_months,
    Service.last_assessed_on,
    Service.due_reason,
    Service.snoozed_until,
    Service.publishable,
)


def service_view_of_row(row: Sequence[Any], owner_ids: tuple[str, ...]) -> ServiceView:
    """A row that starts with `SERVICE_VIEW_COLUMNS` (anything after them is ignored)."""
    (
        service_id,
        team_id,
        name,
        standard_id,
        phase,
        channel_id,
        next_due_on,
        service_type,
        description,
        interval_months,
        last_assessed_on,
        due_reason,
        snoozed_until,
        publishable,
    ) = row[: len(SERVICE_VIEW_COLUMNS)]
    return ServiceView(
        id=service_id,
        team_id=team_id,
        name=name,
        standard_id=standard_id,
        phase=phase,
        team_channel_id=channel_id,
        next_due_on=next_due_on,
        owner_ids=owner_ids,
        service_type=service_type or ServiceView.service_type,
        description=description or "",
        interval_months=interval_months,
        last_assessed_on=last_assessed_on,
        due_reason=due_reason,
        snoozed_until=snoozed_until,
        publishable=bool(publishable),
    )


def assessment_view(assessment: Assessment, *, with_points: bool = True) -> AssessmentView:
    """`with_points=False` for lists, which need the count and not the snapshot's titles
    (reading `points` would load them)."""
    points = tuple((p.number, p.title) for p in assessment.points) if with_points else ()
    return AssessmentView(
        id=assessment.id,
        service_id=assessment.service_id,
        standard_id=assessment.standard_id,
        standard_title=assessment.standard_title,
        phase=assessment.phase,
        status=assessment.status,
        started_at=assessment.started_at,
        point_count=assessment.point_count,
        channel_id=assessment.channel_id,
        thread_ts=assessment.thread_ts,
        started_by=assessment.started_by,
        standard_version=assessment.standard_version,
        completed_at=assessment.completed_at,
        points=points,
    )


def answer_view(answer: Answer) -> AnswerView:
    return AnswerView(
        point_number=answer.point_number,
        rating=answer.rating,
        answered_by=answer.answered_by,
        answered_at=answer.answered_at,
        evidence=answer.evidence or "",
        evidence_links=tuple(answer.evidence_links or ()),
        id=answer.id,
        assessment_id=answer.assessment_id,
    )


# What an AnswerView is made of, as columns, for read paths (`answer_view_of_row`).
ANSWER_VIEW_COLUMNS = (
    Answer.point_number,
    Answer.rating,
    Answer.answered_by,
    Answer.answered_at,
    Answer.evidence,
    Answer.evidence_links,
    Answer.id,
    Answer.assessment_id,
)


def answer_view_of_row(row: Sequence[Any]) -> AnswerView:
    """A row of `ANSWER_VIEW_COLUMNS`, as `answer_view` makes it of an entity."""
    number, rating, answered_by, answered_at, evidence, links, answer_id, assessment_id = row
    return AnswerView(
        point_number=number,
        rating=rating,
        answered_by=answered_by,
        answered_at=answered_at,
        evidence=evidence or "",
        evidence_links=tuple(links or ()),
        id=answer_id,
        assessment_id=assessment_id,
    )


def answer_views(answers: Mapping[int, Answer]) -> dict[int, AnswerView]:
    return {number: answer_view(answer) for number, answer in answers.items()}


def action_item(action: ImprovementAction) -> ActionItem:
    return ActionItem(
        id=action.id,
        team_id=action.team_id,
        service_id=action.service_id,
        assessment_id=action.assessment_id,
        point_number=action.point_number,
        text=action.text,
        owner_id=action.owner_id,
        due_on=action.due_on,
        status=action.status,
        created_by=action.created_by,
        created_at=action.created_at,
        closed_at=action.closed_at,
        closed_by=action.closed_by,
        note=action.note or "",
        evidence_links=tuple(action.evidence_links or ()),
        snoozed_until=action.snoozed_until,
    )


def invitation_view(invitation: ReviewInvitation) -> InvitationView:
    return InvitationView(
        id=invitation.id,
        team_id=invitation.team_id,
        service_id=invitation.service_id,
        assessment_id=invitation.assessment_id,
        reviewer_id=invitation.reviewer_id,
        reviewer_team_id=invitation.reviewer_team_id,
        reviewer_name=invitation.reviewer_name,
        reviewer_org=invitation.reviewer_org,
        invited_by=invitation.invited_by,
        invited_at=invitation.invited_at,
        expires_at=invitation.expires_at,
        channel_id=invitation.channel_id,
        thread_ts=invitation.thread_ts,
        assessment_link=invitation.assessment_link,
        finished_at=invitation.finished_at,
        withdrawn_at=invitation.withdrawn_at,
        withdrawn_by=invitation.withdrawn_by,
    )


def challenge_response_view(response: ChallengeResponse) -> ChallengeResponseView:
    return ChallengeResponseView(
        id=response.id,
        invitation_id=response.invitation_id,
        verdict_id=response.verdict_id,
        point_number=response.point_number,
        kind=response.kind,
        responded_by=response.responded_by,
        responded_at=response.responded_at,
        note=response.note or "",
        links=tuple(response.links or ()),
        answer_id=response.answer_id,
    )


def verdict_view(verdict: ReviewVerdict) -> VerdictView:
    return VerdictView(
        id=verdict.id,
        invitation_id=verdict.invitation_id,
        assessment_id=verdict.assessment_id,
        point_number=verdict.point_number,
        round=verdict.round,
        verdict=verdict.verdict,
        team_rating=verdict.team_rating,
        reviewer_rating=verdict.reviewer_rating,
        given_by=verdict.given_by,
        given_at=verdict.given_at,
        comment=verdict.comment or "",
    )
