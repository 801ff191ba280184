"""Reading plan runs: a run with its executions, its status and counts, its score and gate."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import InvalidInput
from testament.domain.execution import Execution, ExecutionStatus, plan_run_status
from testament.domain.model import Plan, PlanRun
from testament.domain.scoring import gate_passed, merge_scoreboards
from testament.services.context import AppContext
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.store.repository import Repository, owned_by
from testament.store.tables import executions, plan_runs

__all__ = ["PlanRunView", "get_plan_run", "list_plan_runs", "load_plan_run", "page_plan_runs"]


@dataclass(frozen=True)
class PlanRunView:
    plan_run: PlanRun
    status: ExecutionStatus
    counts: dict[str, int]
    executions: Sequence[Execution]
    score: dict[str, Any] = field(default_factory=dict)
    """The finished executions' points summed: pointsAchieved, maxAchievablePoints, ..."""
    pass_ratio: float | None = None
    gate_passed: bool | None = None
    """The plan's quality gate: None without a pass ratio."""


def load_plan_run(session: Session, principal: Principal, ident: str) -> PlanRun:
    return Repository(session, PlanRun, principal.workspace_id, "plan run").get(ident)


def get_plan_run(app: AppContext, principal: Principal, plan_run_id: str) -> PlanRunView:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        run = load_plan_run(session, principal, plan_run_id)
        found = list(
            session.scalars(
                select(Execution).where(executions.c.plan_run_id == run.id).order_by(executions.c.id)
            )
        )
        plan = session.get(Plan, run.plan_id)
    counts = {s.value.lower(): 0 for s in ExecutionStatus}
    for execution in found:
        counts[execution.effective_status.value.lower()] += 1
    counts["total"] = len(found)
    score = merge_scoreboards([e.scoreboard for e in found if e.scoreboard])["scoreboard"]
    pass_ratio = plan.pass_ratio if plan is not None else None
    statuses = [e.effective_status.value for e in found]
    return PlanRunView(
        run,
        plan_run_status([e.effective_status for e in found]),
        counts,
        found,
        score,
        pass_ratio,
        gate_passed(score, pass_ratio, statuses),
    )


def list_plan_runs(
    app: AppContext,
    principal: Principal,
    *,
    plan_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[PlanRun]:
    principal.require(Permission.READ)
    check_limit(limit)
    before = decode_cursor(app.cursors, "plan-runs", cursor)
    query = select(PlanRun).where(owned_by(plan_runs, principal.workspace_id))
    if plan_id:
        query = query.where(plan_runs.c.plan_id == plan_id)
    if before:
        query = query.where(plan_runs.c.id < before)
    with app.db.reading() as session:
        rows = list(session.scalars(query.order_by(plan_runs.c.id.desc()).limit(limit + 1)))
    return make_page(app.cursors, "plan-runs", rows, limit, key=lambda r: r.id)


def page_plan_runs(
    app: AppContext, principal: Principal, *, plan_id: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[PlanRun], int]:
    """Plan runs newest first, by offset, with the total: for surfaces that page by number."""
    principal.require(Permission.READ)
    check_limit(limit)
    if offset < 0:
        raise InvalidInput("page", "must not be negative")
    where = [owned_by(plan_runs, principal.workspace_id)]
    if plan_id:
        where.append(plan_runs.c.plan_id == plan_id)
    with app.db.reading() as session:
        total = session.execute(select(func.count()).select_from(plan_runs).where(*where)).scalar_one()
        rows = list(
            session.scalars(
                select(PlanRun).where(*where).order_by(plan_runs.c.id.desc()).offset(offset).limit(limit)
            )
        )
    return rows, int(total)
