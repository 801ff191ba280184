"""Starting, stopping and reading executions and plan runs.

Starting is where the rules meet: the target must be published, the workspace's queue
must have room, and a client token makes the start idempotent for a day. Executions are
in the database (QUEUED) before anyone hears of them; the engine takes them up after
the commit, on the ExecutionQueued event or its next poll.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput, QuotaExceeded
from testament.domain.execution import MANUAL_KIND, Execution, ExecutionStatus, Outcome, plan_run_status
from testament.domain.masking import SEALED, as_text, is_sealed
from testament.domain.model import DataSet, Environment, Plan, PlanRun, Suite, TestCase
from testament.domain.scoring import gate_passed, merge_scoreboards
from testament.kit.clock import as_utc
from testament.kit.ids import id_floor, new_id
from testament.services import endings, references
from testament.services.context import AppContext, UnitOfWork
from testament.services.events import ExecutionQueued, ExecutionStopRequested
from testament.services.manual import write_initial_steps
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.services.test_case_tags import tagged
from testament.store.repository import Repository, owned_by
from testament.store.tables import (
    data_sets,
    execution_records,
    executions,
    idempotency_tokens,
    plan_runs,
    test_case_versions,
)

__all__ = [
    "Pick",
    "PlanRunView",
    "Record",
    "RerunScope",
    "RunDetails",
    "Slot",
    "Started",
    "delete_execution",
    "get_execution",
    "get_plan_run",
    "group_key",
    "list_executions",
    "list_plan_runs",
    "list_records",
    "override_executions",
    "page_plan_runs",
    "plan_run_status",
    "rerun_plan_run",
    "start_execution",
    "stop_execution",
    "stop_plan_run",
]

T = TypeVar("T")
ACTIVE = (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)
MAX_CLIENT_TOKEN = 500


@dataclass(frozen=True)
class Started:
    """What one start made: one execution (one per data set), or a plan run of many."""

    executions: Sequence[Execution]
    plan_run: PlanRun | None = None
    replayed: bool = False  # True when a client token gave back an earlier start


@dataclass(frozen=True)
class Record:
    execution_id: str
    seq: int
    attempt: int
    observation_id: str
    status: str
    timestamp: datetime
    record: dict[str, Any]
    interrupted: bool = False  # written by a run that was cut short and run again


@dataclass(frozen=True)
class Slot:
    """One test case in a plan, as placed: on which machine, in which suite."""

    case: TestCase
    suite_id: str | None = None
    machine: str | None = None
    machine_vars: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunDetails:
    """What a plan run records beside its executions, and which part of the plan it runs
    (`select(slot, data_set_name)`; None runs everything: partial runs and reruns narrow it)."""

    build_no: str | None = None
    runtime_data: dict[str, Any] = field(default_factory=dict)
    trigger: str = "API"
    parent_id: str | None = None
    rerun_type: str | None = None
    select: Callable[[Slot, str | None], bool] | None = None
    machine_variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Extra variables per machine, such as the upload version it tests."""
    run_by: str | None = None
    """Whose run it is, when not the caller's (a manager starting a tester's manual run)."""


@dataclass(frozen=True)
class PlanRunView:
    plan_run: PlanRun
    status: ExecutionStatus
    counts: dict[str, int]
    executions: Sequence[Execution]
    score: dict[str, Any] = field(default_factory=dict)
    """The finished executions' points summed: pointsAchieved, maxAchievablePoints, ..."""
    pass_ratio: float | None = None
    gate_passed: bool | None = None
    """The plan's quality gate: None without a pass ratio."""


# ---------------------------------------------------------------- start


