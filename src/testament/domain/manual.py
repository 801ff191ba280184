"""Manual runs: step outcomes recorded by a person, and the run status they add up to.

    NotRun, Passed, Failed, Blocked, Undetermined      (a step's outcome)

A run's status derives from its steps by `STATUS_RULES`, an ordered table whose first
matching row wins: a run not yet completed is In Progress (a fresh one too, as the
vendor's examples show); a completed one is Failed if any step failed, else Blocked if
any is blocked, else Undetermined if any is, else Not Run when no step passed, else
Undetermined when some step was left NotRun (Passed means every step passed), else
Passed. A run completes when every step has an outcome, or earlier when the tester asks
to complete it. The table is data so that a query can compile the same rule to SQL.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from testament.domain.errors import InvalidInput
from testament.domain.execution import ExecutionStatus
from testament.domain.json_values import check_json_object

__all__ = [
    "STATUS_RULES",
    "RunFields",
    "RunStatus",
    "StatusRule",
    "StepOutcome",
    "core_status",
    "derive_status",
    "parse_outcome",
]

MAX_DURATION_LENGTH = 100
MAX_VALUES_BYTES = 64 * 1024


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


@dataclass(frozen=True)
class StatusRule:
    """One row of the derivation table; a condition left None holds whatever the run is."""

    status: RunStatus
    completed: bool | None = None  # the run is (True) or is not yet (False) completed
    some_step: StepOutcome | None = None  # at least one step has this outcome
    no_step: StepOutcome | None = None  # no step has this outcome

    def holds(self, outcomes: Sequence[StepOutcome], *, completed: bool) -> bool:
        return (
            (self.completed is None or self.completed == completed)
            and (self.some_step is None or self.some_step in outcomes)
            and (self.no_step is None or self.no_step not in outcomes)
        )


STATUS_RULES: tuple[StatusRule, ...] = (
    StatusRule(RunStatus.IN_PROGRESS, completed=False),
    StatusRule(RunStatus.FAILED, some_step=StepOutcome.FAILED),
    StatusRule(RunStatus.BLOCKED, some_step=StepOutcome.BLOCKED),
    StatusRule(RunStatus.UNDETERMINED, some_step=StepOutcome.UNDETERMINED),
    StatusRule(RunStatus.NOT_RUN, no_step=StepOutcome.PASSED),
    StatusRule(RunStatus.UNDETERMINED, some_step=StepOutcome.NOT_RUN),
    StatusRule(RunStatus.PASSED),
)


def derive_status(outcomes: Sequence[StepOutcome], *, completed: bool) -> RunStatus:
    """The status of the first row of `STATUS_RULES` that holds (the last always does)."""
    return next(r.status for r in STATUS_RULES if r.holds(outcomes, completed=completed))


def core_status(status: RunStatus) -> ExecutionStatus:
    """How a completed manual run ends in the core: only an all-passed run PASSED; a run
    completed with nothing recorded is STOPPED; anything else FAILED (its reason says which)."""
    if status == RunStatus.PASSED:
        return ExecutionStatus.PASSED
    if status == RunStatus.NOT_RUN:
        return ExecutionStatus.STOPPED
    return ExecutionStatus.FAILED


@dataclass(frozen=True)
class RunFields:
    """What a tester reports about a run beside its steps: how long it took (free text, as
    "5 minutes"), and values of custom fields and widgets. None leaves a value as it is."""

    actual_duration: str | None = None
    field_values: dict[str, Any] | None = None
    widget_values: dict[str, Any] | None = None

    @classmethod
    def checked(cls, actual_duration: Any, field_values: Any, widget_values: Any) -> "RunFields":
        """The fields, each checked; InvalidInput names the first that breaks a rule."""
        if actual_duration is not None and (
            not isinstance(actual_duration, str) or len(actual_duration) > MAX_DURATION_LENGTH
        ):
            raise InvalidInput(
                "actual_duration", f"must be a text of at most {MAX_DURATION_LENGTH} characters"
            )
        return cls(
            actual_duration,
            _values("field_values", field_values),
            _values("widget_values", widget_values),
        )

    @property
    def empty(self) -> bool:
        return self.actual_duration is None and self.field_values is None and self.widget_values is None


def _values(field: str, values: Any) -> dict[str, Any] | None:
    return None if values is None else check_json_object(field, values, MAX_VALUES_BYTES)
