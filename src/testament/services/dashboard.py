"""The dashboard's read model: a workspace's runs of the last days in a few aggregate queries.

    overview(app, principal, days=7) -> Overview
        .days        runs per day (UTC), by effective status (a person's override counts)
        .slowest     test cases by their mean run time in the range
        .flakiest    test cases that passed after a retry or both passed and failed in the range
        .running     what runs now (the worker it runs on is the fleet's: services.workers)
        .queued      how many wait

Every figure is one grouped query over the workspace's executions of the range (bounded by
the (workspace, id) index: ids are UUIDv7, so a time range is an id range), never a query per
row. It holds no aggregate: it only reads executions and the names of their test cases.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, extract, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from testament.domain.access import Permission, Principal
from testament.domain.errors import InvalidInput
from testament.domain.execution import ExecutionStatus
from testament.kit.ids import id_floor
from testament.services.context import AppContext
from testament.store.repository import owned_by
from testament.store.tables import executions, test_cases

__all__ = [
    "RANGES",
    "CaseStat",
    "DayCounts",
    "Now",
    "Overview",
    "RunningNow",
    "check_days",
    "overview",
    "running_now",
]

RANGES = (7, 14, 30)  # the days a dashboard may span
TOP = 10  # rows of the slowest and flakiest tables
RUNNING_SHOWN = 50
HISTORY = 10  # last runs in a flaky test case's strip


@dataclass(frozen=True)
class DayCounts:
    day: date
    passed: int = 0
    failed: int = 0
    error: int = 0
    stopped: int = 0
    running: int = 0  # queued or running

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.error + self.stopped + self.running

    @property
    def finished(self) -> int:
        return self.passed + self.failed + self.error + self.stopped

    @property
    def pass_rate(self) -> float | None:
        """Passed / finished (as the test cases page counts it); None: none finished that day."""
        return self.passed / self.finished if self.finished else None


@dataclass(frozen=True)
class CaseStat:
    test_case_id: str
    name: str
    runs: int
    passed: int
    failed: int  # failed or error
    flaky: int  # passed after a failed attempt
    flips: int  # finished runs whose outcome (passed or not) differs from the one before
    mean_ms: float | None
    history: list[str] = field(default_factory=list)  # last statuses, oldest first

    @property
    def pass_rate(self) -> float | None:
        """Passed / finished, as on the test cases page."""
        return self.passed / self.runs if self.runs else None


@dataclass(frozen=True)
class RunningNow:
    id: str
    test_case_id: str
    test_case_name: str
    kind: str
    started_at: datetime | None
    lease_owner: str | None


@dataclass(frozen=True)
class Overview:
    days: list[DayCounts]
    slowest: list[CaseStat]
    flakiest: list[CaseStat]
    running: list[RunningNow]
    running_count: int
    queued: int
    ever: bool  # the workspace has runs at all (older ones included)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.days)

    @property
    def passed(self) -> int:
        return sum(d.passed for d in self.days)

    @property
    def failed(self) -> int:
        return sum(d.failed + d.error for d in self.days)

    @property
    def pass_rate(self) -> float | None:
        """Passed / finished over the range."""
        finished = sum(d.finished for d in self.days)
        return self.passed / finished if finished else None


@dataclass(frozen=True)
class Now:
    """What runs now (the first RUNNING_SHOWN, the longest running first), how many run, how many wait."""

    running: list[RunningNow]
    running_count: int
    queued: int


def running_now(app: AppContext, principal: Principal) -> Now:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return Now(*_now(session, principal.workspace_id))


def check_days(days: int | str | None) -> int:
    """The range asked for: 7 when not given, else one of RANGES (a 400 naming `days` otherwise)."""
    if days in (None, ""):
        return RANGES[0]
    try:
        value = int(str(days))
    except ValueError:
        value = -1
    if value not in RANGES:
        raise InvalidInput("days", f"is one of {', '.join(map(str, RANGES))}")
    return value


def overview(app: AppContext, principal: Principal, *, days: int = 7) -> Overview:
    principal.require(Permission.READ)
    days = check_days(days)
    today = app.clock().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(), tzinfo=UTC)
    with app.db.reading() as session:
        in_range = and_(
            owned_by(executions, principal.workspace_id),
            executions.c.id >= id_floor(since),
            executions.c.queued_at >= since,
        )
        per_day = _per_day(session, in_range)
        slowest = _cases(session, in_range, slowest=True)
        flakiest = _cases(session, in_range, slowest=False)
        histories = _histories(session, in_range, [c.test_case_id for c in flakiest])
        running, running_count, queued = _now(session, principal.workspace_id)
        ever = bool(per_day) or _any(session, principal.workspace_id)
    return Overview(
        days=[
            per_day.get(first + timedelta(days=i), DayCounts(first + timedelta(days=i))) for i in range(days)
        ],
        slowest=slowest,
        flakiest=[CaseStat(**{**c.__dict__, "history": histories.get(c.test_case_id, [])}) for c in flakiest],
        running=running,
        running_count=running_count,
        queued=queued,
        ever=ever,
    )


def _any(session: Session, workspace_id: str) -> bool:
    return (
        session.execute(select(executions.c.id).where(owned_by(executions, workspace_id)).limit(1)).first()
        is not None
    )


def _effective() -> ColumnElement[Any]:
    return func.coalesce(executions.c.override_status, executions.c.status)


def _day(session: Session) -> ColumnElement[Any]:
    """The UTC day an execution was queued on (SQLite keeps UTC wall times; PostgreSQL is told)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", executions.c.queued_at))
    return func.date(executions.c.queued_at)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


