"""users of a workspace (keys belong to them); incidents, their links to step results and
comments; files kept with test cases and incidents

Every user name the workspace's keys act as becomes a user, with the id it was always shown
with on the Enterprise Tester surface (a name-based UUID of the workspace and the name).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 23:00:00.000000
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the namespace of user ids: the same as testament.domain.users (a migration must not import
# code that may change after it)
_NAMESPACE = uuid.UUID("6f1d6e8e-7f43-4f8b-9d3c-2e9a6c1b5a10")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_users_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_users_workspace_name"),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.String(length=36), nullable=True))
    _users_of_existing_keys()
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_index("ix_api_keys_user", ["user_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_api_keys_user_id_users"), "users", ["user_id"], ["id"])

    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("field_values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_incidents_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_incidents_project_id_projects"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_incidents_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("workspace_id", "number", name="uq_incidents_workspace_number"),
    )
    op.create_index("ix_incidents_workspace", "incidents", ["workspace_id", "id"], unique=False)
    op.create_table(
        "incident_links",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("step_result_id", sa.String(length=200), nullable=False),
        sa.Column("execution_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_incident_links_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_links_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "step_result_id", name=op.f("pk_incident_links")),
    )
    op.create_index("ix_incident_links_step_result", "incident_links", ["step_result_id"], unique=False)
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("holder", sa.String(length=16), nullable=False),
        sa.Column("holder_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_attachments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(
        "ix_attachments_holder", "attachments", ["workspace_id", "holder", "holder_id", "id"], unique=False
    )
    op.create_table(
        "incident_comments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_comments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_comments")),
    )
    op.create_index("ix_incident_comments_incident", "incident_comments", ["incident_id", "id"], unique=False)


def _users_of_existing_keys() -> None:
    """One user per user name the keys of a workspace act as; each key points at its user."""
    bind = op.get_bind()
    keys = sa.table(
        "api_keys",
        sa.column("workspace_id", sa.String),
        sa.column("user_name", sa.String),
        sa.column("user_id", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    users = sa.table(
        "users",
        sa.column("id", sa.String),
        sa.column("workspace_id", sa.String),
        sa.column("name", sa.String),
        sa.column("display_name", sa.String),
        sa.column("email", sa.String),
        sa.column("enabled", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    named = bind.execute(
        sa.select(keys.c.workspace_id, keys.c.user_name, sa.func.min(keys.c.created_at)).group_by(
            keys.c.workspace_id, keys.c.user_name
        )
    ).all()
    for workspace_id, name, since in named:
        user_id = str(uuid.uuid5(_NAMESPACE, f"{workspace_id}/{name}"))
        bind.execute(
            users.insert().values(
                id=user_id,
                workspace_id=workspace_id,
                name=name,
                display_name=name,
                email=None,
                enabled=True,
                created_at=since,
                updated_at=since,
            )
        )
        bind.execute(
            keys.update()
            .where(keys.c.workspace_id == workspace_id, keys.c.user_name == name)
            .values(user_id=user_id)
        )


def downgrade() -> None:
    op.drop_index("ix_incident_comments_incident", table_name="incident_comments")
    op.drop_table("incident_comments")
    op.drop_index("ix_attachments_holder", table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_incident_links_step_result", table_name="incident_links")
    op.drop_table("incident_links")
    op.drop_index("ix_incidents_workspace", table_name="incidents")
    op.drop_table("incidents")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_keys_user_id_users"), type_="foreignkey")
        batch_op.drop_index("ix_api_keys_user")
        batch_op.drop_column("user_id")
    op.drop_table("users")
