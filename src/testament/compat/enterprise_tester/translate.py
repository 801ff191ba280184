"""Pure functions between Testament's manual runs and Enterprise Tester's shapes: GUID ids,
PascalCase, ISO-8601 `Z` times, `Self` links and `Expands`."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func

from testament.domain.execution import Execution, ExecutionStatus
from testament.domain.manual import RunStatus
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
_USERS = uuid.UUID("6f1d6e8e-7f43-4f8b-9d3c-2e9a6c1b5a10")


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def user_id(workspace_id: str, user_name: str) -> str:
    """A stable GUID per user name of a workspace (users are the names keys act as)."""
    return str(uuid.uuid5(_USERS, f"{workspace_id}/{user_name}"))


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


# the run's properties an OData $filter and $orderby may name, as SQL over the executions table
RUN_FIELDS: dict[str, ColumnElement[Any]] = {
    "Id": executions.c.id,
    "ScriptId": executions.c.test_case_id,
    "ScriptVersion": executions.c.test_case_version,
    "AssignmentId": executions.c.assignment_id,
    "CreatedAt": executions.c.queued_at,
    "LastUpdatedAt": func.coalesce(executions.c.finished_at, executions.c.started_at, executions.c.queued_at),
    "CreatedBy": executions.c.created_by,
    "RunBy": executions.c.created_by,
    "LastUpdatedBy": executions.c.created_by,
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
    by = user_id(x.workspace_id, x.created_by)
    updated = max([s.updated_at for s in run.steps], default=x.started_at or x.queued_at)
    wire: dict[str, Any] = {
        "Id": x.id,
        "ActualDuration": x.actual_duration,
        "ScriptId": x.test_case_id,
        "ScriptVersion": x.test_case_version,
        "AssignmentId": x.assignment_id,
        "CreatedAt": iso(x.queued_at),
        "LastUpdatedAt": iso(updated),
        "CreatedById": by,
        "CreatedBy": x.created_by,
        "RunById": by,
        "RunBy": x.created_by,
        "LastUpdatedById": user_id(x.workspace_id, run.steps[-1].updated_by or x.created_by)
        if run.steps
        else by,
        "LastUpdatedBy": (run.steps[-1].updated_by if run.steps else None) or x.created_by,
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
        wire["Widgets"] = x.widget_values or {}
    if "FieldValues" in wanted:
        wire["FieldValues"] = x.field_values or {}
    return wire


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
