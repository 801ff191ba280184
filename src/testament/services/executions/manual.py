"""Manual runs: a person records each step's outcome; the run's status derives from them.

Step results are records (append-only): every update appends one, and a step's current
result is its newest record. A manual execution is in progress from its start, holds no
worker and no lease, and ends when every step has an outcome or when the tester asks to
complete it (`complete=True`), leaving the remaining steps NotRun.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select, true
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal, require_may_run_assignment
from testament.domain.errors import IllegalTransition, InvalidInput, NotFound
from testament.domain.execution import MANUAL_KIND, Execution, ExecutionStatus, Outcome, RecordStatus
from testament.domain.manual import (
    STATUS_RULES,
    RunFields,
    RunStatus,
    StatusRule,
    StepOutcome,
    core_status,
    derive_status,
    parse_outcome,
)
from testament.domain.model import Artifact, Assignment
from testament.kit.clock import as_utc
from testament.kit.ids import new_id
from testament.services import blobs, endings, read_side
from testament.services.context import AppContext, UnitOfWork
from testament.services.events import RecordAdded
from testament.services.executions.artifacts import artifact_file_name, store_artifact
from testament.services.paging import MAX_LIMIT, Window, offset_page
from testament.services.read_side import Selection, View
from testament.store import tables
from testament.store.repository import Repository
from testament.store.tables import artifacts, execution_records, executions, test_case_versions

__all__ = [
    "STEP_ATTACHMENTS",
    "ManualRun",
    "StepInput",
    "StepResult",
    "attach_to_step",
    "find_step_result",
    "get_manual_run",
    "query_step_attachments",
    "record_steps",
    "run_status_column",
    "step_attachments",
    "write_initial_steps",
]

RECORD_STATUS = {
    StepOutcome.NOT_RUN: RecordStatus.NOT_RUN,
    StepOutcome.PASSED: RecordStatus.PASSED,
    StepOutcome.FAILED: RecordStatus.FAILED,
    StepOutcome.BLOCKED: RecordStatus.BLOCKED,
    StepOutcome.UNDETERMINED: RecordStatus.UNDETERMINED,
}


@dataclass(frozen=True)
class StepInput:
    """What a tester reports for one step (1-based `step`)."""

    step: int
    outcome: str
    actual_result: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class StepResult:
    id: str
    step: int
    description: str
    data: str
    expected_result: str
    outcome: StepOutcome
    actual_result: str
    notes: str
    updated_by: str | None
    updated_at: datetime
    seq: int
    attachments: int = 0  # files kept with the step result
    incidents: int = 0  # incidents linked to the step result


@dataclass(frozen=True)
class ManualRun:
    execution: Execution
    status: RunStatus
    completed: bool
    steps: Sequence[StepResult]


def _append(
    uow: UnitOfWork, execution: Execution, observation_id: str, outcome: StepOutcome, record: dict[str, Any]
) -> None:
    execution.records_total += 1
    status = RECORD_STATUS[outcome]
    execution.records_passed += status == RecordStatus.PASSED
    execution.records_failed += status == RecordStatus.FAILED
    seq = execution.records_total
    uow.session.execute(
        execution_records.insert().values(
            execution_id=execution.id,
            seq=seq,
            attempt=execution.attempt,
            observation_id=observation_id,
            status=status.value,
            timestamp=uow.app.clock(),
            record=record,
        )
    )
    uow.emit(RecordAdded(execution.workspace_id, execution.id, seq, status.value))


def _steps_of(uow_session: Any, execution: Execution) -> list[dict[str, Any]]:
    content = uow_session.execute(
        select(test_case_versions.c.content).where(
            test_case_versions.c.test_case_id == execution.test_case_id,
            test_case_versions.c.version == execution.test_case_version,
        )
    ).scalar_one()
    steps: list[dict[str, Any]] = content["steps"]
    return steps


def write_initial_steps(uow: UnitOfWork, execution: Execution) -> None:
    """Every step starts NotRun, with the script's text as it was in the pinned version."""
    for number, step in enumerate(_steps_of(uow.session, execution), start=1):
        record = {
            **_step_text(step),
            "step": number,
            "outcome": StepOutcome.NOT_RUN.value,
            "actual_result": "",
            "notes": "",
        }
        _append(
            uow, execution, new_id(), StepOutcome.NOT_RUN, record
        )  # the step result's id for its whole life


def _step_text(step: dict[str, Any]) -> dict[str, str]:
    return {
        "description": step.get("description", ""),
        "data": step.get("data", ""),
        "expected_result": step.get("expected_result", ""),
    }


