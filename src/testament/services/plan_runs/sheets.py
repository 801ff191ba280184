"""Plan runs as a numbering surface (Testsigma) shows them: the run, its executions, its plan,
the names of its test cases and suites and the surface's numbers of all of these, read in one
transaction with one query per kind of thing, however many test cases the run has.

A surface's translator is then a pure function of a `PlanRunSheet`.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from testament.domain import surface_keys
from testament.domain.access import Permission, Principal
from testament.domain.errors import NotFound
from testament.domain.execution import ExecutionStatus, effective_status
from testament.domain.model import DEFAULT_MACHINE, Plan, PlanRun
from testament.services import surface_ids
from testament.services.context import AppContext
from testament.services.executions import Started
from testament.services.surface_ids import Key, Numbers
from testament.store.repository import owned_by
from testament.store.tables import executions, plan_runs, plans, suites, test_cases

__all__ = ["PlanRunSheet", "RunExecution", "plan_run_sheet", "plan_run_sheets", "start_and_show"]


@dataclass(frozen=True, slots=True)
class RunExecution:
    """What a plan run's answers show of one of its executions: a few columns, read as they are
    (a whole `Execution` costs twice as much to load, for JSON no answer shows)."""

    id: str
    plan_run_id: str
    test_case_id: str
    machine: str | None
    suite_id: str | None
    data_set_name: str | None
    status: ExecutionStatus
    override_status: ExecutionStatus | None
    stop_requested: bool
    started_at: datetime | None
    finished_at: datetime | None
    reason: str

    @property
    def effective_status(self) -> ExecutionStatus:
        return effective_status(self.status, self.override_status)


_RUN_EXECUTION = [executions.c[f.name] for f in fields(RunExecution)]


@dataclass(frozen=True)
class PlanRunSheet:
    run: PlanRun
    executions: Sequence[RunExecution]
    plan: Plan
    case_names: dict[str, str]
    suite_names: dict[str, str]
    """A suite deleted since the run is named by its id."""
    numbers: Numbers


def plan_run_sheet(
    app: AppContext, principal: Principal, run_id: str, also: Iterable[Key] = ()
) -> PlanRunSheet:
    """One plan run's sheet; `also` names more numbers the answer shows (the caller's key)."""
    return plan_run_sheets(app, principal, [run_id], also)[0]


def plan_run_sheets(
    app: AppContext, principal: Principal, run_ids: Sequence[str], also: Iterable[Key] = ()
) -> list[PlanRunSheet]:
    """The sheets of several plan runs, in the order given, in one read transaction."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _read(session, principal, run_ids, list(also))


def start_and_show(
    app: AppContext, principal: Principal, start: Callable[[], Started], also: Iterable[Key] = ()
) -> PlanRunSheet:
    """Start a plan run (`start` calls the use case) and read its sheet back in the same
    transaction: a surface's answer to a start costs no transaction of its own."""
    principal.require(Permission.READ)
    with app.uow() as uow:
        started = start()  # its unit of work joins this one
        assert started.plan_run is not None
        sheet = _read(uow.session, principal, [started.plan_run.id], list(also))[0]
        uow.commit()
    return sheet


def _read(
    session: Session, principal: Principal, run_ids: Sequence[str], also: list[Key]
) -> list[PlanRunSheet]:
    query = select(PlanRun).where(plan_runs.c.id.in_(run_ids), owned_by(plan_runs, principal.workspace_id))
    runs = {r.id: r for r in session.scalars(query)}
    for run_id in run_ids:
        if run_id not in runs:
            raise NotFound("plan run", run_id)
    by_run: dict[str, list[RunExecution]] = {run_id: [] for run_id in run_ids}
    in_runs = select(*_RUN_EXECUTION).where(executions.c.plan_run_id.in_(run_ids)).order_by(executions.c.id)
    for row in session.execute(in_runs):
        by_run[row.plan_run_id].append(RunExecution(*row))
    plan_ids = {r.plan_id for r in runs.values()}
    found_plans = {p.id: p for p in session.scalars(select(Plan).where(plans.c.id.in_(plan_ids)))}
    everything = [x for run_id in run_ids for x in by_run[run_id]]
    case_names = _names(session, test_cases, {x.test_case_id for x in everything})
    suite_ids = {x.suite_id for x in everything if x.suite_id}
    suite_names = {s: s for s in suite_ids} | _names(session, suites, suite_ids)
    keys = [*also, *_keys(runs.values(), found_plans.values(), everything)]
    numbers = surface_ids.numbers_in(session, keys)
    return [
        PlanRunSheet(runs[i], by_run[i], found_plans[runs[i].plan_id], case_names, suite_names, numbers)
        for i in run_ids
    ]


def _names(session: Session, table: Table, ids: set[str]) -> dict[str, str]:
    query = select(table.c.id, table.c.name).where(table.c.id.in_(ids))
    return {row.id: row.name for row in session.execute(query)}


def _keys(runs: Iterable[PlanRun], found_plans: Iterable[Plan], everything: list[RunExecution]) -> list[Key]:
    """Every number a plan run's answers may show."""
    keys: list[Key] = []
    for plan in found_plans:
        keys += surface_ids.keys_of(plan)
        keys += [("suite", s) for _name, _variables, suite_ids in plan.targets() for s in suite_ids]
    plan_of = {}
    for run in runs:
        plan_of[run.id] = run.plan_id
        keys.append(("plan_run", run.id))
        keys += [("environment", run.environment_id)] if run.environment_id else []
        keys += [("plan_run", run.parent_id)] if run.parent_id else []
    for x in everything:
        keys += surface_ids.run_part_keys(x.plan_run_id, x.id, x.machine, x.suite_id, x.test_case_id)
        keys.append(("test_case", x.test_case_id))
        keys += [("suite", x.suite_id)] if x.suite_id else []
        machine = surface_keys.machine(plan_of[x.plan_run_id], x.machine or DEFAULT_MACHINE)
        keys.append(("machine", machine))
    return keys