BUCKETS: dict[str, str] = {
    ExecutionStatus.PASSED: "passed",
    ExecutionStatus.FAILED: "failed",
    ExecutionStatus.ERROR: "error",
    ExecutionStatus.STOPPED: "stopped",
    ExecutionStatus.QUEUED: "running",
    ExecutionStatus.RUNNING: "running",
}


def _per_day(session: Session, in_range: ColumnElement[bool]) -> dict[date, DayCounts]:
    day, status = _day(session).label("day"), _effective().label("status")
    rows = session.execute(
        select(day, status, func.count().label("n")).where(in_range).group_by(day, status)
    ).all()
    counts: dict[date, dict[str, int]] = {}
    for row in rows:
        bucket = BUCKETS.get(ExecutionStatus(row.status))
        if bucket:
            into = counts.setdefault(_as_date(row.day), {})
            into[bucket] = into.get(bucket, 0) + int(row.n)
    return {d: DayCounts(d, **c) for d, c in counts.items()}


def _run_ms(session: Session) -> ColumnElement[Any]:
    started, finished = executions.c.started_at, executions.c.finished_at
    if session.get_bind().dialect.name == "postgresql":
        return extract("epoch", finished - started) * 1000
    return (func.julianday(finished) - func.julianday(started)) * 86_400_000