def start_execution(
    app: AppContext,
    principal: Principal,
    *,
    test_case_id: str | None = None,
    plan_id: str | None = None,
    client_token: str | None = None,
    environment_id: str | None = None,
    variables: dict[str, Any] | None = None,
    run: RunDetails | None = None,
    assignment_id: str | None = None,
) -> Started:
    """Start a published test case, or a plan (a plan run). `run` carries what a plan run
    records beside its executions (build number, runtime data, how it was triggered).
    With `assignment_id`, the run belongs to that assignment, which keeps one incomplete
    run at a time: starting again returns it (`replayed`)."""
    principal.require(Permission.EXECUTE)
    if (test_case_id is None) == (plan_id is None):
        raise InvalidInput("test_case_id", "give exactly one of test_case_id and plan_id")
    if client_token is not None and not 1 <= len(client_token) <= MAX_CLIENT_TOKEN:
        raise InvalidInput("client_token", f"must be 1 to {MAX_CLIENT_TOKEN} characters")
    for _ in range(2):  # a lost race on the token's primary key is replayed on the second pass
        try:
            return _start(
                app,
                principal,
                test_case_id,
                plan_id,
                client_token,
                environment_id,
                variables,
                run or RunDetails(),
                assignment_id,
            )
        except IntegrityError:
            if client_token is None:
                raise
    raise Conflict(f"client token {client_token!r} is being used by a concurrent start")


def _start(
    app: AppContext,
    principal: Principal,
    test_case_id: str | None,
    plan_id: str | None,
    client_token: str | None,
    environment_id: str | None,
    variables: dict[str, Any] | None,
    run: RunDetails,
    assignment_id: str | None = None,
) -> Started:
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # also makes "one incomplete run per assignment" hold
        if assignment_id and (open_run := _incomplete_run(uow, assignment_id)):
            return Started([open_run], replayed=True)
        if plan_id is not None:
            plan = references.load(uow.session, principal, references.PLAN, plan_id)
            target = f"plan {plan.id}"
        else:
            assert test_case_id is not None
            case = references.load(uow.session, principal, references.TEST_CASE, test_case_id)
            target = f"test case {case.id}"
        if client_token and (earlier := _replay(uow, principal, client_token, target)):
            return earlier
        environment = _find_environment(uow.session, principal, environment_id)
        batch_id = new_id()
        plan_run = None
        if plan_id is not None:
            environment_id = environment.id if environment else plan.environment_id
            unknown = set(run.machine_variables) - {name for name, _v, _s in plan.targets()}
            if unknown:
                raise InvalidInput(
                    "machine_variables", f"plan {plan.name!r} has no machine {sorted(unknown)[0]!r}"
                )
            slots = [
                replace(
                    slot,
                    machine_vars={**slot.machine_vars, **run.machine_variables.get(slot.machine or "", {})},
                )
                for slot in _plan_slots(uow.session, principal, plan)
            ]
            plan_run = PlanRun(
                id=batch_id,
                workspace_id=principal.workspace_id,
                plan_id=plan.id,
                environment_id=environment_id,
                created_by=principal.user_name,
                created_at=app.clock(),
                build_no=run.build_no,
                trigger=run.trigger,
                parent_id=run.parent_id,
                rerun_type=run.rerun_type,
                machine_variables=dict(run.machine_variables),
            )
            retries = plan.retries
        else:
            environment_id = environment.id if environment else None
            slots = [Slot(case)]
            retries = None
        env_vars = _environment_variables(uow.session, environment_id)
        secret_names = _secret_names(uow.session, slots, env_vars)
        runtime_data = _seal(app, dict(run.runtime_data), secret_names)
        if plan_run is not None:
            plan_run.runtime_data = runtime_data
        overrides = {**runtime_data, **_seal(app, variables or {}, secret_names)}
        new = _executions_for(
            uow,
            principal,
            slots,
            batch_id,
            plan_run,
            environment_id,
            env_vars,
            overrides,
            retries,
            run.select,
        )
        if not new:
            raise InvalidInput("plan_id", "the selection leaves nothing to run")
        for execution in new:
            execution.run_by = run.run_by
        _check_queue_room(uow, principal, sum(1 for x in new if x.kind != MANUAL_KIND))
        if plan_run is not None:
            uow.session.add(plan_run)
            uow.session.flush()
        uow.session.add_all(new)
        uow.session.flush()
        for execution in new:
            execution.assignment_id = assignment_id
            if execution.kind == MANUAL_KIND:
                begin_manual_run(uow, execution)
        if client_token:
            uow.session.execute(
                idempotency_tokens.insert().values(
                    workspace_id=principal.workspace_id,
                    scope="start",
                    client_token=client_token,
                    target=target,
                    resource_id=batch_id,
                    created_at=app.clock(),
                )
            )
        for execution in new:
            uow.emit(ExecutionQueued(principal.workspace_id, execution.id))
        uow.commit()
        return Started(new, plan_run)


