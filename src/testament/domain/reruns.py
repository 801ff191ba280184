"""Which executions of a finished plan run a rerun runs again: a pure function of the parent's
executions and the scope asked for. A test case of the run is a group (machine, suite, test
case); an iteration is one of its data sets. An execution counts as failed unless its
effective status (an override counts) is PASSED.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from testament.domain.errors import InvalidInput
from testament.domain.execution import Execution, ExecutionStatus

__all__ = ["RERUN_MODES", "GroupKey", "Pick", "RerunScope", "group_key", "rerun_selection"]

GroupKey = tuple[str | None, str | None, str]  # (machine, suite id, test case id)
RERUN_MODES = ("all", "failed_tests", "failed_iterations", "picked")


def group_key(execution: Execution) -> GroupKey:
    return (execution.machine, execution.suite_id, execution.test_case_id)


@dataclass(frozen=True)
class Pick:
    """One test case of the parent run to run again, and which of its iterations:
    "all", "failed", "passed", or "picked" (then `execution_ids` names them)."""

    group: GroupKey
    iterations: str = "all"
    execution_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RerunScope:
    """What to run again: "all" tests, only "failed_tests" (all their iterations), only
    "failed_iterations", or the `picks`."""

    mode: str = "all"
    picks: tuple[Pick, ...] = ()


def rerun_selection(parent: Sequence[Execution], scope: RerunScope) -> set[tuple[GroupKey, str | None]]:
    """The (group, data set name) pairs of the parent run that `scope` selects."""
    if scope.mode not in RERUN_MODES:
        raise InvalidInput("rerun", "must be one of " + ", ".join(RERUN_MODES))
    failed = {x.id for x in parent if x.effective_status != ExecutionStatus.PASSED}
    failed_groups = {group_key(x) for x in parent if x.id in failed}

    def chosen(x: Execution) -> bool:
        if scope.mode == "all":
            return True
        if scope.mode == "failed_tests":
            return group_key(x) in failed_groups
        if scope.mode == "failed_iterations":
            return x.id in failed
        pick = next((p for p in scope.picks if p.group == group_key(x)), None)  # the first one counts
        return pick is not None and _picked(pick, x, failed)

    return {(group_key(x), x.data_set_name) for x in parent if chosen(x)}


def _picked(pick: Pick, execution: Execution, failed: set[str]) -> bool:
    return {
        "all": True,
        "failed": execution.id in failed,
        "passed": execution.id not in failed,
        "picked": execution.id in pick.execution_ids,
    }.get(pick.iterations, False)
