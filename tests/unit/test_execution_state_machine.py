"""The execution state machine refuses what cannot happen."""

from datetime import UTC, datetime, timedelta

import pytest

from testament.domain.errors import IllegalTransition
from testament.domain.execution import Execution, ExecutionStatus, Outcome

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(seconds=30)
LIMIT = timedelta(seconds=300)


def queued(max_attempts: int = 1) -> Execution:
    return Execution(
        id="x",
        workspace_id="w",
        test_case_id="c",
        test_case_version=1,
        kind="http",
        status=ExecutionStatus.QUEUED,
        queued_at=NOW,
        created_by="u",
        max_attempts=max_attempts,
    )


def running(max_attempts: int = 1) -> Execution:
    execution = queued(max_attempts)
    execution.start("worker", NOW, LEASE, LIMIT)
    return execution


def test_starting_sets_the_lease_and_the_deadline() -> None:
    execution = running()
    assert execution.status == ExecutionStatus.RUNNING
    assert execution.lease_expires_at == NOW + LEASE
    assert execution.deadline_at == NOW + LIMIT


def test_a_finished_execution_cannot_start_finish_or_stop_again() -> None:
    execution = running()
    execution.finish(Outcome(ExecutionStatus.PASSED), NOW)
    with pytest.raises(IllegalTransition):
        execution.start("w", NOW, LEASE, LIMIT)
    with pytest.raises(IllegalTransition):
        execution.finish(Outcome(ExecutionStatus.FAILED), NOW)
    with pytest.raises(IllegalTransition):
        execution.request_stop(NOW)


def test_a_queued_execution_cannot_finish_without_running() -> None:
    with pytest.raises(IllegalTransition):
        queued().finish(Outcome(ExecutionStatus.PASSED), NOW)


def test_stopping_a_queued_execution_ends_it_and_a_running_one_only_flags_it() -> None:
    waiting, busy = queued(), running()
    waiting.request_stop(NOW)
    busy.request_stop(NOW)
    assert waiting.status == ExecutionStatus.STOPPED and waiting.finished_at == NOW
    assert busy.status == ExecutionStatus.RUNNING and busy.stop_requested


def test_a_pass_after_a_failed_attempt_is_flaky() -> None:
    execution = running(max_attempts=2)
    execution.next_attempt()
    execution.finish(Outcome(ExecutionStatus.PASSED), NOW)
    assert execution.flaky and execution.attempt == 2


def test_attempts_beyond_the_policy_are_refused() -> None:
    execution = running(max_attempts=1)
    with pytest.raises(IllegalTransition):
        execution.next_attempt()


def test_a_lost_execution_runs_its_attempt_again_until_recoveries_run_out() -> None:
    execution = running()
    assert execution.interrupt(NOW, max_recoveries=1, worker_lost=True)
    assert (execution.status, execution.lease_owner) == (ExecutionStatus.QUEUED, None)
    assert (execution.attempt, execution.max_attempts, execution.interruptions) == (1, 1, 1)
    execution.start("w2", NOW, LEASE, LIMIT)
    assert not execution.interrupt(NOW, max_recoveries=1, worker_lost=True)
    assert execution.status == ExecutionStatus.ERROR and "lost 2 times" in execution.reason


def test_a_clean_shutdown_is_an_interruption_not_a_retry_nor_a_lost_worker() -> None:
    execution = running(max_attempts=1)
    for _ in range(3):  # however often the server is restarted
        assert execution.interrupt(NOW, max_recoveries=0, worker_lost=False)
        execution.start("w2", NOW, LEASE, LIMIT)
    assert (execution.attempt, execution.max_attempts) == (1, 1)
    assert (execution.interruptions, execution.recoveries) == (3, 0)


def test_a_pass_after_an_interruption_is_not_flaky() -> None:
    execution = running()
    execution.interrupt(NOW, max_recoveries=1, worker_lost=False)
    execution.start("w2", NOW, LEASE, LIMIT)
    execution.finish(Outcome(ExecutionStatus.PASSED), NOW)
    assert execution.status == ExecutionStatus.PASSED and not execution.flaky


def test_an_interrupted_retry_keeps_its_attempt_number() -> None:
    execution = running(max_attempts=2)
    execution.next_attempt()
    execution.interrupt(NOW, max_recoveries=1, worker_lost=False)
    execution.start("w2", NOW, LEASE, LIMIT)
    assert (execution.attempt, execution.max_attempts, execution.interruptions) == (2, 2, 1)
    with pytest.raises(IllegalTransition):
        execution.next_attempt()


def test_a_lost_execution_that_was_asked_to_stop_ends_stopped() -> None:
    execution = running()
    execution.request_stop(NOW)
    assert not execution.interrupt(NOW, max_recoveries=5, worker_lost=True)
    assert execution.status == ExecutionStatus.STOPPED


def test_only_the_lease_owner_renews_it() -> None:
    execution = running()
    assert not execution.renew_lease("someone else", NOW, LEASE)
    assert execution.renew_lease("worker", NOW + LEASE, LEASE)
    assert execution.lease_expires_at == NOW + 2 * LEASE
