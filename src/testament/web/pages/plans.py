"""Plans (/plans): each plan with its suites, machines and last runs; one plan (/plans/{id})
with its suites and test cases, machines, settings and runs; one plan run (/plan-runs/{id}):
its verdict, counts, duration and quality gate, and the grid of test cases by data sets by
machines (refreshed every 2 s while it runs), with "rerun the failed ones"."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from testament.domain.errors import InvalidInput, NotFound
from testament.domain.execution import ExecutionStatus, plan_run_status
from testament.domain.model import DEFAULT_MACHINE, Plan, PlanRun
from testament.domain.reruns import RerunScope
from testament.services import environments, history, paging, plan_runs, plans, suites
from testament.services.plan_runs import RunExecution
from testament.web.render import render
from testament.web.security import UI_HEADERS
from testament.web.session import Viewer, WebUser

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 50
LAST_RUNS = 5  # a plan's last runs on the plans list
RUNS_PAGE = 20  # runs on a plan's page
STRIP = 10  # each test case's history strip on a plan's page
RERUN_MODES = {
    "failed_iterations": "the failed iterations only",
    "failed_tests": "the failed test cases, every data set",
}


@dataclass(frozen=True)
class RunSummary:
    run: PlanRun
    status: ExecutionStatus
    total: int
    passed: int


def _summaries(user: WebUser, runs: Sequence[PlanRun]) -> dict[str, RunSummary]:
    """Each run's status and counts, read in one transaction (one query per kind of row)."""
    if not runs:
        return {}
    sheets = plan_runs.plan_run_sheets(user.ctx, user.principal, [r.id for r in runs])
    found = {}
    for sheet in sheets:
        statuses = [x.effective_status for x in sheet.executions]
        found[sheet.run.id] = RunSummary(
            sheet.run,
            plan_run_status(statuses) if statuses else ExecutionStatus.QUEUED,
            len(statuses),
            sum(s == ExecutionStatus.PASSED for s in statuses),
        )
    return found


def _suite_names(user: WebUser, wanted: Iterable[str]) -> dict[str, str]:
    ids = set(wanted)
    if not ids:
        return {}
    every = paging.all_items(lambda **page: suites.list_suites(user.ctx, user.principal, **page))
    return {s.id: s.name for s in every if s.id in ids}


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, user: Viewer, cursor: str | None = None) -> HTMLResponse:
    page = plans.list_plans(user.ctx, user.principal, limit=PAGE_SIZE, cursor=cursor or None)
    last = {
        plan.id: list(
            plan_runs.list_plan_runs(user.ctx, user.principal, plan_id=plan.id, limit=LAST_RUNS).items
        )
        for plan in page.items
    }
    summaries = _summaries(user, [r for runs in last.values() for r in runs])
    names = _suite_names(user, (s for plan in page.items for _m, _v, ids in plan.targets() for s in ids))
    rows = [
        (
            plan,
            [(m, [names.get(s, s) for s in ids]) for m, _v, ids in plan.targets()],
            [summaries[r.id] for r in last[plan.id]],
        )
        for plan in page.items
    ]
    return render(
        request,
        "plans/list.html",
        title="Plans",
        nav="/plans",
        rows=rows,
        next_url=f"/plans?{urlencode({'cursor': page.next_cursor})}" if page.next_cursor else None,
        first_url="/plans" if cursor else None,
    )


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: str, user: Viewer, cursor: str | None = None) -> HTMLResponse:
    plan = plans.get_plan(user.ctx, user.principal, plan_id, retired=True)
    targets = plan.targets()
    suite_ids = list(dict.fromkeys(s for _m, _v, ids in targets for s in ids))
    found_suites = {}
    for ident in suite_ids:
        try:
            found_suites[ident] = suites.get_suite(user.ctx, user.principal, ident)
        except NotFound:
            continue  # deleted since; the plan names it by id
    case_ids = [c for s in found_suites.values() for c in s.test_case_ids]
    pasts = history.histories(user.ctx, user.principal, case_ids, last=STRIP)
    environment = _environment_name(user, plan)
    runs = plan_runs.list_plan_runs(
        user.ctx, user.principal, plan_id=plan.id, limit=RUNS_PAGE, cursor=cursor or None
    )
    summaries = _summaries(user, runs.items)
    return render(
        request,
        "plans/detail.html",
        title=plan.name,
        nav="/plans",
        plan=plan,
        machines=[(m, variables, ids) for m, variables, ids in targets],
        has_machines=bool(plan.machines),
        suites=[(ident, found_suites.get(ident)) for ident in suite_ids],
        suite_names={ident: s.name for ident, s in found_suites.items()},
        pasts=pasts,
        environment=environment,
        settings=sorted(plan.settings.items()),
        runs=[summaries[r.id] for r in runs.items],
        next_url=f"/plans/{plan.id}?{urlencode({'cursor': runs.next_cursor})}" if runs.next_cursor else None,
    )


