"""Reading plan runs: a run with its executions, its status and counts, its score and gate."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.execution import Execution, ExecutionStatus, plan_run_status
from testament.domain.model import Plan, PlanRun
from testament.domain.scoring import gate_passed, merge_scoreboards
from testament.kit.clock import as_utc
from testament.services import read_side
from testament.services.context import AppContext
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository, owned_by
from testament.store.tables import executions, plan_runs

__all__ = [
    "PLAN_RUNS",
    "PlanRunRow",
    "PlanRunView",
    "get_plan_run",
    "list_plan_run_rows",
    "list_plan_runs",
    "load_plan_run",
    "query_plan_runs",
]


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


def _some_execution(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether the plan run has an execution meeting every condition."""
    return exists().where(t.executions.c.plan_run_id == t.plan_runs.c.id, *conditions)


# What a surface needs to derive a plan run's result in its own words: facts about its
# executions (by the status reports count: an override, else the execution's own).
_EFFECTIVE = func.coalesce(t.executions.c.override_status, t.executions.c.status)
_TERMINAL = [s for s in ExecutionStatus if s.is_terminal]
PLAN_RUNS = View(
    {
        "id": t.plan_runs.c.id,
        "plan_id": t.plan_runs.c.plan_id,
        "build_no": t.plan_runs.c.build_no,
        "created_at": t.plan_runs.c.created_at,
        "has_executions": _some_execution(),
        "active": _some_execution(t.executions.c.status.not_in(_TERMINAL)),
        "some_passed": _some_execution(_EFFECTIVE == ExecutionStatus.PASSED),
        "some_failed": _some_execution(_EFFECTIVE == ExecutionStatus.FAILED),
        "some_errored": _some_execution(_EFFECTIVE == ExecutionStatus.ERROR),
        "some_stopped_after_start": _some_execution(
            _EFFECTIVE == ExecutionStatus.STOPPED, t.executions.c.started_at.is_not(None)
        ),
        "some_stopped_before_start": _some_execution(
            _EFFECTIVE == ExecutionStatus.STOPPED, t.executions.c.started_at.is_(None)
        ),
    }
)


def query_plan_runs(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[PlanRun], int]:
    """The workspace's plan runs in the selection, newest first."""
    principal.require(Permission.READ)
    window = read_side.window(PLAN_RUNS, selection)
    with app.db.reading() as session:
        runs = Repository(session, PlanRun, principal.workspace_id, "plan run")
        return runs.offset_page(window, t.plan_runs.c.id.desc())


@dataclass(frozen=True)
class PlanRunRow:
    """One plan run as the runs list shows it: its plan's name, its status and counts."""

    plan_run: PlanRun
    plan_name: str
    status: ExecutionStatus
    counts: dict[str, int]
    finished_at: datetime | None = None
    """When its last execution ended, once all have."""


def list_plan_run_rows(
    app: AppContext,
    principal: Principal,
    *,
    plan_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[PlanRunRow]:
    """Plan runs newest first, each with its status and counts (one grouped query per page)."""
    page = list_plan_runs(app, principal, plan_id=plan_id, limit=limit, cursor=cursor)
    ids = [run.id for run in page.items]
    by_run: dict[str, dict[str, int]] = {ident: {} for ident in ids}
    last: dict[str, Any] = {}
    with app.db.reading() as session:
        if ids:
            grouped = session.execute(
                select(
                    executions.c.plan_run_id,
                    _EFFECTIVE.label("status"),
                    func.count(),
                    func.max(executions.c.finished_at),
                )
                .where(executions.c.plan_run_id.in_(ids))
                .group_by(executions.c.plan_run_id, _EFFECTIVE)
            )
            for run_id, status, n, finished in grouped:
                by_run[run_id][str(status)] = n
                if finished is not None and (last.get(run_id) is None or finished > last[run_id]):
                    last[run_id] = finished
        plan_ids = {run.plan_id for run in page.items}
        names = (
            dict(
                session.execute(select(t.plans.c.id, t.plans.c.name).where(t.plans.c.id.in_(plan_ids))).all()
            )
            if plan_ids
            else {}
        )
    rows = []
    for run in page.items:
        counts = by_run[run.id]
        statuses = [ExecutionStatus(s) for s in counts]
        rows.append(
            PlanRunRow(
                run,
                names.get(run.plan_id, run.plan_id),
                plan_run_status(statuses),
                counts,
                None
                if any(not s.is_terminal for s in statuses) or run.id not in last
                else as_utc(last[run.id]),
            )
        )
    return Page(rows, page.next_cursor)
