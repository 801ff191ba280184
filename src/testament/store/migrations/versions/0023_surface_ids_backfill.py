"""number, for Testsigma, every entity written before numbers were given at creation

Until now a number was made the first time a request showed an entity (so a GET wrote).
From this revision on, every writing session numbers what it creates; this migration
numbers what already exists, so that a read finds every number and never writes. Numbers
already given (and shown to clients) are kept as they are; new ones are appended.

The keys are spelled here as the code spelled them at this revision (a migration does not
follow later code): a plan's machine is `plan/machine`, an environment's variable
`environment/key`, and a plan run's parts `run/machine`, `run/machine/suite` and
`run/machine/suite/test case`, with machine `default` and suite `` when there is none.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 01:00:00.000000
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SURFACE = "testsigma"
DEFAULT_MACHINE = "default"
BATCH = 1000

surface_ids = sa.table(
    "surface_ids",
    sa.column("id", sa.Integer),
    sa.column("surface", sa.String),
    sa.column("entity", sa.String),
    sa.column("core_id", sa.String),
    sa.column("workspace_id", sa.String),
)
plans = sa.table("plans", sa.column("id"), sa.column("workspace_id"), sa.column("machines", sa.JSON))
environments = sa.table(
    "environments",
    sa.column("id"),
    sa.column("workspace_id"),
    sa.column("variables", sa.JSON),
    sa.column("secrets", sa.JSON),
)
executions = sa.table(
    "executions",
    sa.column("id"),
    sa.column("workspace_id"),
    sa.column("plan_run_id"),
    sa.column("machine"),
    sa.column("suite_id"),
    sa.column("test_case_id"),
)
resources = sa.table("resources", sa.column("id"), sa.column("workspace_id"), sa.column("kind"))
upload_versions = sa.table("upload_versions", sa.column("id"), sa.column("upload_id"))
RESOURCE_ENTITIES = {"upload": "upload", "plan.run_config": "run_config"}

Row = tuple[str, str, str | None]  # (entity, core id, owning workspace)


def _simple(table_name: str, entity: str) -> Iterator[Row]:
    table = sa.table(table_name, sa.column("id"), sa.column("workspace_id"))
    for row in op.get_bind().execute(sa.select(table.c.id, table.c.workspace_id).order_by(table.c.id)):
        yield entity, row.id, row.workspace_id


def _plans() -> Iterator[Row]:
    for row in op.get_bind().execute(sa.select(plans).order_by(plans.c.id)):
        yield "plan", row.id, row.workspace_id
        names = [m["name"] for m in row.machines or []] or [DEFAULT_MACHINE]
        for name in names:
            yield "machine", f"{row.id}/{name}", row.workspace_id


def _environments() -> Iterator[Row]:
    for row in op.get_bind().execute(sa.select(environments).order_by(environments.c.id)):
        yield "environment", row.id, row.workspace_id
        for name in [*(row.variables or {}), *(row.secrets or {})]:
            yield "environment_variable", f"{row.id}/{name}", row.workspace_id


def _plan_run_parts() -> Iterator[Row]:
    query = sa.select(executions).where(executions.c.plan_run_id.is_not(None)).order_by(executions.c.id)
    for x in op.get_bind().execute(query):
        machine, suite = x.machine or DEFAULT_MACHINE, x.suite_id or ""
        yield "execution", x.id, x.workspace_id
        yield "machine_result", f"{x.plan_run_id}/{machine}", x.workspace_id
        yield "suite_result", f"{x.plan_run_id}/{machine}/{suite}", x.workspace_id
        yield "test_case_result", f"{x.plan_run_id}/{machine}/{suite}/{x.test_case_id}", x.workspace_id


def _resources() -> Iterator[Row]:
    query = sa.select(resources).where(resources.c.kind.in_(list(RESOURCE_ENTITIES))).order_by(resources.c.id)
    for row in op.get_bind().execute(query):
        yield RESOURCE_ENTITIES[row.kind], row.id, row.workspace_id


def _upload_versions() -> Iterator[Row]:
    query = (
        sa.select(upload_versions.c.id, resources.c.workspace_id)
        .join(resources, resources.c.id == upload_versions.c.upload_id)
        .order_by(upload_versions.c.id)
    )
    for row in op.get_bind().execute(query):
        yield "upload_version", row.id, row.workspace_id


def _everything() -> Iterator[Row]:
    yield from _simple("api_keys", "key")
    yield from _simple("test_cases", "test_case")
    yield from _simple("suites", "suite")
    yield from _plans()
    yield from _environments()
    yield from _simple("plan_runs", "plan_run")
    yield from _plan_run_parts()
    yield from _resources()
    yield from _upload_versions()


def upgrade() -> None:
    bind = op.get_bind()
    numbered = {
        (row.entity, row.core_id)
        for row in bind.execute(
            sa.select(surface_ids.c.entity, surface_ids.c.core_id).where(surface_ids.c.surface == SURFACE)
        )
    }
    rows = list(_everything())  # read all before writing: no cursor stays open under the inserts
    batch: list[dict[str, Any]] = []
    for entity, core_id, workspace_id in rows:
        if (entity, core_id) in numbered:
            continue  # a number already given (and maybe shown) stays as it is
        numbered.add((entity, core_id))
        batch.append({"surface": SURFACE, "entity": entity, "core_id": core_id, "workspace_id": workspace_id})
        if len(batch) == BATCH:
            bind.execute(surface_ids.insert(), batch)
            batch = []
    if batch:
        bind.execute(surface_ids.insert(), batch)


def downgrade() -> None:
    """Numbers stay: a client may hold any of them, and the older code reads them as its own."""
