"""Stopping, overriding and deleting executions."""

from collections.abc import Sequence

from sqlalchemy import select

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput
from testament.domain.execution import MANUAL_KIND, Execution, ExecutionStatus, Outcome
from testament.services import blobs, endings
from testament.services.context import AppContext, UnitOfWork
from testament.services.events import ExecutionStopRequested
from testament.services.executions import artifacts
from testament.services.executions.read import load_execution
from testament.services.executions.start import ACTIVE
from testament.store.repository import Repository
from testament.store.tables import executions

__all__ = ["delete_execution", "override_executions", "request_stop", "request_stop_all", "stop_execution"]


def stop_execution(
    app: AppContext, principal: Principal, execution_id: str, *, already_stopped_ok: bool = False
) -> Execution:
    """Ask an execution to stop. Stopping a finished one is a Conflict, unless it is stopped
    (or stopping) already and the caller treats a repeated stop as done (AWS does)."""
    principal.require(Permission.EXECUTE)
    with app.uow() as uow:
        execution = load_execution(uow.session, principal, execution_id, lock=True)
        repeated = execution.status == ExecutionStatus.STOPPED or execution.stop_requested
        if execution.kind == MANUAL_KIND and execution.status == ExecutionStatus.RUNNING:
            stopped = Outcome(ExecutionStatus.STOPPED, f"stopped by {principal.user_name}")
            execution.finish_manual(stopped, app.clock())  # no worker to tell: it ends now
            endings.ended(uow, execution)
        elif not (already_stopped_ok and repeated):
            request_stop(uow, execution)
        uow.commit()
        return execution


def request_stop(uow: UnitOfWork, execution: Execution) -> None:
    """Ask one execution to stop: a queued one ends now, a running one's worker is told."""
    was_queued = execution.status == ExecutionStatus.QUEUED
    execution.request_stop(uow.app.clock())
    if was_queued:
        endings.ended(uow, execution)
    else:
        uow.emit(ExecutionStopRequested(execution.workspace_id, execution.id))


def request_stop_all(uow: UnitOfWork, plan_run_id: str) -> None:
    """Ask every execution of a plan run that is still queued or running to stop."""
    for execution in uow.session.scalars(
        select(Execution)
        .where(executions.c.plan_run_id == plan_run_id, executions.c.status.in_(ACTIVE))
        .with_for_update()
    ):
        request_stop(uow, execution)


def override_executions(
    app: AppContext, principal: Principal, execution_ids: Sequence[str], status: ExecutionStatus, comment: str
) -> list[Execution]:
    """Override the outcome of finished executions, all or none, with a comment saying why."""
    principal.require(Permission.EXECUTE)
    if not comment.strip() or len(comment) > 4096:
        raise InvalidInput("comment", "say why, in 1 to 4096 characters")
    with app.uow() as uow:
        found = Repository(uow.session, Execution, principal.workspace_id, "execution").get_many(
            execution_ids, lock=True
        )
        for execution in found:
            execution.override(status, comment, principal.user_name, app.clock())
        uow.commit()
        return found


def delete_execution(app: AppContext, principal: Principal, execution_id: str) -> None:
    """Delete an execution and its records. A worker's execution in progress must be stopped first."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        execution = load_execution(uow.session, principal, execution_id, lock=True)
        if execution.kind != MANUAL_KIND and execution.status in ACTIVE:
            raise Conflict(
                f"execution {execution.id} is {execution.status.value}; stop it before deleting it"
            )
        kept_files = artifacts.file_keys(uow.session, execution.id)
        uow.session.delete(execution)
        uow.commit()
    blobs.delete_blobs(app, kept_files)  # its artifacts' rows went with it; their files go now
