"""The keys a numbering surface's ids stand for, and the plan-run status rule they are shown with."""

import pytest

from testament.domain import surface_keys
from testament.domain.execution import ExecutionStatus as S
from testament.domain.execution import effective_status, plan_run_status


@pytest.mark.parametrize("machine", ["default", "fire/fox", "a/b/c"])
@pytest.mark.parametrize("suite_id", ["", "s1"])
def test_a_test_case_result_key_reads_back_as_it_was_made(machine: str, suite_id: str) -> None:
    key = surface_keys.test_case_result("run1", machine, suite_id, "case1")

    assert surface_keys.test_case_result_parts(key) == ("run1", machine, suite_id, "case1")
    assert key.startswith(surface_keys.suite_result("run1", machine, suite_id) + "/")
    assert key.startswith(surface_keys.machine_result("run1", machine) + "/")


@pytest.mark.parametrize(
    ("statuses", "status"),
    [
        ([S.QUEUED, S.QUEUED], S.QUEUED),
        ([S.QUEUED, S.PASSED], S.RUNNING),
        ([S.RUNNING, S.FAILED], S.RUNNING),
        ([S.PASSED, S.STOPPED, S.FAILED], S.FAILED),
        ([S.FAILED, S.ERROR], S.ERROR),
        ([S.PASSED, S.STOPPED], S.STOPPED),
        ([S.PASSED, S.PASSED], S.PASSED),
    ],
)
def test_a_plan_run_is_queued_then_running_then_its_worst_outcome(statuses: list[S], status: S) -> None:
    assert plan_run_status(statuses) is status


def test_an_override_counts_instead_of_the_status() -> None:
    assert effective_status(S.FAILED, S.PASSED) is S.PASSED
    assert effective_status(S.FAILED, None) is S.FAILED
