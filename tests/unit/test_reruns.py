"""Which executions of a finished plan run a rerun selects (domain/reruns.py)."""

from datetime import UTC, datetime

import pytest

from testament.domain.errors import InvalidInput
from testament.domain.execution import Execution, ExecutionStatus
from testament.domain.reruns import Pick, RerunScope, rerun_selection

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _run(ident: str, case: str, data_set: str | None, status: ExecutionStatus) -> Execution:
    return Execution(
        ident, "ws", case, 1, "noop", status, NOW, "me", suite_id="s", machine="m", data_set_name=data_set
    )


# case a: one iteration passed, one failed; case b: both passed; case c: one run, it errored
PARENT = [
    _run("1", "a", "one", ExecutionStatus.PASSED),
    _run("2", "a", "two", ExecutionStatus.FAILED),
    _run("3", "b", "one", ExecutionStatus.PASSED),
    _run("4", "b", "two", ExecutionStatus.PASSED),
    _run("5", "c", None, ExecutionStatus.ERROR),
]
A, B, C = ("m", "s", "a"), ("m", "s", "b"), ("m", "s", "c")


def test_all_runs_every_iteration_again() -> None:
    assert rerun_selection(PARENT, RerunScope("all")) == {
        (A, "one"),
        (A, "two"),
        (B, "one"),
        (B, "two"),
        (C, None),
    }


def test_failed_tests_runs_every_iteration_of_a_test_that_failed_anywhere() -> None:
    assert rerun_selection(PARENT, RerunScope("failed_tests")) == {(A, "one"), (A, "two"), (C, None)}


def test_failed_iterations_runs_only_the_iterations_that_failed() -> None:
    assert rerun_selection(PARENT, RerunScope("failed_iterations")) == {(A, "two"), (C, None)}


def test_an_override_to_passed_counts_as_passed() -> None:
    overridden = _run("6", "d", None, ExecutionStatus.FAILED)
    overridden.override_status = ExecutionStatus.PASSED
    assert rerun_selection([overridden], RerunScope("failed_iterations")) == set()


def test_picks_choose_tests_and_which_of_their_iterations() -> None:
    scope = RerunScope(
        "picked",
        (Pick(A, "passed"), Pick(B, "picked", frozenset({"4"})), Pick(C, "failed")),
    )
    assert rerun_selection(PARENT, scope) == {(A, "one"), (B, "two"), (C, None)}


def test_the_first_pick_of_a_test_is_the_one_that_counts() -> None:
    scope = RerunScope("picked", (Pick(A, "failed"), Pick(A, "all")))
    assert rerun_selection(PARENT, scope) == {(A, "two")}


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(InvalidInput):
        rerun_selection(PARENT, RerunScope("some"))