def _load(
    session: Session, cls: type[T], principal: Principal, ident: str, kind: str, *, lock: bool = False
) -> T:
    """Load by id within the workspace; `lock` holds the row (PostgreSQL) against a concurrent claim."""
    return Repository(session, cls, principal.workspace_id, kind).get(ident, lock=lock)


def _replay(uow: UnitOfWork, principal: Principal, client_token: str, target: str) -> Started | None:
    """The earlier start this token made, while it is within the idempotency window."""
    key = (
        owned_by(idempotency_tokens, principal.workspace_id),
        idempotency_tokens.c.scope == "start",
        idempotency_tokens.c.client_token == client_token,
    )
    row = uow.session.execute(select(idempotency_tokens).where(*key)).first()
    if row is None:
        return None
    window = timedelta(seconds=uow.app.settings.idempotency_window_s)
    if as_utc(row.created_at) + window < uow.app.clock():
        uow.session.execute(delete(idempotency_tokens).where(*key))
        return None
    if row.target != target:
        raise Conflict(f"client token {client_token!r} was already used to start {row.target}")
    found = list(
        uow.session.scalars(
            select(Execution).where(executions.c.batch_id == row.resource_id).order_by(executions.c.id)
        )
    )
    return Started(found, uow.session.get(PlanRun, row.resource_id), replayed=True)


def _plan_slots(session: Session, principal: Principal, plan: Plan) -> list[Slot]:
    """Every (machine, suite, test case) the plan runs, in order."""
    slots: list[Slot] = []
    for machine, machine_vars, suite_ids in plan.targets():
        for suite_id in suite_ids:
            suite = Repository(session, Suite, principal.workspace_id, "suite").find(suite_id)
            if suite is None:
                continue
            for case_id in suite.test_case_ids:
                case = Repository(session, TestCase, principal.workspace_id, "test case").find(case_id)
                if case is not None:  # a live one: a retired test case is not run
                    slots.append(Slot(case, suite.id, machine, machine_vars))
    if not slots:
        raise InvalidInput("plan_id", f"plan {plan.name!r} has no test cases to run")
    return slots


def _find_environment(session: Session, principal: Principal, ident: str | None) -> Environment | None:
    """The environment a start names (by id or name); a wrong one is bad input, not a missing page."""
    if ident is None:
        return None
    return session.get(
        Environment, references.resolve(session, principal, references.ENVIRONMENT, "environment_id", ident)
    )


SECRET = SEALED  # marks a value kept encrypted until a worker hands it to a runner


def _seal(app: AppContext, variables: dict[str, Any], secret_names: set[str]) -> dict[str, Any]:
    """Encrypt the given values of secret variables, so that none is stored in plain text."""
    return {
        name: {SECRET: app.secret_box.encrypt(as_text(value).encode()).decode()}
        if name in secret_names and value is not None and not is_sealed(value)
        else value
        for name, value in variables.items()
    }


