"""A manual run's status derives from its steps' outcomes."""

import itertools

import pytest

from testament.domain.execution import ExecutionStatus
from testament.domain.manual import (
    STATUS_RULES,
    RunStatus,
    StepOutcome,
    core_status,
    derive_status,
    parse_outcome,
)

N, P, F, B, U = (
    StepOutcome.NOT_RUN,
    StepOutcome.PASSED,
    StepOutcome.FAILED,
    StepOutcome.BLOCKED,
    StepOutcome.UNDETERMINED,
)


def _readme_rule(outcomes: set[StepOutcome], completed: bool) -> RunStatus:
    """The rule as the README's table states it, row by row."""
    if not completed:
        return RunStatus.IN_PROGRESS
    for outcome, status in ((F, RunStatus.FAILED), (B, RunStatus.BLOCKED), (U, RunStatus.UNDETERMINED)):
        if outcome in outcomes:
            return status
    if P not in outcomes:
        return RunStatus.NOT_RUN
    return RunStatus.UNDETERMINED if N in outcomes else RunStatus.PASSED


EVERY_COMBINATION = [
    (set(present), completed)
    for completed in (False, True)
    for size in range(len(StepOutcome) + 1)
    for present in itertools.combinations(StepOutcome, size)
]


@pytest.mark.parametrize(
    ("present", "completed"),
    EVERY_COMBINATION,
    ids=[
        f"{'completed' if c else 'open'}-{'+'.join(sorted(o.value for o in p)) or 'nosteps'}"
        for p, c in EVERY_COMBINATION
    ],
)
def test_every_combination_of_step_outcomes_gets_the_status_of_the_readme_table(
    present: set[StepOutcome], completed: bool
) -> None:
    outcomes = sorted(present, key=list(StepOutcome).index)
    assert derive_status(outcomes, completed=completed) == _readme_rule(present, completed)
    assert derive_status([*outcomes, *outcomes], completed=completed) == _readme_rule(present, completed)


@pytest.mark.parametrize(
    ("outcomes", "completed", "status"),
    [
        ([N, N], False, RunStatus.IN_PROGRESS),  # a fresh run, as the vendor's 201 and 200 examples show
        ([P, N], False, RunStatus.IN_PROGRESS),
        ([P, F, N], False, RunStatus.IN_PROGRESS),
        ([P, F, B, U], True, RunStatus.FAILED),
        ([P, B, U], True, RunStatus.BLOCKED),
        ([P, U, N], True, RunStatus.UNDETERMINED),
        ([P, N], True, RunStatus.UNDETERMINED),  # completed with a step left NotRun: not every step passed
        ([P, P], True, RunStatus.PASSED),
        ([N, N], True, RunStatus.NOT_RUN),
        ([], True, RunStatus.NOT_RUN),
    ],
)
def test_an_open_run_is_in_progress_and_a_completed_one_takes_its_worst_step(
    outcomes: list[StepOutcome], completed: bool, status: RunStatus
) -> None:
    assert derive_status(outcomes, completed=completed) == status


def test_the_rule_table_ends_with_a_row_that_always_holds() -> None:
    last = STATUS_RULES[-1]
    assert (last.completed, last.some_step, last.no_step) == (None, None, None)


def test_outcomes_parse_in_any_spelling_and_unknown_ones_do_not() -> None:
    assert parse_outcome("not run") == N and parse_outcome("NOTRUN") == N and parse_outcome("passed") == P
    assert parse_outcome("Warning") is None


def test_only_an_all_passed_run_passes_in_the_core() -> None:
    assert core_status(RunStatus.PASSED) == ExecutionStatus.PASSED
    assert core_status(RunStatus.NOT_RUN) == ExecutionStatus.STOPPED
    assert {core_status(s) for s in (RunStatus.FAILED, RunStatus.BLOCKED, RunStatus.UNDETERMINED)} == {
        ExecutionStatus.FAILED
    }
