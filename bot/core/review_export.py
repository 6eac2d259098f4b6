"""The reviews export: one row per verdict, Excel-safe through the answers export's writer.

Columns are fixed (`COLUMNS`); verdicts and challenge statuses are stable lowercase words;
times are `YYYY-MM-DDTHH:MM:SSZ` in UTC. `team_rating` is the team's rating the reviewer saw
when giving that verdict. `challenge_status` says what became of that verdict: `none` (an
agreement), `open`, `responded` (the reviewer has the team's response to answer),
`accepted`, `agreed` (the reviewer agreed after a response), or `kept` (the reviewer kept
the challenge after a response; the next row for the point carries it on). Text cells go
through `text_cell`, so a comment typed as `=HYPERLINK(…)` never runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from bot.core.export import BOM, LINE_END, text_cell
from bot.core.reviews import verdict_status
from storage.models import AssessmentPoint, ChallengeResponse, ReviewVerdict, Service
from storage.review_queries import invitations_of_team, responses_of, verdicts_of

COLUMNS: tuple[str, ...] = (
    "service",
    "service_id",
    "team_id",
    "assessment_id",
    "point_number",
    "point_title",
    "team_rating",
    "reviewer_id",
    "reviewer_name",
    "reviewer_team_id",
    "verdict",
    "reviewer_rating",
    "comment",
    "reviewed_at",
    "challenge_status",
    "resolved_at",
)
REVIEWS_WORD = "reviews"


def utc_cell(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else ""


@dataclass(frozen=True)
class ReviewRow:
    """One verdict with what the export shows beside it."""

    service: str
    service_id: int
    team_id: str
    verdict: ReviewVerdict
    point_title: str
    reviewer_name: str
    reviewer_team_id: str
    challenge_status: str
    resolved_at: datetime | None

    def cells(self) -> str:
        v = self.verdict
        return ",".join(
            (
                text_cell(self.service),
                str(self.service_id),
                text_cell(self.team_id),
                str(v.assessment_id),
                str(v.point_number),
                text_cell(self.point_title),
                text_cell(v.team_rating),
                text_cell(v.given_by),
                text_cell(self.reviewer_name),
                text_cell(self.reviewer_team_id),
                v.verdict,
                text_cell(v.reviewer_rating),
                text_cell(v.comment),
                utc_cell(v.given_at),
                self.challenge_status,
                utc_cell(self.resolved_at),
            )
        )


def review_rows(team_id: str, service_ids: Sequence[int], *, session: Session) -> list[ReviewRow]:
    """Every verdict on the given services' assessments, by service, review and point."""
    wanted = set(service_ids)
    invitations = [
        i for i in invitations_of_team(team_id, session=session) if i.service_id in wanted
    ]
    ids = [invitation.id for invitation in invitations]
    verdicts = verdicts_of(ids, session=session)
    answers: dict[int, list[ChallengeResponse]] = {}
    for response in responses_of(ids, session=session):
        answers.setdefault(response.verdict_id, []).append(response)
    services = {
        s.id: s
        for s in session.scalars(
            select(Service).where(Service.id.in_(wanted or {-1})).options(lazyload(Service.owners))
        )
    }
    titles = {
        (row.assessment_id, row.number): row.title
        for row in session.scalars(
            select(AssessmentPoint).where(
                AssessmentPoint.assessment_id.in_({i.assessment_id for i in invitations} or {-1})
            )
        )
    }
    by_invitation: dict[int, list[ReviewVerdict]] = {}
    for verdict in verdicts:
        by_invitation.setdefault(verdict.invitation_id, []).append(verdict)
    rows: list[ReviewRow] = []
    ordered = sorted(invitations, key=lambda i: (services[i.service_id].name_key, i.id))
    for invitation in ordered:
        service = services[invitation.service_id]
        mine = sorted(by_invitation.get(invitation.id, []), key=lambda v: (v.point_number, v.id))
        for index, verdict in enumerate(mine):
            following = mine[index + 1] if index + 1 < len(mine) else None
            if following is not None and following.point_number != verdict.point_number:
                following = None
            status, resolved = verdict_status(verdict, answers.get(verdict.id, []), following)
            rows.append(
                ReviewRow(
                    service=service.name,
                    service_id=service.id,
                    team_id=service.team_id,
                    verdict=verdict,
                    point_title=titles.get((verdict.assessment_id, verdict.point_number), ""),
                    reviewer_name=invitation.reviewer_name,
                    reviewer_team_id=invitation.reviewer_team_id,
                    challenge_status=status.value,
                    resolved_at=resolved,
                )
            )
    return rows


def csv_lines(rows: Sequence[ReviewRow]) -> Iterator[str]:
    yield BOM + ",".join(COLUMNS) + LINE_END
    for row in rows:
        yield row.cells() + LINE_END


def write_reviews_csv(out: IO[bytes], rows: Sequence[ReviewRow]) -> int:
    """Write the file (UTF-8 with BOM, CRLF, RFC 4180 quoting); the number of data rows."""
    out.write("".join(csv_lines(rows)).encode("utf-8"))
    return len(rows)


def reviews_filename(day: date) -> str:
    return f"assessbot-reviews-{day:%Y%m%d}.csv"
