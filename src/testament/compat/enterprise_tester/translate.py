"""Pure functions between Testament's manual runs and Enterprise Tester's shapes: GUID ids,
PascalCase, ISO-8601 `Z` times, `Self` links and `Expands`."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from testament.domain.execution import Execution, ExecutionStatus
from testament.domain.manual import RunStatus
from testament.domain.users import user_id_for
from testament.services.manual import ManualRun, StepResult, run_status_column
from testament.store.tables import (
    api_keys,
    artifacts,
    assignments,
    executions,
    packages,
    projects,
    suites,
    test_cases,
    users,
)

__all__ = [
    "ASSIGNMENT_FIELDS",
    "ATTACHMENT_FIELDS",
    "PACKAGE_FIELDS",
    "PROJECT_FIELDS",
    "RUN_EXPANDS",
    "RUN_FIELDS",
    "RUN_STATUS_WORDS",
    "SCRIPT_FIELDS",
    "SCRIPT_PACKAGE_FIELDS",
    "STEP_EXPANDS",
    "USER_FIELDS",
    "iso",
    "run_wire",
    "status_word",
    "step_wire",
    "user_id",
]

RUN_EXPANDS = ("Assignment", "StepResults", "Widgets", "FieldValues")
STEP_EXPANDS = ("Run", "Attachments", "Incidents")


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def user_id(workspace_id: str, user_name: str) -> str:
    """The GUID of a workspace's user by name (users are the names keys act as)."""
    return user_id_for(workspace_id, user_name)


# a run's status as the vendor writes it (the rule that derives it is the domain's)
RUN_STATUS_WORDS: dict[RunStatus, str] = {
    RunStatus.NOT_RUN: "Not Run",
    RunStatus.IN_PROGRESS: "In Progress",
    RunStatus.PASSED: "Passed",
    RunStatus.FAILED: "Failed",
    RunStatus.BLOCKED: "Blocked",
    RunStatus.UNDETERMINED: "Undetermined",
}


def status_word(status: RunStatus) -> str:
    return RUN_STATUS_WORDS[status]


_RUN_BY = func.coalesce(executions.c.run_by, executions.c.created_by)


def _user_id_of(user_name: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQL: the id of the run's workspace user of that name (filters and orders on `…ById`)."""
    return (
        select(users.c.id)
        .where(users.c.workspace_id == executions.c.workspace_id, users.c.name == user_name)
        .scalar_subquery()
    )


# the run's properties an OData $filter and $orderby may name, as SQL over the executions table
RUN_FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": executions.c.id,
    "ScriptId": executions.c.test_case_id,
    "ScriptVersion": executions.c.test_case_version,
    "AssignmentId": executions.c.assignment_id,
    "CreatedAt": executions.c.queued_at,
    "ActualDuration": executions.c.actual_duration,
    "LastUpdatedAt": func.coalesce(executions.c.finished_at, executions.c.started_at, executions.c.queued_at),
    "CreatedBy": executions.c.created_by,
    "CreatedById": _user_id_of(executions.c.created_by),
    "RunBy": _RUN_BY,
    "RunById": _user_id_of(_RUN_BY),
    "LastUpdatedBy": _RUN_BY,
    "Completed": executions.c.status.not_in([ExecutionStatus.QUEUED, ExecutionStatus.RUNNING]),
    "Status": run_status_column(status_word),
}


def step_wire(step: StepResult, run_id: str, base: str, expand: Iterable[str] = ()) -> dict[str, Any]:
    wanted = set(expand)
    wire: dict[str, Any] = {
        "RunId": run_id,
        "Id": step.id,
        "Description": step.description,
        "Data": step.data or None,
        "Notes": step.notes or None,
        "ExpectedResult": step.expected_result or None,
        "ActualResult": step.actual_result or None,
        "Outcome": step.outcome.value,
        "HasIncidents": step.incidents > 0,
        "HasAttachments": step.attachments > 0,
        "Expands": [e for e in STEP_EXPANDS if e not in wanted],
        "Self": f"{base}api/stepresult/{step.id}",
    }
    return wire


