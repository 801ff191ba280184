"""an execution keeps its scoreboard; a plan may set a pass threshold on the score ratio

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scoreboard", sa.JSON(), nullable=True))
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pass_ratio", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("pass_ratio")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("scoreboard")
