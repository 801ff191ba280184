"""test case tags as rows (test_case_tags), so tag filters run in SQL with an index; an index
for name prefix searches of one kind of test case

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    tags = op.create_table(
        "test_case_tags",
        sa.Column("test_case_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["test_case_id"],
            ["test_cases.id"],
            name=op.f("fk_test_case_tags_test_case_id_test_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_test_case_tags_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("test_case_id", "key", name=op.f("pk_test_case_tags")),
    )
    with op.batch_alter_table("test_case_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_test_case_tags_workspace_key", ["workspace_id", "key", "value", "test_case_id"], unique=False
        )
    with op.batch_alter_table("test_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_test_cases_workspace_kind_name",
            ["workspace_id", "kind", "name"],
            unique=False,
            postgresql_ops={"name": "text_pattern_ops"},
        )
    _backfill(tags)


def _backfill(tags: sa.Table) -> None:
    """Every existing test case's JSON tags as rows, in batches (the JSON column stays as it is)."""
    cases = sa.table(
        "test_cases",
        sa.column("id", sa.String()),
        sa.column("workspace_id", sa.String()),
        sa.column("tags", sa.JSON()),
    )
    bind = op.get_bind()
    rows = []
    for case in bind.execute(sa.select(cases.c.id, cases.c.workspace_id, cases.c.tags)).all():
        rows += [
            {"test_case_id": case.id, "workspace_id": case.workspace_id, "key": key, "value": value}
            for key, value in (case.tags or {}).items()
        ]
        if len(rows) >= _BATCH:
            bind.execute(sa.insert(tags), rows)
            rows = []
    if rows:
        bind.execute(sa.insert(tags), rows)


def downgrade() -> None:
    with op.batch_alter_table("test_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_test_cases_workspace_kind_name")
    with op.batch_alter_table("test_case_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_test_case_tags_workspace_key")
    op.drop_table("test_case_tags")
