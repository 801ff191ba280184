"""Manual runs: step outcomes recorded by a person, and the run status they add up to.

    NotRun, Passed, Failed, Blocked, Undetermined      (a step's outcome)

A run's status derives from its steps: Failed if any failed, else Blocked if any is
blocked, else Undetermined if any is, else Passed when all passed; In Progress while
some are not run yet, Not Run while none has an outcome. A run completes when every step
has an outcome, or earlier when the tester asks to complete it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from testament.domain.errors import InvalidInput
from testament.domain.execution import ExecutionStatus
from testament.domain.json_values import check_json_object

__all__ = ["RunFields", "RunStatus", "StepOutcome", "core_status", "derive_status", "parse_outcome"]

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