def _secret_names(session: Session, slots: list[Slot], env_vars: dict[str, Any]) -> set[str]:
    """The variables that are secret in this start: the environment's secrets and those the
    content of any test case it runs declares (`content.secrets`)."""
    names = {name for name, value in env_vars.items() if is_sealed(value)}
    for case in {slot.case.id: slot.case for slot in slots}.values():
        content = session.execute(
            select(test_case_versions.c.content).where(
                test_case_versions.c.test_case_id == case.id,
                test_case_versions.c.version == case.published_version,
            )
        ).scalar_one_or_none()
        declared = content.get("secrets") if isinstance(content, dict) else None
        if isinstance(declared, list):
            names.update(map(str, declared))
    return names


def _environment_variables(session: Session, environment_id: str | None) -> dict[str, Any]:
    """The environment's variables; its secrets stay encrypted in the execution's snapshot."""
    env = session.get(Environment, environment_id) if environment_id else None
    if env is None:
        return {}
    return {**env.variables, **{name: {SECRET: token} for name, token in env.secrets.items()}}


def _executions_for(
    uow: UnitOfWork,
    principal: Principal,
    slots: list[Slot],
    batch_id: str,
    plan_run: PlanRun | None,
    environment_id: str | None,
    env_vars: dict[str, Any],
    overrides: dict[str, Any],
    plan_retries: int | None,
    select_only: Callable[[Slot, str | None], bool] | None,
) -> list[Execution]:
    """One execution per slot and data set. Variables: environment < machine < data set < overrides."""
    now = uow.app.clock()
    made = []
    for slot in slots:
        case = slot.case
        if case.published_version is None:
            raise Conflict(f"test case {case.name!r} has no published version; publish it before running it")
        sets = list(
            uow.session.scalars(
                select(DataSet).where(data_sets.c.test_case_id == case.id).order_by(data_sets.c.position)
            )
        )
        retries = plan_retries if plan_retries is not None else case.retries
        runs: list[DataSet | None] = [*sets] or [None]
        for data_set in runs:
            if select_only is not None and not select_only(slot, data_set.name if data_set else None):
                continue
            data_vars = data_set.variables if data_set else {}
            made.append(
                Execution(
                    id=new_id(),
                    workspace_id=principal.workspace_id,
                    test_case_id=case.id,
                    test_case_version=case.published_version,
                    kind=case.kind,
                    status=ExecutionStatus.QUEUED,
                    queued_at=now,
                    created_by=principal.user_name,
                    batch_id=batch_id,
                    max_attempts=retries + 1,
                    plan_run_id=plan_run.id if plan_run else None,
                    suite_id=slot.suite_id,
                    machine=slot.machine,
                    data_set_name=data_set.name if data_set else None,
                    variables={**env_vars, **slot.machine_vars, **data_vars, **overrides},
                    environment_id=environment_id,
                )
            )
    return made


def _incomplete_run(uow: UnitOfWork, assignment_id: str) -> Execution | None:
    found: Execution | None = uow.session.scalars(
        select(Execution)
        .where(executions.c.assignment_id == assignment_id, executions.c.status.in_(ACTIVE))
        .order_by(executions.c.id)
    ).first()
    return found


def begin_manual_run(uow: UnitOfWork, execution: Execution) -> None:
    """A manual execution starts in progress with every step NotRun, one record per step."""
    execution.begin_manual(uow.app.clock())
    write_initial_steps(uow, execution)


def _check_queue_room(uow: UnitOfWork, principal: Principal, wanted: int) -> None:
    limit = uow.app.settings.max_queued_executions
    active = uow.session.execute(
        select(func.count())
        .select_from(executions)
        .where(
            owned_by(executions, principal.workspace_id),
            executions.c.status.in_(ACTIVE),
            executions.c.kind != MANUAL_KIND,  # a person's run in progress is not in the queue
        )
    ).scalar_one()
    if active + wanted > limit:
        raise QuotaExceeded("max_queued_executions", limit)


# ---------------------------------------------------------------- stop


