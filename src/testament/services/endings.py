"""What every end of an execution does, in the transaction that ends it.

The engine finishing it, a stop, a manual run completing and recovery giving up all call
`ended(uow, execution)`: the scoreboard is sealed from the records, a test instance whose
batch this execution completes becomes COMPLETE (with the batch's scoreboard, and its
candidate's callback queued), and the end is announced after commit.
"""

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from testament.domain.execution import Execution
from testament.domain.scoring import merge_scoreboards
from testament.domain.tasks import Candidate, InstanceStatus, TestInstance
from testament.services import callbacks, scores
from testament.services.context import UnitOfWork
from testament.services.events import ExecutionFinished
from testament.store.tables import executions, test_instances

__all__ = ["ended", "is_instance_batch", "score", "settle"]


def ended(uow: UnitOfWork, execution: Execution, *, frees_capacity: bool = True) -> None:
    """`frees_capacity`: see ExecutionFinished (a caller that knows it freed no capped slot says so)."""
    score(uow, execution)
    settle(uow, execution, frees_capacity=frees_capacity)


def score(uow: UnitOfWork, execution: Execution) -> None:
    """Seal the scoreboard from the records: the first half of `ended`."""
    execution.scoreboard = scores.scoreboard_of(uow.session, execution)


def settle(
    uow: UnitOfWork, execution: Execution, *, frees_capacity: bool = True, in_instance: bool | None = None
) -> None:
    """The second half of `ended`, once the end is written (the engine writes an execution it
    read without the ORM itself, between the halves): complete its test instance if this end
    completes its batch, and announce the end. `in_instance`: whether its batch is a test
    instance's, when the caller read it already (None: read it here)."""
    if in_instance is None:
        in_instance = is_instance_batch(uow.session, execution)
    if in_instance:
        _settle_instance(uow, execution)
    uow.emit(ExecutionFinished(execution.workspace_id, execution.id, execution.status.value, frees_capacity))


# Whether a batch is a test instance's: most are not, and this is asked at every end.
_INSTANCE_OF_BATCH = (
    select(test_instances.c.id).where(test_instances.c.batch_id == bindparam("b_batch_id")).limit(1)
)


def is_instance_batch(session: Session, execution: Execution) -> bool:
    """Whether the execution's batch is a test instance's (fixed when the batch is started)."""
    return session.execute(_INSTANCE_OF_BATCH, {"b_batch_id": execution.batch_id}).first() is not None


def _settle_instance(uow: UnitOfWork, execution: Execution) -> None:
    instance = uow.session.scalars(
        select(TestInstance).where(test_instances.c.batch_id == execution.batch_id).with_for_update()
    ).first()
    if instance is None or instance.status is not InstanceStatus.STARTED:
        return
    batch = list(uow.session.scalars(select(Execution).where(executions.c.batch_id == execution.batch_id)))
    if not all(x.status.is_terminal for x in batch):
        return
    boards = [x.scoreboard for x in sorted(batch, key=lambda x: x.id) if x.scoreboard is not None]
    instance.complete(boards[0] if len(boards) == 1 else merge_scoreboards(boards), uow.app.clock())
    candidate = uow.session.get(Candidate, instance.candidate_id)
    if candidate is not None and candidate.callback_url:
        callbacks.enqueue(uow, instance, candidate)
