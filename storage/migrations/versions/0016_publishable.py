"""services.publishable and workspace_names, for published reports (#16)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(
            sa.Column("publishable", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "workspace_names",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_workspace_names")),
    )


def downgrade() -> None:
    op.drop_table("workspace_names")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("publishable")
