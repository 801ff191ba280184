"""Stopping a plan run, and running it again (a rerun: what `RerunScope` selects of it)."""

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput
from testament.domain.execution import plan_run_status
from testament.domain.reruns import RerunScope, rerun_selection
from testament.services.context import AppContext
from testament.services.executions import ACTIVE, RunDetails, Started, request_stop_all, start_execution
from testament.services.plan_runs.read import PlanRunView, get_plan_run, load_plan_run

__all__ = ["rerun_plan_run", "stop_plan_run"]


def stop_plan_run(app: AppContext, principal: Principal, plan_run_id: str) -> PlanRunView:
    principal.require(Permission.EXECUTE)
    with app.uow() as uow:
        load_plan_run(uow.session, principal, plan_run_id)
        request_stop_all(uow, plan_run_id)
        uow.commit()
    return get_plan_run(app, principal, plan_run_id)


def rerun_plan_run(
    app: AppContext, principal: Principal, parent_run_id: str, scope: RerunScope, *, trigger: str = "API"
) -> Started:
    """A new run of the parent's plan, with the parent's environment, build and runtime data,
    running only what `scope` selects from the parent. The new run names its parent."""
    parent = get_plan_run(app, principal, parent_run_id)
    if plan_run_status([x.status for x in parent.executions]) in ACTIVE:
        raise Conflict(f"plan run {parent_run_id} is still running; rerun it when it has finished")
    keys = rerun_selection(parent.executions, scope)
    if not keys:
        raise InvalidInput("rerun", "selects nothing to run again (nothing failed, or nothing was picked)")
    run = parent.plan_run
    details = RunDetails(
        build_no=run.build_no,
        runtime_data=dict(run.runtime_data),
        trigger=trigger,
        parent_id=run.id,
        rerun_type=scope.mode,
        select=lambda slot, data_set: ((slot.machine, slot.suite_id, slot.case.id), data_set) in keys,
        machine_variables=dict(run.machine_variables),  # the same upload versions as the parent
    )
    return start_execution(
        app, principal, plan_id=run.plan_id, environment_id=run.environment_id, run=details
    )
