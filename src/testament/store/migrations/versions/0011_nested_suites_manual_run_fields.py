"""suites nest (a parent suite); a manual run keeps its actual duration and custom values

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_suites_parent_id_suites"), "suites", ["parent_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_suites_workspace_parent", ["workspace_id", "parent_id", "id"], unique=False)
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actual_duration", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("field_values", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("widget_values", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("widget_values")
        batch_op.drop_column("field_values")
        batch_op.drop_column("actual_duration")
    with op.batch_alter_table("suites", schema=None) as batch_op:
        batch_op.drop_index("ix_suites_workspace_parent")
        batch_op.drop_constraint(batch_op.f("fk_suites_parent_id_suites"), type_="foreignkey")
        batch_op.drop_column("parent_id")
