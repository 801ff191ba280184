"""an index for listing test cases by status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("test_cases") as batch_op:
        batch_op.create_index("ix_test_cases_workspace_status", ["workspace_id", "status", "id"])


def downgrade() -> None:
    with op.batch_alter_table("test_cases") as batch_op:
        batch_op.drop_index("ix_test_cases_workspace_status")