def _cases(session: Session, in_range: ColumnElement[bool], *, slowest: bool) -> list[CaseStat]:
    """The TOP slowest test cases (mean run time of their finished runs), or the TOP flakiest,
    by the test cases page's rule (services/history.py): a run passed only on a retry, or the
    outcome (passed or not) flipped at least twice from one finished run to the next; the most
    flips and retries first. One query: a window compares each run with the one before it."""
    status = _effective()
    outcome = case((status == ExecutionStatus.PASSED, 1), else_=0)
    before = func.lag(outcome).over(partition_by=executions.c.test_case_id, order_by=executions.c.id)
    finished = (
        select(
            executions.c.test_case_id.label("test_case_id"),
            outcome.label("passed"),
            case((status.in_([ExecutionStatus.FAILED, ExecutionStatus.ERROR]), 1), else_=0).label("failed"),
            case((executions.c.flaky.is_(True), 1), else_=0).label("flaky"),
            case((outcome != before, 1), else_=0).label("flip"),
            case((executions.c.started_at.is_not(None), _run_ms(session)), else_=literal(None)).label("ms"),
        )
        .where(in_range, executions.c.finished_at.is_not(None))
        .subquery()
    )
    passed, failed = func.sum(finished.c.passed), func.sum(finished.c.failed)
    flaky, flips, mean_ms = func.sum(finished.c.flaky), func.sum(finished.c.flip), func.avg(finished.c.ms)
    query = (
        select(
            finished.c.test_case_id,
            test_cases.c.name,
            func.count().label("runs"),
            passed.label("passed"),
            failed.label("failed"),
            flaky.label("flaky"),
            flips.label("flips"),
            mean_ms.label("mean_ms"),
        )
        .join(test_cases, test_cases.c.id == finished.c.test_case_id)
        .group_by(finished.c.test_case_id, test_cases.c.name)
    )
    if slowest:
        query = query.having(mean_ms.is_not(None)).order_by(mean_ms.desc(), finished.c.test_case_id)
    else:
        query = query.having(or_(flips >= 2, flaky > 0)).order_by(
            (flips + flaky).desc(), failed.desc(), finished.c.test_case_id
        )
    return [
        CaseStat(
            test_case_id=r.test_case_id,
            name=r.name,
            runs=int(r.runs),
            passed=int(r.passed or 0),
            failed=int(r.failed or 0),
            flaky=int(r.flaky or 0),
            flips=int(r.flips or 0),
            mean_ms=None if r.mean_ms is None else float(r.mean_ms),
        )
        for r in session.execute(query.limit(TOP)).all()
    ]


def _histories(
    session: Session, in_range: ColumnElement[bool], case_ids: Sequence[str]
) -> dict[str, list[str]]:
    """The last HISTORY statuses of each of these test cases in the range, oldest first: one
    query (a window numbers each case's runs, newest first)."""
    if not case_ids:
        return {}
    number = (
        func.row_number()
        .over(partition_by=executions.c.test_case_id, order_by=executions.c.id.desc())
        .label("n")
    )
    ranked = (
        select(executions.c.test_case_id, executions.c.id, _effective().label("status"), number)
        .where(in_range, executions.c.test_case_id.in_(list(case_ids)))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.test_case_id, ranked.c.status)
        .where(ranked.c.n <= HISTORY)
        .order_by(ranked.c.test_case_id, ranked.c.id)
    ).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.test_case_id, []).append(str(row.status))
    return found


def _now(session: Session, workspace_id: str) -> tuple[list[RunningNow], int, int]:
    """What runs now (the longest running first), how many run, how many wait."""
    mine = owned_by(executions, workspace_id)
    counts: dict[str, int] = {
        str(status): int(n)
        for status, n in session.execute(
            select(executions.c.status, func.count())
            .where(mine, executions.c.status.in_([ExecutionStatus.RUNNING, ExecutionStatus.QUEUED]))
            .group_by(executions.c.status)
        ).all()
    }
    rows = session.execute(
        select(
            executions.c.id,
            executions.c.test_case_id,
            test_cases.c.name,
            executions.c.kind,
            executions.c.started_at,
            executions.c.lease_owner,
        )
        .join(test_cases, test_cases.c.id == executions.c.test_case_id)
        .where(mine, executions.c.status == ExecutionStatus.RUNNING)
        .order_by(executions.c.id)
        .limit(RUNNING_SHOWN)
    ).all()
    running = [RunningNow(r.id, r.test_case_id, r.name, r.kind, r.started_at, r.lease_owner) for r in rows]
    return (
        running,
        counts.get(ExecutionStatus.RUNNING, 0),
        counts.get(ExecutionStatus.QUEUED, 0),
    )