def run_wire(
    run: ManualRun, base: str, expand: Iterable[str] = (), assignment: dict[str, Any] | None = None
) -> dict[str, Any]:
    x: Execution = run.execution
    wanted = set(expand)
    creator = user_id(x.workspace_id, x.created_by)
    runner = x.run_by or x.created_by
    by = user_id(x.workspace_id, runner)
    updated = max([s.updated_at for s in run.steps], default=x.started_at or x.queued_at)
    wire: dict[str, Any] = {
        "Id": x.id,
        "ActualDuration": x.actual_duration,
        "ScriptId": x.test_case_id,
        "ScriptVersion": x.test_case_version,
        "AssignmentId": x.assignment_id,
        "CreatedAt": iso(x.queued_at),
        "LastUpdatedAt": iso(updated),
        "CreatedById": creator,
        "CreatedBy": x.created_by,
        "RunById": by,
        "RunBy": runner,
        "LastUpdatedById": user_id(x.workspace_id, run.steps[-1].updated_by or runner) if run.steps else by,
        "LastUpdatedBy": (run.steps[-1].updated_by if run.steps else None) or runner,
        "Status": status_word(run.status),
        "Completed": run.completed,
        "Expands": [e for e in RUN_EXPANDS if e not in wanted],
        "Self": f"{base}api/scriptrun/{x.id}",
    }
    if "StepResults" in wanted:
        wire["StepResults"] = [step_wire(s, x.id, base) for s in run.steps]
    if "Assignment" in wanted and assignment is not None:
        wire["Assignment"] = assignment
    if "Widgets" in wanted:
        wire["Widgets"] = widgets_of(x.widget_values or {})
    if "FieldValues" in wanted:
        wire["FieldValues"] = x.field_values or {}
    return wire


def widgets_of(values: dict[str, Any]) -> list[dict[str, Any]]:
    """A run's widget values as the vendor's `Widgets` array (AbstractWidget: `Name` and
    `Label`), each with the value the tester gave it."""
    return [{"Name": name, "Label": name, "Value": value} for name, value in values.items()]


def steps_of(content: dict[str, Any]) -> list[dict[str, Any]]:
    """A manual test case's steps as the vendor's Step shape."""
    return [
        {
            "Description": s.get("description", ""),
            "ExpectedResult": s.get("expected_result") or None,
            "Notes": None,
            "Data": s.get("data") or None,
            "OrderNumber": n,
        }
        for n, s in enumerate(content.get("steps", []))
    ]


def content_of(steps: Any) -> dict[str, Any]:
    """The vendor's Steps as a manual test case's content (order by OrderNumber, then as given)."""
    if not isinstance(steps, list):
        return {"steps": steps}  # let the content validation name what is wrong
    ordered = sorted(
        enumerate(steps), key=lambda p: p[1].get("OrderNumber", p[0]) if isinstance(p[1], dict) else p[0]
    )
    return {
        "steps": [
            {
                "description": s.get("Description") or "",
                "data": s.get("Data") or "",
                "expected_result": s.get("ExpectedResult") or "",
            }
            if isinstance(s, dict)
            else s
            for _, s in ordered
        ]
    }


USER_FIELDS: dict[str, ColumnElement[Any]] = {
    "UserName": api_keys.c.user_name,
    "DisplayName": api_keys.c.user_name,
}
PACKAGE_FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": packages.c.id,
    "Name": packages.c.name,
    "ParentId": packages.c.parent_id,
    "ProjectId": func.coalesce(packages.c.project_id, packages.c.workspace_id),
    "CreatedAt": packages.c.created_at,
}
SCRIPT_PACKAGE_FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": suites.c.id,
    "Name": suites.c.name,
    "Description": suites.c.description,
    "ParentId": suites.c.parent_id,
    "ProjectId": func.coalesce(suites.c.project_id, suites.c.workspace_id),
    "CreatedAt": suites.c.created_at,
    "LastUpdatedAt": suites.c.updated_at,
}
SCRIPT_FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": test_cases.c.id,
    "Name": test_cases.c.name,
    "Description": test_cases.c.description,
    "VersionNumber": func.coalesce(test_cases.c.published_version, test_cases.c.version),
    "CreatedAt": test_cases.c.created_at,
    "LastUpdatedAt": test_cases.c.updated_at,
}
ASSIGNMENT_FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": assignments.c.id,
    "ScriptId": assignments.c.test_case_id,
    "PackageId": assignments.c.package_id,
    "AssignedTo": assignments.c.assignee,
    "CreatedBy": assignments.c.created_by,
    "CreatedAt": assignments.c.created_at,
}
PROJECT_FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": projects.c.id,
    "Name": projects.c.name,
    "CreatedAt": projects.c.created_at,
}
ATTACHMENT_FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": artifacts.c.id,
    "Name": artifacts.c.name,
    "FileName": artifacts.c.name,
    "ContentType": artifacts.c.media_type,
    "Size": artifacts.c.size,
    "CreatedAt": artifacts.c.created_at,
}