def _environment_name(user: WebUser, plan: Plan) -> str | None:
    if plan.environment_id is None:
        return None
    try:
        return environments.get_environment(user.ctx, user.principal, plan.environment_id).name
    except NotFound:
        return plan.environment_id


@dataclass(frozen=True)
class GridRow:
    suite: str | None
    test_case_id: str
    test_case: str
    data_set: str | None
    cells: list[RunExecution | None]  # one per machine


def _grid(sheet: plan_runs.PlanRunSheet) -> tuple[list[str], list[GridRow]]:
    """Rows (suite, test case, data set) in the order they ran, by columns (machines)."""
    machines = list(dict.fromkeys(x.machine or DEFAULT_MACHINE for x in sheet.executions))
    rows: dict[tuple[str | None, str, str | None], list[RunExecution | None]] = {}
    for x in sheet.executions:
        cells = rows.setdefault((x.suite_id, x.test_case_id, x.data_set_name), [None] * len(machines))
        cells[machines.index(x.machine or DEFAULT_MACHINE)] = x
    grid = [
        GridRow(
            sheet.suite_names.get(suite, suite) if suite else None,
            case,
            sheet.case_names.get(case, case),
            data_set,
            cells,
        )
        for (suite, case, data_set), cells in rows.items()
    ]
    return machines, grid


def _elapsed_ms(executions: Sequence[RunExecution], now: datetime) -> float | None:
    starts = [x.started_at for x in executions if x.started_at]
    if not starts:
        return None
    ends = [x.finished_at for x in executions]
    end = now if any(e is None for e in ends) else max(e for e in ends if e is not None)
    return max(0.0, (_aware(end) - _aware(min(starts))).total_seconds() * 1000)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plan_run_context(user: WebUser, plan_run_id: str) -> dict[str, Any]:
    view = plan_runs.get_plan_run(user.ctx, user.principal, plan_run_id)
    sheet = plan_runs.plan_run_sheet(user.ctx, user.principal, plan_run_id)
    machines, grid = _grid(sheet)
    finished = view.status.is_terminal
    failed = sum(1 for x in view.executions if x.effective_status != ExecutionStatus.PASSED)
    counts = [
        (s.value, view.counts[s.value.lower()]) for s in ExecutionStatus if view.counts[s.value.lower()]
    ]
    return {
        "view": view,
        "run": view.plan_run,
        "plan": sheet.plan,
        "machines": machines,
        "grid": grid,
        "counts": counts,
        "total": view.counts["total"],
        "finished": finished,
        "failed": failed,
        "elapsed": _elapsed_ms(sheet.executions, datetime.now(UTC)),
        "ratio": view.score.get("achievementRatio") if view.score else None,
        "rerun_modes": RERUN_MODES,
    }


@router.get("/plan-runs/{plan_run_id}", response_class=HTMLResponse)
def plan_run_page(request: Request, plan_run_id: str, user: Viewer) -> HTMLResponse:
    context = _plan_run_context(user, plan_run_id)
    return render(request, "plans/run.html", title=f"Run of {context['plan'].name}", nav="/plans", **context)


@router.get("/plan-runs/{plan_run_id}/grid", response_class=HTMLResponse)
def plan_run_grid(request: Request, plan_run_id: str, user: Viewer) -> HTMLResponse:
    """The verdict, counts and grid alone: what the page polls while the run is in progress."""
    return render(request, "plans/run_grid.html", **_plan_run_context(user, plan_run_id))


@router.post("/plan-runs/{plan_run_id}/rerun")
def rerun_failed(plan_run_id: str, user: Viewer, mode: str = Form("failed_iterations")) -> Response:
    user.require("rerun")
    if mode not in RERUN_MODES:
        raise InvalidInput("mode", "must be one of " + ", ".join(RERUN_MODES))
    started = plan_runs.rerun_plan_run(
        user.ctx, user.principal, plan_run_id, RerunScope(mode=mode), trigger="MANUAL"
    )
    assert started.plan_run is not None
    return RedirectResponse(f"/plan-runs/{started.plan_run.id}", status_code=303, headers=UI_HEADERS)
