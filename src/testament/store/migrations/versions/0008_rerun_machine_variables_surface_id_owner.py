"""plan runs keep their per-machine variables; surface ids know their workspace

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 06:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("machine_variables", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("surface_ids", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("surface_ids", schema=None) as batch_op:
        batch_op.drop_column("workspace_id")
    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.drop_column("machine_variables")
