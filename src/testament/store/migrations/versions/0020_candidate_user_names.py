"""a user candidate names its user apart from the client's external id

Until now a user candidate's user name was kept as its external id (and the externalId the
client sent was dropped): those candidates keep it there, and it becomes their user name too.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_name", sa.String(length=200), nullable=True))
    op.execute("UPDATE candidates SET user_name = external_id WHERE kind = 'user'")


def downgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("user_name")
