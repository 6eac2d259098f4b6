"""services.phase_changed_on: when the phase last changed, so edits can recompute the due date

A phase change makes a reassessment due on that day. Keeping the day apart from `next_due_on`
lets a later edit of the interval or of "last assessed" recompute the date from all the facts
(whichever is sooner wins) without forgetting a phase change still waiting for its assessment.

Revision ID: 0011
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("services", sa.Column("phase_changed_on", sa.Date(), nullable=True))
    # Rows whose due date came from a phase change were made due on the day of the change.
    op.execute(
        "UPDATE services SET phase_changed_on = next_due_on WHERE due_reason = 'phase_change'"
    )


def downgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.drop_column("phase_changed_on")
