"""A test case's history numbers (services/history.History): pass rate, flips, flaky, durations."""

from datetime import UTC, datetime, timedelta

from testament.domain.execution import ExecutionStatus as S
from testament.services.history import CaseRun, History

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(status: S, seconds: float | None = 1.0, *, flaky: bool = False, n: int = 0) -> CaseRun:
    started = finished = None
    if seconds is not None:
        started = T0 + timedelta(minutes=n)
        finished = started + timedelta(seconds=seconds) if status.is_terminal else None
    return CaseRun(f"x{n}", status, 1, T0, started, finished, 2 if flaky else 1, flaky, None, None, None)


def history(*runs: CaseRun) -> History:
    return History("case", runs)


def test_a_test_case_never_run_has_no_numbers() -> None:
    empty = history()
    assert empty.statuses == [] and empty.last is None
    assert empty.pass_rate is None and empty.pass_trend == [] and empty.durations == []
    assert empty.flips == 0 and not empty.flaky


def test_the_pass_rate_counts_finished_runs_only() -> None:
    past = history(run(S.PASSED, n=0), run(S.FAILED, n=1), run(S.PASSED, n=2), run(S.RUNNING, n=3))
    assert past.statuses == ["PASSED", "FAILED", "PASSED", "RUNNING"]
    assert past.last is not None and past.last.status is S.RUNNING
    assert past.pass_rate == 2 / 3
    assert past.pass_trend == [1.0, 0.5, 2 / 3]


def test_flips_count_changes_between_passed_and_not_and_two_make_it_flaky() -> None:
    steady = history(run(S.FAILED), run(S.ERROR), run(S.STOPPED))
    once = history(run(S.PASSED), run(S.PASSED), run(S.FAILED), run(S.FAILED))
    twice = history(run(S.PASSED), run(S.FAILED), run(S.PASSED))
    assert (steady.flips, steady.flaky) == (0, False)
    assert (once.flips, once.flaky) == (1, False)
    assert (twice.flips, twice.flaky) == (2, True)


def test_a_pass_on_a_retry_is_flaky_on_its_own() -> None:
    assert history(run(S.PASSED), run(S.PASSED, flaky=True)).flaky


def test_durations_are_in_ms_and_none_for_a_run_that_never_started() -> None:
    past = history(run(S.PASSED, 1.5), run(S.STOPPED, None), run(S.QUEUED, None))
    assert past.durations == [1500.0, None]
