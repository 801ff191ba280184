"""Manual runs: step outcomes recorded by a person, and the run status they add up to.

    NotRun, Passed, Failed, Blocked, Undetermined      (a step's outcome)

A run's status derives from its steps: Failed if any failed, else Blocked if any is
blocked, else Undetermined if any is, else Passed when all passed; In Progress while
some are not run yet, Not Run while none has an outcome. A run completes when every step
has an outcome, or earlier when the tester asks to complete it.
"""

from collections.abc import Sequence
from enum import StrEnum

from testament.domain.execution import ExecutionStatus

__all__ = ["RunStatus", "StepOutcome", "core_status", "derive_status", "parse_outcome"]


class StepOutcome(StrEnum):
    NOT_RUN = "NotRun"
    PASSED = "Passed"
    FAILED = "Failed"
    BLOCKED = "Blocked"
    UNDETERMINED = "Undetermined"


class RunStatus(StrEnum):
    NOT_RUN = "Not Run"
    IN_PROGRESS = "In Progress"
    PASSED = "Passed"
    FAILED = "Failed"
    BLOCKED = "Blocked"
    UNDETERMINED = "Undetermined"


def parse_outcome(value: str) -> StepOutcome | None:
    """An outcome by its name (case and spaces ignored: `not run`, `NotRun`), or None."""
    wanted = value.replace(" ", "").replace("_", "").lower()
    return next((o for o in StepOutcome if o.value.lower() == wanted), None)


def derive_status(outcomes: Sequence[StepOutcome], *, completed: bool) -> RunStatus:
    done = [o for o in outcomes if o != StepOutcome.NOT_RUN]
    for outcome, status in (
        (StepOutcome.FAILED, RunStatus.FAILED),
        (StepOutcome.BLOCKED, RunStatus.BLOCKED),
        (StepOutcome.UNDETERMINED, RunStatus.UNDETERMINED),
    ):
        if outcome in done:
            return status
    if not done:
        return RunStatus.NOT_RUN
    if len(done) == len(outcomes) or completed:
        return RunStatus.PASSED
    return RunStatus.IN_PROGRESS


def core_status(status: RunStatus) -> ExecutionStatus:
    """How a completed manual run ends in the core: only an all-passed run PASSED; a run
    completed with nothing recorded is STOPPED; anything else FAILED (its reason says which)."""
    if status == RunStatus.PASSED:
        return ExecutionStatus.PASSED
    if status == RunStatus.NOT_RUN:
        return ExecutionStatus.STOPPED
    return ExecutionStatus.FAILED
