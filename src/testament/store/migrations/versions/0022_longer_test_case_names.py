"""test case names of up to 500 characters (Amazon Connect's model sets no limit of 200)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("test_cases", schema=None) as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.String(length=200), type_=sa.String(length=500), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("test_cases", schema=None) as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.String(length=500), type_=sa.String(length=200), existing_nullable=False
        )
