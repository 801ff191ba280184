"""interrupted runs are not retries; how a callback's delivery fares, listed per workspace

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interruptions", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interrupted", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_status_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_callbacks_workspace", ["workspace_id", "id"], unique=False)
        batch_op.create_index("ix_callbacks_workspace_state", ["workspace_id", "state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index("ix_callbacks_workspace_state")
        batch_op.drop_index("ix_callbacks_workspace")
        batch_op.drop_column("last_attempt_at")
        batch_op.drop_column("last_status_code")

    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.drop_column("interrupted")

    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("interruptions")