def stop_execution(
    app: AppContext, principal: Principal, execution_id: str, *, already_stopped_ok: bool = False
) -> Execution:
    """Ask an execution to stop. Stopping a finished one is a Conflict, unless it is stopped
    (or stopping) already and the caller treats a repeated stop as done (AWS does)."""
    principal.require(Permission.EXECUTE)
    with app.uow() as uow:
        execution = _load(uow.session, Execution, principal, execution_id, "execution", lock=True)
        repeated = execution.status == ExecutionStatus.STOPPED or execution.stop_requested
        if execution.kind == MANUAL_KIND and execution.status == ExecutionStatus.RUNNING:
            stopped = Outcome(ExecutionStatus.STOPPED, f"stopped by {principal.user_name}")
            execution.finish_manual(stopped, app.clock())  # no worker to tell: it ends now
            endings.ended(uow, execution)
        elif not (already_stopped_ok and repeated):
            _request_stop(uow, execution)
        uow.commit()
        return execution


def _request_stop(uow: UnitOfWork, execution: Execution) -> None:
    was_queued = execution.status == ExecutionStatus.QUEUED
    execution.request_stop(uow.app.clock())
    if was_queued:
        endings.ended(uow, execution)
    else:
        uow.emit(ExecutionStopRequested(execution.workspace_id, execution.id))


def stop_plan_run(app: AppContext, principal: Principal, plan_run_id: str) -> PlanRunView:
    principal.require(Permission.EXECUTE)
    with app.uow() as uow:
        _load(uow.session, PlanRun, principal, plan_run_id, "plan run")
        for execution in uow.session.scalars(
            select(Execution)
            .where(executions.c.plan_run_id == plan_run_id, executions.c.status.in_(ACTIVE))
            .with_for_update()
        ):
            _request_stop(uow, execution)
        uow.commit()
    return get_plan_run(app, principal, plan_run_id)


# ---------------------------------------------------------------- read


def get_execution(app: AppContext, principal: Principal, execution_id: str) -> Execution:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        execution = _load(session, Execution, principal, execution_id, "execution")
        return execution


def list_executions(
    app: AppContext,
    principal: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    test_case_id: str | None = None,
    status: ExecutionStatus | Sequence[ExecutionStatus] | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    tag: str | None = None,
    plan_run_id: str | None = None,
) -> Page[Execution]:
    """Newest first. `since`/`until` bound the time it was queued; `tag` is `key` or `key=value`
    on its test case."""
    principal.require(Permission.READ)
    check_limit(limit)
    before = decode_cursor(app.cursors, "executions", cursor)
    query = select(Execution).where(owned_by(executions, principal.workspace_id))
    if test_case_id:
        query = query.where(executions.c.test_case_id == test_case_id)
    if isinstance(status, ExecutionStatus):
        query = query.where(executions.c.status == status)
    elif status:
        query = query.where(executions.c.status.in_(list(status)))
    if kind:
        query = query.where(executions.c.kind == kind)
    since, until = _instant("since", since), _instant("until", until)
    if since:  # an id (UUIDv7) is made after its queued_at: the id bound is safe and uses the index
        query = query.where(executions.c.queued_at >= since, executions.c.id >= id_floor(since))
    if until:
        query = query.where(executions.c.queued_at < until)
    if plan_run_id:
        query = query.where(executions.c.plan_run_id == plan_run_id)
    if before:
        query = query.where(executions.c.id < before)
    if tag:  # its test case's tag rows, by index; a retired test case's executions count too
        query = query.where(tagged(executions.c.test_case_id, principal.workspace_id, tag))
    with app.db.reading() as session:
        rows = list(session.scalars(query.order_by(executions.c.id.desc()).limit(limit + 1)))
    return make_page(app.cursors, "executions", rows, limit, key=lambda e: e.id)


def _instant(field: str, moment: datetime | None) -> datetime | None:
    """A time filter in UTC; a value without an offset is taken as UTC."""
    if moment is None:
        return None
    try:
        return as_utc(moment)
    except (OverflowError, ValueError):
        raise InvalidInput(field, "is outside the range of representable times") from None


