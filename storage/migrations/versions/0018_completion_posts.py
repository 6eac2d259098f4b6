"""completion posts: an assessment's completion message claimed per channel before it is posted

Revision ID: 0018
Revises: 0017
Create Date: 2027-01-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "completion_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("broadcast", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_completion_posts_assessment_id_assessments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completion_posts")),
        sa.UniqueConstraint(
            "assessment_id",
            "channel_id",
            name=op.f("uq_completion_posts_assessment_id_channel_id"),
        ),
    )
    with op.batch_alter_table("completion_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_completion_posts_assessment_id"), ["assessment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("completion_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_completion_posts_assessment_id"))
    op.drop_table("completion_posts")
