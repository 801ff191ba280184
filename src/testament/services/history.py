"""Test cases' run history, as the UI lists it beside them: the last runs' statuses (oldest
first, newest last), pass rate, duration trend and flaky flips; and a test case's versions.

A read model across aggregates (it holds none): executions grouped by test case, with the test
cases' names, read for a whole list of test cases in two queries however long the list is.

    found = history.histories(ctx, principal, [case.id for case in page.items], last=20)
    found[case_id].statuses       # ["PASSED", "FAILED", ...], newest last
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from sqlalchemy import func, select

from testament.domain.access import Permission, Principal
from testament.domain.errors import NotFound
from testament.domain.execution import ExecutionStatus, effective_status
from testament.kit.clock import as_utc
from testament.services.context import AppContext
from testament.store.repository import owned_by
from testament.store.tables import executions, test_case_versions, test_cases

__all__ = ["CaseRun", "History", "Version", "histories", "history", "versions"]

LAST = 20
MAX_LAST = 200


@dataclass(frozen=True)
class CaseRun:
    """One execution of a test case, as its history shows it."""

    id: str
    status: ExecutionStatus
    """The status reports count: a person's override, else its own."""
    version: int
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempt: int
    flaky: bool
    data_set_name: str | None
    machine: str | None
    plan_run_id: str | None

    @property
    def finished(self) -> bool:
        return self.status.is_terminal

    @property
    def duration_ms(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds() * 1000)


@dataclass(frozen=True)
class History:
    """A test case's last runs, oldest first. Its numbers count finished runs only."""

    test_case_id: str
    runs: Sequence[CaseRun]
    name: str = ""
    kind: str = ""

    @property
    def statuses(self) -> list[str]:
        return [r.status.value for r in self.runs]

    @property
    def last(self) -> CaseRun | None:
        return self.runs[-1] if self.runs else None

    @property
    def _finished(self) -> list[CaseRun]:
        return [r for r in self.runs if r.finished]

    @property
    def pass_rate(self) -> float | None:
        """Passed / finished (None before any run finished)."""
        done = self._finished
        if not done:
            return None
        return sum(r.status == ExecutionStatus.PASSED for r in done) / len(done)

    @property
    def pass_trend(self) -> list[float]:
        """The pass rate after each finished run (a cumulative line for a sparkline)."""
        trend: list[float] = []
        passed = 0
        for i, run in enumerate(self._finished, start=1):
            passed += run.status == ExecutionStatus.PASSED
            trend.append(passed / i)
        return trend

    @property
    def durations(self) -> list[float | None]:
        """Each finished run's duration in ms (None: it never started), oldest first."""
        return [r.duration_ms for r in self._finished]

    @property
    def flips(self) -> int:
        """How often a finished run's outcome (passed or not) differs from the one before it."""
        outcomes = [r.status == ExecutionStatus.PASSED for r in self._finished]
        return sum(a != b for a, b in pairwise(outcomes))

    @property
    def flaky(self) -> bool:
        """Flaky: its outcome flipped at least twice in these runs, or a run passed only on a retry."""
        return self.flips >= 2 or any(r.flaky for r in self.runs)


@dataclass(frozen=True)
class Version:
    version: int
    sha256: str
    created_at: datetime


_RUN_COLUMNS = (
    executions.c.test_case_id,
    executions.c.id,
    executions.c.status,
    executions.c.override_status,
    executions.c.test_case_version,
    executions.c.queued_at,
    executions.c.started_at,
    executions.c.finished_at,
    executions.c.attempt,
    executions.c.flaky,
    executions.c.data_set_name,
    executions.c.machine,
    executions.c.plan_run_id,
)


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def histories(
    app: AppContext, principal: Principal, test_case_ids: Sequence[str], *, last: int = LAST
) -> dict[str, History]:
    """The last `last` runs of each test case (ids of another workspace find nothing), with its
    name and kind: one query for the runs (newest `last` per test case), one for the names."""
    principal.require(Permission.READ)
    last = max(1, min(last, MAX_LAST))
    ids = list(dict.fromkeys(test_case_ids))
    found: dict[str, list[CaseRun]] = {i: [] for i in ids}
    if not ids:
        return {}
    newest_first = (
        func.row_number()
        .over(partition_by=executions.c.test_case_id, order_by=executions.c.id.desc())
        .label("newest")
    )
    ranked = (
        select(*_RUN_COLUMNS, newest_first)
        .where(owned_by(executions, principal.workspace_id), executions.c.test_case_id.in_(ids))
        .subquery()
    )
    query = select(ranked).where(ranked.c.newest <= last).order_by(ranked.c.test_case_id, ranked.c.id)
    names = select(test_cases.c.id, test_cases.c.name, test_cases.c.kind).where(
        owned_by(test_cases, principal.workspace_id), test_cases.c.id.in_(ids)
    )
    with app.db.reading() as session:
        rows = session.execute(query).all()
        named = {row.id: (row.name, row.kind) for row in session.execute(names)}
    for row in rows:
        found[row.test_case_id].append(
            CaseRun(
                id=row.id,
                status=effective_status(ExecutionStatus(str(row.status)), _status(row.override_status)),
                version=row.test_case_version,
                queued_at=as_utc(row.queued_at),
                started_at=_utc(row.started_at),
                finished_at=_utc(row.finished_at),
                attempt=row.attempt,
                flaky=bool(row.flaky),
                data_set_name=row.data_set_name,
                machine=row.machine,
                plan_run_id=row.plan_run_id,
            )
        )
    return {
        i: History(i, tuple(found[i]), *named[i])
        for i in ids
        if i in named  # a test case of another workspace (or none) has no history here
    }


def _status(value: object) -> ExecutionStatus | None:
    return None if value is None else ExecutionStatus(str(value))


def history(app: AppContext, principal: Principal, test_case_id: str, *, last: int = 50) -> History:
    """One test case's history (NotFound: no such test case in the workspace)."""
    found = histories(app, principal, [test_case_id], last=last)
    if test_case_id not in found:
        raise NotFound("test case", test_case_id)
    return found[test_case_id]


def versions(app: AppContext, principal: Principal, test_case_id: str) -> list[Version]:
    """A test case's versions, oldest first (NotFound: no such test case in the workspace)."""
    principal.require(Permission.READ)
    query = (
        select(test_case_versions.c.version, test_case_versions.c.sha256, test_case_versions.c.created_at)
        .join(test_cases, test_cases.c.id == test_case_versions.c.test_case_id)
        .where(owned_by(test_cases, principal.workspace_id), test_cases.c.id == test_case_id)
        .order_by(test_case_versions.c.version)
    )
    with app.db.reading() as session:
        rows = session.execute(query).all()
    if not rows:
        raise NotFound("test case", test_case_id)
    return [Version(row.version, row.sha256, as_utc(row.created_at)) for row in rows]
