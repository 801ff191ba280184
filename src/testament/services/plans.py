"""Plans: the suites to run (per machine, if it has machines), with their run settings."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput
from testament.domain.execution import ExecutionStatus
from testament.domain.model import Plan
from testament.domain.plan_settings import check_machines, check_plan_settings
from testament.kit.ids import new_id
from testament.kit.sentinels import UNSET
from testament.services import named, read_side, references, tasks
from testament.services.context import AppContext
from testament.services.paging import Page
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository
from testament.store.tables import executions, plan_runs

__all__ = [
    "PLANS",
    "create_plan",
    "delete_plan",
    "first_plan_using",
    "get_plan",
    "list_plans",
    "query_plans",
    "update_plan",
]


def _check_retries(retries: int | None) -> int | None:
    if retries is not None and not 0 <= retries <= 10:
        raise InvalidInput("retries", "must be between 0 and 10")
    return retries


def _check_pass_ratio(ratio: float | None) -> float | None:
    if ratio is not None and (isinstance(ratio, bool) or not 0 <= ratio <= 1):
        raise InvalidInput("pass_ratio", "must be a score ratio from 0 to 1 (e.g. 0.8), or null")
    return None if ratio is None else float(ratio)


def _check_environment(session: Session, principal: Principal, environment_id: str | None) -> str | None:
    if environment_id is None:
        return None
    return references.resolve(session, principal, references.ENVIRONMENT, "environment_id", environment_id)


def create_plan(
    app: AppContext,
    principal: Principal,
    *,
    name: str,
    description: str = "",
    suite_ids: list[str],
    environment_id: str | None = None,
    retries: int | None = None,
    machines: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    pass_ratio: float | None = None,
) -> Plan:
    principal.require(Permission.WRITE)
    now = app.clock()
    with app.uow() as uow:
        plan = Plan(
            id=new_id(),
            workspace_id=principal.workspace_id,
            name=named.check_name(name),
            description=named.check_description(description),
            suite_ids=named.check_members(uow.session, principal, references.SUITE, "suite_ids", suite_ids),
            environment_id=_check_environment(uow.session, principal, environment_id),
            retries=_check_retries(retries),
            created_at=now,
            updated_at=now,
            machines=_check_plan_machines(uow.session, principal, machines or []),
            settings=check_plan_settings(settings or {}),
            pass_ratio=_check_pass_ratio(pass_ratio),
        )
        named.save(uow, plan, "plan")
    return plan


def update_plan(
    app: AppContext,
    principal: Principal,
    plan_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    suite_ids: list[str] | None = None,
    environment_id: str | None = UNSET,
    retries: int | None = UNSET,
    machines: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    pass_ratio: float | None = UNSET,
) -> Plan:
    """Only what is given changes; `environment_id=None` (or "") removes the environment,
    `retries=None` the plan's retries (each test case's own count again), `pass_ratio=None`
    the quality gate."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        plan = named.load(uow.session, references.PLAN, principal, plan_id)
        if pass_ratio is not UNSET:
            plan.pass_ratio = _check_pass_ratio(pass_ratio)
        if machines is not None:
            plan.machines = _check_plan_machines(uow.session, principal, machines)
        if settings is not None:
            plan.settings = check_plan_settings({**plan.settings, **settings})
        if description is not None:
            plan.description = named.check_description(description)
        if suite_ids is not None:
            plan.suite_ids = named.check_members(
                uow.session, principal, references.SUITE, "suite_ids", suite_ids
            )
        if environment_id is not UNSET:
            plan.environment_id = _check_environment(uow.session, principal, environment_id or None)
        if retries is not UNSET:
            plan.retries = _check_retries(retries)
        if name is not None:  # after the queries above: a taken name must meet _save's write, not theirs
            plan.name = named.check_name(name)
        plan.updated_at = app.clock()
        named.save(uow, plan, "plan")
    return plan


def _check_plan_machines(
    session: Session, principal: Principal, machines: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    checked = check_machines(machines)
    for i, machine in enumerate(checked):
        field = f"machines[{i}].suite_ids"
        machine["suite_ids"] = named.check_members(
            session, principal, references.SUITE, field, machine["suite_ids"]
        )
    return checked


def get_plan(app: AppContext, principal: Principal, ident: str, *, retired: bool = False) -> Plan:
    """A plan by id or name (`retired=True`: a deleted plan that ran too, for its runs' sake)."""
    return named.read_named(app, principal, references.PLAN, ident, retired=retired)


def list_plans(
    app: AppContext, principal: Principal, *, limit: int = 50, cursor: str | None = None
) -> Page[Plan]:
    return named.list_named(app, principal, references.PLAN, limit=limit, cursor=cursor)


def first_plan_using(session: Session, principal: Principal, suite_ids: list[str]) -> tuple[str, str] | None:
    """The name of a live plan that runs one of these suites, and that suite's id; or None."""
    for plan in session.scalars(named.mine(session, principal, references.PLAN).select()):
        used = [*plan.suite_ids, *(ident for m in plan.machines for ident in m.get("suite_ids") or [])]
        for ident in suite_ids:
            if ident in used:
                return plan.name, ident
    return None


def delete_plan(app: AppContext, principal: Principal, ident: str) -> None:
    """Delete a plan; one that ran is retired instead, so its runs stay readable."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # a start of this plan cannot slip in between
        plan = named.load(uow.session, references.PLAN, principal, ident)
        _refuse_if_running(uow.session, plan.id)
        tasks.refuse_if_in_a_task(uow.session, f"plan {plan.name!r}", plan_id=plan.id)
        if uow.session.scalar(select(plan_runs.c.id).where(plan_runs.c.plan_id == plan.id).limit(1)):
            plan.retire(app.clock())  # its runs, their executions and records stay readable
        else:
            uow.session.delete(plan)
        uow.commit()


def _refuse_if_running(session: Session, plan_id: str) -> None:
    active = session.execute(
        select(executions.c.id)
        .join(plan_runs, plan_runs.c.id == executions.c.plan_run_id)
        .where(
            plan_runs.c.plan_id == plan_id,
            executions.c.status.in_([ExecutionStatus.QUEUED, ExecutionStatus.RUNNING]),
        )
    ).first()
    if active is not None:
        raise Conflict(f"plan {plan_id} has a run in progress; stop it before deleting the plan")


PLANS = View(
    {
        "id": t.plans.c.id,
        "name": t.plans.c.name,
        "description": t.plans.c.description,
        "created_at": t.plans.c.created_at,
        "updated_at": t.plans.c.updated_at,
    }
)


def query_plans(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[Plan], int]:
    """The workspace's plans in the selection, in creation order (ids are time-ordered)."""
    principal.require(Permission.READ)
    window = read_side.window(PLANS, selection)
    with app.db.reading() as session:
        return Repository(session, Plan, principal.workspace_id, "plan").offset_page(window, t.plans.c.id)
