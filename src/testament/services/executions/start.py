"""Starting executions: a published test case (one execution per data set), or a plan (a plan
run of many).

Starting is where the rules meet: the target must be published, the workspace's queue
must have room, and a client token makes the start idempotent for a day. Executions are
in the database (QUEUED) before anyone hears of them; the engine takes them up after
the commit, on the ExecutionQueued event or its next poll.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import Row, String, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testament.domain import requirements
from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput, QuotaExceeded, TestamentError
from testament.domain.execution import MANUAL_KIND, Execution, ExecutionStatus
from testament.domain.masking import SEALED, as_text, is_sealed
from testament.domain.model import Environment, Plan, PlanRun, Suite, TestCase
from testament.domain.variables import run_variables
from testament.kit.clock import as_utc
from testament.kit.ids import new_id
from testament.services import references
from testament.services.context import AppContext, UnitOfWork
from testament.services.events import ExecutionQueued
from testament.services.executions.manual import write_initial_steps
from testament.store.repository import Repository, owned_by
from testament.store.tables import data_sets, executions, idempotency_tokens, test_case_versions

__all__ = ["ACTIVE", "SECRET", "RunDetails", "Slot", "Started", "begin_manual_run", "start_execution"]

ACTIVE = (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)
MAX_CLIENT_TOKEN = 500


@dataclass(frozen=True)
class Started:
    """What one start made: one execution (one per data set), or a plan run of many."""

    executions: Sequence[Execution]
    plan_run: PlanRun | None = None
    replayed: bool = False  # True when a client token gave back an earlier start


@dataclass(frozen=True)
class Slot:
    """One test case in a plan, as placed: on which machine, in which suite."""

    case: TestCase
    suite_id: str | None = None
    machine: str | None = None
    machine_vars: dict[str, Any] = field(default_factory=dict)
    machine_requires: dict[str, str] = field(default_factory=dict)


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


@dataclass
class _Prepared:
    """What a start reads and works out before its write transaction, so that the write lock
    (SQLite's one writer) is held only for what must be decided under it: the open assignment
    run, the client token, the queue's room and the inserts. A refusal found while preparing
    is raised only where the checks before it let it be, as if in one transaction."""

    target: str | None = None  # "test case ID" / "plan ID", once found
    batch_id: str = ""
    new: list[Execution] = field(default_factory=list)
    plan_run: PlanRun | None = None
    refused: TestamentError | None = None


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
    prepare = partial(_prepare, app, principal, test_case_id, plan_id, environment_id, variables, run)
    prepared = None
    if app.db.is_sqlite:  # its one write lock is for the whole database: read before taking it
        with app.db.reading() as session:
            prepared = prepare(session)
    with app.uow() as uow:
        if prepared is None:  # PostgreSQL locks rows: reading in this transaction saves a round trip
            prepared = prepare(uow.session)
        uow.lock_workspace(principal.workspace_id)  # also makes "one incomplete run per assignment" hold
        if assignment_id and (open_run := _incomplete_run(uow, assignment_id)):
            return Started([open_run], replayed=True)
        if prepared.target is None:
            assert prepared.refused is not None
            raise prepared.refused
        if client_token and (earlier := _replay(uow, principal, client_token, prepared.target)):
            return earlier
        if prepared.refused is not None:
            raise prepared.refused
        new, plan_run = prepared.new, prepared.plan_run
        for execution in new:
            execution.assignment_id = assignment_id  # set before the insert: no update after it
        _check_queue_room(uow, principal, sum(1 for x in new if x.kind != MANUAL_KIND))
        if plan_run is not None:
            uow.session.add(plan_run)
            uow.session.flush()
        uow.session.add_all(new)
        uow.session.flush()
        for execution in new:
            if execution.kind == MANUAL_KIND:
                begin_manual_run(uow, execution)
        if client_token:
            uow.session.execute(
                idempotency_tokens.insert().values(
                    workspace_id=principal.workspace_id,
                    scope="start",
                    client_token=client_token,
                    target=prepared.target,
                    resource_id=prepared.batch_id,
                    created_at=app.clock(),
                )
            )
        for execution in new:
            uow.emit(ExecutionQueued(principal.workspace_id, execution.id))
        uow.commit()
        return Started(new, plan_run)


def _prepare(
    app: AppContext,
    principal: Principal,
    test_case_id: str | None,
    plan_id: str | None,
    environment_id: str | None,
    variables: dict[str, Any] | None,
    run: RunDetails,
    session: Session,
) -> _Prepared:
    """The executions (and plan run) a start would make, read through `session` (before the
    write transaction takes any lock)."""
    prepared = _Prepared()
    try:
        if plan_id is not None:
            plan = references.load(session, principal, references.PLAN, plan_id)
            prepared.target = f"plan {plan.id}"
        else:
            assert test_case_id is not None
            case = references.load(session, principal, references.TEST_CASE, test_case_id)
            prepared.target = f"test case {case.id}"
        environment = _find_environment(session, principal, environment_id)
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
                    machine_vars={
                        **slot.machine_vars,
                        **run.machine_variables.get(slot.machine or "", {}),
                    },
                )
                for slot in _plan_slots(session, principal, plan)
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
        env_vars = _environment_variables(session, environment_id)
        secret_names = _secret_names(session, slots, env_vars)
        runtime_data = _seal(app, dict(run.runtime_data), secret_names)
        if plan_run is not None:
            plan_run.runtime_data = runtime_data
        given = _seal(app, variables or {}, secret_names)
        new = _executions_for(
            app,
            session,
            principal,
            slots,
            batch_id,
            plan_run,
            environment_id,
            _Layers(env_vars, runtime_data, given),
            retries,
            run.select,
        )
        if not new:
            raise InvalidInput("plan_id", "the selection leaves nothing to run")
    except TestamentError as refused:
        prepared.refused = refused
        return prepared
    for execution in new:
        execution.run_by = run.run_by
    prepared.batch_id, prepared.new, prepared.plan_run = batch_id, new, plan_run
    return prepared


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
    requires = {m["name"]: m.get("requires") or {} for m in plan.machines}
    for machine, machine_vars, suite_ids in plan.targets():
        for suite_id in suite_ids:
            suite = Repository(session, Suite, principal.workspace_id, "suite").find(suite_id)
            if suite is None:
                continue
            for case_id in suite.test_case_ids:
                case = Repository(session, TestCase, principal.workspace_id, "test case").find(case_id)
                if case is not None:  # a live one: a retired test case is not run
                    slots.append(Slot(case, suite.id, machine, machine_vars, requires.get(machine, {})))
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
        names.update(_declared_secrets(session, case.id, case.published_version))
    return names


_DECLARED: dict[tuple[str, int | None], frozenset[str]] = {}
_DECLARED_MAX = 2048
_DECLARED_LOCK = threading.Lock()


def _declared_secrets(session: Session, case_id: str, version: int | None) -> frozenset[str]:
    """The secrets a version's content declares. A version never changes once written, so they
    are kept per process (a start then reads no content)."""
    key = (case_id, version)
    if (found := _DECLARED.get(key)) is not None:
        return found
    content = session.execute(
        select(test_case_versions.c.content).where(
            test_case_versions.c.test_case_id == case_id, test_case_versions.c.version == version
        )
    ).scalar_one_or_none()
    if content is None:
        return frozenset()  # no such version (yet): nothing to keep
    declared = content.get("secrets") if isinstance(content, dict) else None
    found = frozenset(map(str, declared)) if isinstance(declared, list) else frozenset()
    with _DECLARED_LOCK:  # starts run on several threads
        if len(_DECLARED) >= _DECLARED_MAX:
            _DECLARED.pop(next(iter(_DECLARED)))  # the oldest entry
        _DECLARED[key] = found
    return found


def _environment_variables(session: Session, environment_id: str | None) -> dict[str, Any]:
    """The environment's variables; its secrets stay encrypted in the execution's snapshot."""
    env = session.get(Environment, environment_id) if environment_id else None
    if env is None:
        return {}
    return {**env.variables, **{name: {SECRET: token} for name, token in env.secrets.items()}}


@dataclass(frozen=True)
class _Layers:
    """The variables a start gives every execution it makes (a slot adds its machine's and its
    data set's)."""

    environment: dict[str, Any]
    runtime_data: dict[str, Any]
    given: dict[str, Any]


def _executions_for(
    app: AppContext,
    session: Session,
    principal: Principal,
    slots: list[Slot],
    batch_id: str,
    plan_run: PlanRun | None,
    environment_id: str | None,
    layers: "_Layers",
    plan_retries: int | None,
    select_only: Callable[[Slot, str | None], bool] | None,
) -> list[Execution]:
    """One execution per slot and data set, its variables merged by domain/variables.py."""
    now = app.clock()
    made = []
    for slot in slots:
        case = slot.case
        if case.published_version is None:
            raise Conflict(f"test case {case.name!r} has no published version; publish it before running it")
        sets = session.execute(_DATA_SETS, {"case_id": case.id}).all()
        retries = plan_retries if plan_retries is not None else case.retries
        requires = requirements.merged(case.requires, slot.machine_requires)
        runs: list[Row[Any, Any] | None] = [*sets] or [None]
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
                    variables=run_variables(
                        environment=layers.environment,
                        machine=slot.machine_vars,
                        data_set=data_vars,
                        runtime_data=layers.runtime_data,
                        given=layers.given,
                    ),
                    environment_id=environment_id,
                    requires=requires,
                    requirement_key=requirements.requirement_key(requires),
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


# Every start runs these: built once, bound per call.
_DATA_SETS = (
    select(data_sets.c.name, data_sets.c.variables)
    .where(data_sets.c.test_case_id == bindparam("case_id"))
    .order_by(data_sets.c.position)
)
_QUEUED = (
    select(func.count())
    .select_from(executions)
    .where(
        owned_by(executions, bindparam("workspace_id", type_=String)),
        executions.c.status.in_(ACTIVE),
        executions.c.kind != MANUAL_KIND,  # a person's run in progress is not in the queue
    )
)


def _check_queue_room(uow: UnitOfWork, principal: Principal, wanted: int) -> None:
    limit = uow.app.settings.max_queued_executions
    active = uow.session.execute(_QUEUED, {"workspace_id": principal.workspace_id}).scalar_one()
    if active + wanted > limit:
        raise QuotaExceeded("max_queued_executions", limit)
