"""upload versions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 06:09:03.332494
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upload_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("upload_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["resources.id"],
            name=op.f("fk_upload_versions_upload_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_versions")),
        sa.UniqueConstraint("upload_id", "name", name="uq_upload_versions_upload_name"),
    )
    with op.batch_alter_table("upload_versions", schema=None) as batch_op:
        batch_op.create_index("ix_upload_versions_upload", ["upload_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("upload_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_upload_versions_upload")

    op.drop_table("upload_versions")
