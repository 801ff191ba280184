"""A manual run's status derives from its steps' outcomes."""

import pytest

from testament.domain.execution import ExecutionStatus
from testament.domain.manual import RunStatus, StepOutcome, core_status, derive_status, parse_outcome

N, P, F, B, U = (
    StepOutcome.NOT_RUN,
    StepOutcome.PASSED,
    StepOutcome.FAILED,
    StepOutcome.BLOCKED,
    StepOutcome.UNDETERMINED,
)


@pytest.mark.parametrize(
    ("outcomes", "completed", "status"),
    [
        ([N, N], False, RunStatus.NOT_RUN),
        ([P, N], False, RunStatus.IN_PROGRESS),
        ([P, P], False, RunStatus.PASSED),
        ([P, F, B, U], False, RunStatus.FAILED),
        ([P, B, U], False, RunStatus.BLOCKED),
        ([P, U, N], False, RunStatus.UNDETERMINED),
        ([P, N], True, RunStatus.PASSED),
        ([N, N], True, RunStatus.NOT_RUN),
    ],
)
def test_the_worst_step_decides_and_unfinished_runs_are_in_progress(
    outcomes: list[StepOutcome], completed: bool, status: RunStatus
) -> None:
    assert derive_status(outcomes, completed=completed) == status


def test_outcomes_parse_in_any_spelling_and_unknown_ones_do_not() -> None:
    assert parse_outcome("not run") == N and parse_outcome("NOTRUN") == N and parse_outcome("passed") == P
    assert parse_outcome("Warning") is None


def test_only_an_all_passed_run_passes_in_the_core() -> None:
    assert core_status(RunStatus.PASSED) == ExecutionStatus.PASSED
    assert core_status(RunStatus.NOT_RUN) == ExecutionStatus.STOPPED
    assert {core_status(s) for s in (RunStatus.FAILED, RunStatus.BLOCKED, RunStatus.UNDETERMINED)} == {
        ExecutionStatus.FAILED
    }
