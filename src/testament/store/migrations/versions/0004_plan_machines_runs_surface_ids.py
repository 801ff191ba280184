"""plan machines and settings, plan run builds and reruns, surface ids

Existing rows get defaults: no machines, default settings, runs triggered by API.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:49:40.951537
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "surface_ids",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("surface", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("core_id", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surface_ids")),
        sa.UniqueConstraint("surface", "entity", "core_id", name="uq_surface_ids_core"),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suite_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("machine", sa.String(length=200), nullable=True))

    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("build_no", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("runtime_data", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("trigger", sa.String(length=16), nullable=False, server_default="API"))
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("rerun_type", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_runs_parent_id_plan_runs"),
            "plan_runs",
            ["parent_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("machines", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("settings", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("settings")
        batch_op.drop_column("machines")

    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_plan_runs_parent_id_plan_runs"), type_="foreignkey")
        batch_op.drop_column("rerun_type")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("trigger")
        batch_op.drop_column("runtime_data")
        batch_op.drop_column("build_no")

    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_column("machine")
        batch_op.drop_column("suite_id")

    op.drop_table("surface_ids")
