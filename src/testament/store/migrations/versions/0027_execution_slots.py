"""execution slots: a workspace's running cap as rows that claims take without locking the
workspace; an index of queued executions by workspace, for the claim's choice of workspace

Executions running at the upgrade take slots 0, 1, … of their workspace, so the cap holds from
the first claim after it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "execution_slots",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("slot_no", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_slots_execution_id_executions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_execution_slots_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "slot_no", name=op.f("pk_execution_slots")),
        sa.UniqueConstraint("execution_id", name=op.f("uq_execution_slots_execution_id")),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_executions_status_workspace_queued",
            ["status", "workspace_id", "queued_at", "id"],
            unique=False,
        )
    op.execute(
        "INSERT INTO execution_slots (workspace_id, slot_no, execution_id) "
        "SELECT workspace_id, ROW_NUMBER() OVER (PARTITION BY workspace_id ORDER BY id) - 1, id "
        "FROM executions WHERE status = 'RUNNING' AND kind != 'manual'"
    )


def downgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_status_workspace_queued")
    op.drop_table("execution_slots")