def _current(uow_session: Any, execution: Execution) -> list[StepResult]:
    rows = uow_session.execute(
        select(execution_records)
        .where(
            execution_records.c.execution_id == execution.id, execution_records.c.attempt == execution.attempt
        )
        .order_by(execution_records.c.seq)
    ).all()
    latest: dict[int, Any] = {}
    first_seq: dict[int, int] = {}
    for row in rows:
        if "step" in row.record:
            latest[int(row.record["step"])] = row
            first_seq.setdefault(int(row.record["step"]), row.seq)
    attached = dict(
        uow_session.execute(
            select(artifacts.c.record_seq, func.count())
            .where(artifacts.c.execution_id == execution.id)
            .group_by(artifacts.c.record_seq)
        ).all()
    )
    raised = dict(
        uow_session.execute(
            select(tables.incident_links.c.step_result_id, func.count())
            .where(tables.incident_links.c.execution_id == execution.id)
            .group_by(tables.incident_links.c.step_result_id)
        ).all()
    )
    return [
        StepResult(
            id=r.observation_id,
            step=n,
            description=r.record.get("description", ""),
            data=r.record.get("data", ""),
            expected_result=r.record.get("expected_result", ""),
            outcome=StepOutcome(r.record.get("outcome", StepOutcome.NOT_RUN.value)),
            actual_result=r.record.get("actual_result", ""),
            notes=r.record.get("notes", ""),
            updated_by=r.record.get("by"),
            updated_at=as_utc(r.timestamp),
            seq=r.seq,
            attachments=attached.get(first_seq[n], 0),
            incidents=raised.get(r.observation_id, 0),
        )
        for n, r in sorted(latest.items())
    ]


def _view(execution: Execution, steps: list[StepResult]) -> ManualRun:
    completed = execution.status.is_terminal
    status = derive_status([s.outcome for s in steps], completed=completed)
    return ManualRun(execution, status, completed, steps)


def _some_step(outcome: StepOutcome) -> ColumnElement[bool]:
    """SQL: some step of the run (in the enclosing query's executions row) has this outcome now,
    i.e. in its newest record."""
    record, newer = execution_records.alias("step"), execution_records.alias("newer")
    superseded = exists().where(
        newer.c.execution_id == record.c.execution_id,
        newer.c.observation_id == record.c.observation_id,
        newer.c.seq > record.c.seq,
    )
    return exists().where(
        record.c.execution_id == executions.c.id,
        record.c.attempt == executions.c.attempt,
        record.c.status == RECORD_STATUS[outcome].value,
        ~superseded,
    )


def _holds(rule: StatusRule) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if rule.completed is not None:
        open_run = executions.c.status.in_([ExecutionStatus.QUEUED, ExecutionStatus.RUNNING])
        conditions.append(~open_run if rule.completed else open_run)
    if rule.some_step is not None:
        conditions.append(_some_step(rule.some_step))
    if rule.no_step is not None:
        conditions.append(~_some_step(rule.no_step))
    return and_(true(), *conditions)


def run_status_column(word: Callable[[RunStatus], str]) -> ColumnElement[str]:
    """The status `derive_status` gives each manual run, compiled from the same rule table to
    SQL over the executions table, so that a surface filters and orders on the status it shows
    (in its own words)."""
    *rules, last = STATUS_RULES
    return case(*((_holds(r), literal(word(r.status))) for r in rules), else_=literal(word(last.status)))


def _load(session: Session, principal: Principal, execution_id: str, *, lock: bool = False) -> Execution:
    """A manual execution of the workspace (another kind of execution is not one: NotFound)."""
    manual_runs = Repository(session, Execution, principal.workspace_id, "manual execution")
    return manual_runs.get(execution_id, lock=lock, such_that=lambda e: e.kind == MANUAL_KIND)


def get_manual_run(app: AppContext, principal: Principal, execution_id: str) -> ManualRun:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        execution = _load(session, principal, execution_id)
        return _view(execution, _current(session, execution))


def _check(inputs: Sequence[StepInput], count: int) -> list[tuple[StepInput, StepOutcome]]:
    checked = []
    for i, item in enumerate(inputs):
        if not 1 <= item.step <= count:
            raise InvalidInput(f"results[{i}].step", f"must be a step number from 1 to {count}")
        outcome = parse_outcome(item.outcome)
        if outcome is None:
            raise InvalidInput(
                f"results[{i}].outcome", f"must be one of {', '.join(o.value for o in StepOutcome)}"
            )
        for name, text in (("actual_result", item.actual_result), ("notes", item.notes)):
            if text is not None and len(text) > 10_000:
                raise InvalidInput(f"results[{i}].{name}", "must be at most 10000 characters")
        checked.append((item, outcome))
    return checked


