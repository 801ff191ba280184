"""Figure 3, engine only: the local executor works off pre-queued noop executions, in-process.

No HTTP and no concurrent starts: N executions are queued through the service layer, then
the executor (default settings: 4 workers, 5 running per workspace) is started and timed
until none is QUEUED or RUNNING. This isolates the engine's own cost per execution
(claim, one record, finish, a heartbeat thread), which the end-to-end figure mixes with
the cost of the starts that compete with it for the same process.
"""

import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from testament.bootstrap import build_context, build_executor
from testament.config import Settings
from testament.domain.access import Role
from testament.domain.execution import ExecutionStatus
from testament.services import keys, workspaces
from testament.services.context import AppContext
from testament.services.executions import start_execution
from testament.services.test_cases import create_test_case
from testament.store.tables import executions

__all__ = ["measure_drain"]

TIMEOUT_S = 120.0
ACTIVE = (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)


def queue_noops(ctx: AppContext, count: int) -> None:
    workspace = workspaces.create_workspace(ctx, "drain")
    principal = keys.authenticate_token(ctx, keys.create_key(ctx, workspace.id, Role.ADMIN).token)
    case = create_test_case(ctx, principal, kind="noop", name="drain", content={}, publish=True)
    for _ in range(count):
        start_execution(ctx, principal, test_case_id=case.test_case.id)


def active(ctx: AppContext) -> int:
    query = select(func.count()).select_from(executions).where(executions.c.status.in_(ACTIVE))
    with ctx.db.reading() as session:
        return int(session.execute(query).scalar_one())


def measure_drain(data_dir: Path, count: int) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir, secret_key="bench", max_queued_executions=10_000_000)
    ctx = build_context(settings)
    queue_noops(ctx, count)
    executor = build_executor(ctx)
    began, cpu_began = time.perf_counter(), time.process_time()
    executor.start()
    while active(ctx):
        if time.perf_counter() - began > TIMEOUT_S:
            raise RuntimeError("the executor did not drain the queue in time")
        time.sleep(0.005)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    executor.shutdown()
    ctx.db.dispose()
    return {
        "executions": count,
        "workers": settings.workers,
        "total_s": elapsed,
        "executions_per_s": count / elapsed,
        "wall_ms_per_execution": elapsed * 1000 / count,
        "cpu_ms_per_execution": cpu * 1000 / count,
    }
