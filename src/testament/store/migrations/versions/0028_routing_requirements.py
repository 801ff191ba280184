"""routing: what a test case and an execution require of the worker that runs it (labels), the
execution's requirements as one key a claim compares, and why a queued execution waits

Existing test cases and executions require nothing: every worker may run them, as before.

Revision ID: 0028
Revises: 0029
Create Date: 2026-11-30 02:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("test_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requires", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requires", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(
            sa.Column("requirement_key", sa.String(length=2000), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("waiting_for", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("waiting_for")
        batch_op.drop_column("requirement_key")
        batch_op.drop_column("requires")
    with op.batch_alter_table("test_cases", schema=None) as batch_op:
        batch_op.drop_column("requires")