def list_records(
    app: AppContext,
    principal: Principal,
    execution_id: str,
    *,
    limit: int = 100,
    cursor: str | None = None,
    status: str | Sequence[str] | None = None,
    after_seq: int | None = None,
) -> Page[Record]:
    """Records in the order they were written; a page at any depth is one index range scan.
    `after_seq` starts after a record the caller has seen, so a follower reads only what is new."""
    principal.require(Permission.READ)
    check_limit(limit)
    after = decode_cursor(app.cursors, f"records:{execution_id}", cursor)
    query = select(execution_records).where(execution_records.c.execution_id == execution_id)
    if isinstance(status, str):
        query = query.where(execution_records.c.status == status.upper())
    elif status:
        query = query.where(execution_records.c.status.in_([s.upper() for s in status]))
    if after is not None:
        if not isinstance(after, int):
            raise InvalidInput("cursor", "is not a records cursor")
        query = query.where(execution_records.c.seq > after)
    if after_seq is not None:
        query = query.where(execution_records.c.seq > after_seq)
    with app.db.reading() as session:
        _load(session, Execution, principal, execution_id, "execution")
        rows = session.execute(query.order_by(execution_records.c.seq).limit(limit + 1)).all()
    records = [
        Record(
            r.execution_id,
            r.seq,
            r.attempt,
            r.observation_id,
            r.status,
            as_utc(r.timestamp),
            r.record,
            r.interrupted,
        )
        for r in rows
    ]
    return make_page(app.cursors, f"records:{execution_id}", records, limit, key=lambda r: r.seq)


def get_plan_run(app: AppContext, principal: Principal, plan_run_id: str) -> PlanRunView:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        run = _load(session, PlanRun, principal, plan_run_id, "plan run")
        found = list(
            session.scalars(
                select(Execution).where(executions.c.plan_run_id == run.id).order_by(executions.c.id)
            )
        )
        plan = session.get(Plan, run.plan_id)
    counts = {s.value.lower(): 0 for s in ExecutionStatus}
    for execution in found:
        counts[execution.effective_status.value.lower()] += 1
    counts["total"] = len(found)
    score = merge_scoreboards([e.scoreboard for e in found if e.scoreboard])["scoreboard"]
    pass_ratio = plan.pass_ratio if plan is not None else None
    statuses = [e.effective_status.value for e in found]
    return PlanRunView(
        run,
        plan_run_status([e.effective_status for e in found]),
        counts,
        found,
        score,
        pass_ratio,
        gate_passed(score, pass_ratio, statuses),
    )


