"""execution overrides

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 06:03:31.263240
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "override_status",
                sa.Enum(
                    "QUEUED",
                    "RUNNING",
                    "PASSED",
                    "FAILED",
                    "STOPPED",
                    "ERROR",
                    name="execution_override_status",
                    native_enum=False,
                    length=16,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("override_comment", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("overridden_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("overridden_at")
        batch_op.drop_column("overridden_by")
        batch_op.drop_column("override_comment")
        batch_op.drop_column("override_status")
