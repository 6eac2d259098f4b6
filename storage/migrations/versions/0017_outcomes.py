"""outcomes: service type, outcome measures and their readings

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "service_type",
                sa.String(length=16),
                server_default="transactional",
                nullable=False,
            )
        )
    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=80), nullable=True),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("better_when", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=True),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_measures_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measures")),
    )
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measures_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_measures_team_id"), ["team_id"], unique=False)
    op.create_table(
        "measure_points",
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.String(length=40), nullable=False),
        sa.Column("point_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["measures.id"],
            name=op.f("fk_measure_points_measure_id_measures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "measure_id", "standard_id", "point_number", name=op.f("pk_measure_points")
        ),
    )
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_readings_measure_id_measures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readings")),
    )
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_readings_measure_period", ["measure_id", "period_start", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_readings_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_readings_team_id"))
        batch_op.drop_index("ix_readings_measure_period")
    op.drop_table("readings")
    op.drop_table("measure_points")
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measures_team_id"))
        batch_op.drop_index(batch_op.f("ix_measures_service_id"))
    op.drop_table("measures")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("service_type")