def list_plan_runs(
    app: AppContext,
    principal: Principal,
    *,
    plan_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[PlanRun]:
    principal.require(Permission.READ)
    check_limit(limit)
    before = decode_cursor(app.cursors, "plan-runs", cursor)
    query = select(PlanRun).where(owned_by(plan_runs, principal.workspace_id))
    if plan_id:
        query = query.where(plan_runs.c.plan_id == plan_id)
    if before:
        query = query.where(plan_runs.c.id < before)
    with app.db.reading() as session:
        rows = list(session.scalars(query.order_by(plan_runs.c.id.desc()).limit(limit + 1)))
    return make_page(app.cursors, "plan-runs", rows, limit, key=lambda r: r.id)


def page_plan_runs(
    app: AppContext, principal: Principal, *, plan_id: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[PlanRun], int]:
    """Plan runs newest first, by offset, with the total: for surfaces that page by number."""
    principal.require(Permission.READ)
    check_limit(limit)
    if offset < 0:
        raise InvalidInput("page", "must not be negative")
    where = [owned_by(plan_runs, principal.workspace_id)]
    if plan_id:
        where.append(plan_runs.c.plan_id == plan_id)
    with app.db.reading() as session:
        total = session.execute(select(func.count()).select_from(plan_runs).where(*where)).scalar_one()
        rows = list(
            session.scalars(
                select(PlanRun).where(*where).order_by(plan_runs.c.id.desc()).offset(offset).limit(limit)
            )
        )
    return rows, int(total)


# ---------------------------------------------------------------- reruns

GroupKey = tuple[str | None, str | None, str]  # (machine, suite id, test case id)


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


def _rerun_keys(parent: Sequence[Execution], scope: RerunScope) -> set[tuple[GroupKey, str | None]]:
    failed = {x.id for x in parent if x.effective_status != ExecutionStatus.PASSED}  # overrides count
    failed_groups = {group_key(x) for x in parent if x.id in failed}

    def chosen(x: Execution) -> bool:
        if scope.mode == "all":
            return True
        if scope.mode == "failed_tests":
            return group_key(x) in failed_groups
        if scope.mode == "failed_iterations":
            return x.id in failed
        for pick in scope.picks:
            if pick.group == group_key(x):
                return {
                    "all": True,
                    "failed": x.id in failed,
                    "passed": x.id not in failed,
                    "picked": x.id in pick.execution_ids,
                }.get(pick.iterations, False)
        return False

    if scope.mode not in ("all", "failed_tests", "failed_iterations", "picked"):
        raise InvalidInput("rerun", "must be one of all, failed_tests, failed_iterations, picked")
    return {(group_key(x), x.data_set_name) for x in parent if chosen(x)}


def rerun_plan_run(
    app: AppContext, principal: Principal, parent_run_id: str, scope: RerunScope, *, trigger: str = "API"
) -> Started:
    """A new run of the parent's plan, with the parent's environment, build and runtime data,
    running only what `scope` selects from the parent. The new run names its parent."""
    parent = get_plan_run(app, principal, parent_run_id)
    if plan_run_status([x.status for x in parent.executions]) in ACTIVE:
        raise Conflict(f"plan run {parent_run_id} is still running; rerun it when it has finished")
    keys = _rerun_keys(parent.executions, scope)
    if not keys:
        raise InvalidInput("rerun", "selects nothing to run again (nothing failed, or nothing was picked)")
    run = parent.plan_run
    details = RunDetails(
        build_no=run.build_no,
        runtime_data=dict(run.runtime_data),
        trigger=trigger,
        parent_id=run.id,
        rerun_type=scope.mode,
        select=lambda slot, data_set: ((slot.machine, slot.suite_id, slot.case.id), data_set) in keys,
        machine_variables=dict(run.machine_variables),  # the same upload versions as the parent
    )
    return start_execution(
        app, principal, plan_id=run.plan_id, environment_id=run.environment_id, run=details
    )


def override_executions(
    app: AppContext, principal: Principal, execution_ids: Sequence[str], status: ExecutionStatus, comment: str
) -> list[Execution]:
    """Override the outcome of finished executions, all or none, with a comment saying why."""
    principal.require(Permission.EXECUTE)
    if not comment.strip() or len(comment) > 4096:
        raise InvalidInput("comment", "say why, in 1 to 4096 characters")
    with app.uow() as uow:
        found = Repository(uow.session, Execution, principal.workspace_id, "execution").get_many(
            execution_ids, lock=True
        )
        for execution in found:
            execution.override(status, comment, principal.user_name, app.clock())
        uow.commit()
        return found


def delete_execution(app: AppContext, principal: Principal, execution_id: str) -> None:
    """Delete an execution and its records. A worker's execution in progress must be stopped first."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        execution = _load(uow.session, Execution, principal, execution_id, "execution", lock=True)
        if execution.kind != MANUAL_KIND and execution.status in ACTIVE:
            raise Conflict(
                f"execution {execution.id} is {execution.status.value}; stop it before deleting it"
            )
        uow.session.delete(execution)
        uow.commit()
