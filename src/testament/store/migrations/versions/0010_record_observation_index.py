"""records found by their observation id (a manual step result's id)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 06:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.create_index("ix_execution_records_observation", ["observation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("execution_records", schema=None) as batch_op:
        batch_op.drop_index("ix_execution_records_observation")