def record_steps(
    app: AppContext,
    principal: Principal,
    execution_id: str,
    results: Sequence[StepInput],
    *,
    complete: bool = False,
    fields: RunFields = RunFields(),
) -> ManualRun:
    """Record step outcomes and the run's fields (and complete the run when every step has
    an outcome, or when asked), as one change."""
    principal.require(Permission.EXECUTE)
    with app.uow() as uow:
        execution = _load(uow.session, principal, execution_id, lock=True)
        if execution.assignment_id:
            assignment = uow.session.get(Assignment, execution.assignment_id)
            require_may_run_assignment(principal, assignment.assignee if assignment else "")
        if execution.status.is_terminal:
            raise IllegalTransition(f"manual execution {execution.id} is complete; start a new run")
        _set_fields(execution, fields)
        current = {s.step: s for s in _current(uow.session, execution)}
        for item, outcome in _check(results, len(current)):
            before = current[item.step]
            record = {
                "description": before.description,
                "data": before.data,
                "expected_result": before.expected_result,
                "step": item.step,
                "outcome": outcome.value,
                "actual_result": before.actual_result if item.actual_result is None else item.actual_result,
                "notes": before.notes if item.notes is None else item.notes,
                "by": principal.user_name,
            }
            _append(uow, execution, before.id, outcome, record)
        steps = _current(uow.session, execution)
        if complete or all(s.outcome != StepOutcome.NOT_RUN for s in steps):
            status = derive_status([s.outcome for s in steps], completed=True)
            execution.finish_manual(Outcome(core_status(status), status.value), app.clock())
            endings.ended(uow, execution)
        uow.commit()
        return _view(execution, steps)


def _set_fields(execution: Execution, fields: RunFields) -> None:
    if fields.actual_duration is not None:
        execution.actual_duration = fields.actual_duration
    if fields.field_values is not None:
        execution.field_values = {**(execution.field_values or {}), **fields.field_values}
    if fields.widget_values is not None:
        execution.widget_values = {**(execution.widget_values or {}), **fields.widget_values}


def find_step_result(
    app: AppContext, principal: Principal, step_result_id: str
) -> tuple[ManualRun, StepResult]:
    """A step result by its id, with the run it belongs to (in the principal's workspace)."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        execution_id = session.execute(
            select(execution_records.c.execution_id).where(
                execution_records.c.observation_id == step_result_id
            )
        ).scalar()
    if execution_id is None:
        raise NotFound("step result", step_result_id)
    try:
        run = get_manual_run(app, principal, str(execution_id))
    except NotFound:
        raise NotFound("step result", step_result_id) from None
    step = next((s for s in run.steps if s.id == step_result_id), None)
    if step is None:
        raise NotFound("step result", step_result_id)
    return run, step


MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024


def _first_seq(uow_session: Any, step_result_id: str) -> int:
    """A step result's attachments hang on its first record."""
    seq: int = uow_session.execute(
        select(func.min(execution_records.c.seq)).where(execution_records.c.observation_id == step_result_id)
    ).scalar_one()
    return seq


def attach_to_step(
    app: AppContext, principal: Principal, step_result_id: str, *, name: str, data: bytes, media_type: str
) -> Artifact:
    """Keep a file (a screenshot, a log) with a step result of a run in progress or finished."""
    run, _step = find_step_result(app, principal, step_result_id)
    principal.require(Permission.EXECUTE)
    if not data:
        raise InvalidInput("file", "an attachment needs the file's bytes")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput("file", f"must be at most {MAX_ATTACHMENT_BYTES} bytes")
    where = artifact_file_name(app, run.execution.id, name)
    with blobs.kept(app, blobs.chunks_of(data), where) as blob, app.uow() as uow:
        execution = _load(uow.session, principal, run.execution.id, lock=True)
        if execution.assignment_id:
            assignment = uow.session.get(Assignment, execution.assignment_id)
            require_may_run_assignment(principal, assignment.assignee if assignment else "")
        artifact = store_artifact(
            uow,
            execution,
            name[:255] or "file",
            blob,
            media_type[:255],
            _first_seq(uow.session, step_result_id),
        )
        uow.commit()
    return artifact


def step_attachments(
    app: AppContext, principal: Principal, step_result_id: str, window: Window | None = None
) -> tuple[list[Artifact], int]:
    """A step result's attachments (all of them, or a surface's query window over the
    artifacts table) and how many there are."""
    run, _step = find_step_result(app, principal, step_result_id)
    with app.db.reading() as session:
        seq = _first_seq(session, step_result_id)
        attached = select(Artifact).where(
            artifacts.c.execution_id == run.execution.id, artifacts.c.record_seq == seq
        )
        return offset_page(session, attached, window or Window(limit=MAX_LIMIT), artifacts.c.id)


# a step result's files are artifacts; a test case's or an incident's are attachments
STEP_ATTACHMENTS = View(
    {
        "id": artifacts.c.id,
        "name": artifacts.c.name,
        "media_type": artifacts.c.media_type,
        "size": artifacts.c.size,
        "created_at": artifacts.c.created_at,
    }
)


def query_step_attachments(
    app: AppContext, principal: Principal, step_result_id: str, selection: Selection
) -> tuple[list[Artifact], int]:
    return step_attachments(app, principal, step_result_id, read_side.window(STEP_ATTACHMENTS, selection))
