"""Pure functions between Testament's manual runs and Enterprise Tester's answer models
(schemas.py): GUID ids, PascalCase, ISO-8601 `Z` times, `Self` links and `Expands`."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from testament.compat.enterprise_tester.schemas import (
    ScriptAssignmentWire,
    ScriptRunWire,
    ScriptStepWire,
    StepResultWire,
    WidgetWire,
)
from testament.domain.execution import Execution
from testament.domain.filters import Kind
from testament.domain.manual import RunStatus
from testament.domain.users import user_id_for
from testament.services import assignments, packages, projects, read_side, suites, test_cases
from testament.services.executions import manual
from testament.services.executions.manual import ManualRun, StepResult

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
    "VendorFields",
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


@dataclass(frozen=True)
class VendorFields:
    """A collection's properties that `$filter`, `$orderby` and TQL may name, as the vendor
    names them: each is a field of the read side's view of the collection."""

    view: read_side.View
    names: Mapping[str, str]  # vendor property -> the view's field

    @cached_property
    def kinds(self) -> dict[str, Kind]:
        """The kind of value each property holds (TQL types a bare value by it)."""
        return {vendor: self.view.field_kinds[own] for vendor, own in self.names.items()}


# a run's Status is the status derive_status gives it: ET's words are the domain's (RUN_STATUS_WORDS)
RUN_FIELDS = VendorFields(
    assignments.RUNS,
    {
        "Id": "id",
        "ScriptId": "test_case_id",
        "ScriptVersion": "test_case_version",
        "AssignmentId": "assignment_id",
        "CreatedAt": "created_at",
        "ActualDuration": "actual_duration",
        "LastUpdatedAt": "last_updated_at",
        "CreatedBy": "created_by",
        "CreatedById": "created_by_id",
        "RunBy": "run_by",
        "RunById": "run_by_id",
        "LastUpdatedBy": "run_by",
        "Completed": "completed",
        "Status": "status",
    },
)


def step_wire(step: StepResult, run_id: str, base: str, expand: Iterable[str] = ()) -> StepResultWire:
    wanted = set(expand)
    return StepResultWire(
        RunId=run_id,
        Id=step.id,
        Description=step.description,
        Data=step.data or None,
        Notes=step.notes or None,
        ExpectedResult=step.expected_result or None,
        ActualResult=step.actual_result or None,
        Outcome=step.outcome.value,
        HasIncidents=step.incidents > 0,
        HasAttachments=step.attachments > 0,
        Expands=[e for e in STEP_EXPANDS if e not in wanted],
        Self=f"{base}api/stepresult/{step.id}",
    )


def run_wire(
    run: ManualRun, base: str, expand: Iterable[str] = (), assignment: ScriptAssignmentWire | None = None
) -> ScriptRunWire:
    x: Execution = run.execution
    wanted = set(expand)
    creator = user_id(x.workspace_id, x.created_by)
    runner = x.run_by or x.created_by
    by = user_id(x.workspace_id, runner)
    updated = max([s.updated_at for s in run.steps], default=x.started_at or x.queued_at)
    wire = ScriptRunWire(
        Id=x.id,
        ActualDuration=x.actual_duration,
        ScriptId=x.test_case_id,
        ScriptVersion=x.test_case_version,
        AssignmentId=x.assignment_id,
        CreatedAt=iso(x.queued_at),
        LastUpdatedAt=iso(updated),
        CreatedById=creator,
        CreatedBy=x.created_by,
        RunById=by,
        RunBy=runner,
        LastUpdatedById=user_id(x.workspace_id, run.steps[-1].updated_by or runner) if run.steps else by,
        LastUpdatedBy=(run.steps[-1].updated_by if run.steps else None) or runner,
        Status=status_word(run.status),
        Completed=run.completed,
        Expands=[e for e in RUN_EXPANDS if e not in wanted],
        Self=f"{base}api/scriptrun/{x.id}",
    )
    # a member `$expand` inlines is set only when asked for (an answer leaves out what is unset)
    if "StepResults" in wanted:
        wire.StepResults = [step_wire(s, x.id, base) for s in run.steps]
    if "Assignment" in wanted and assignment is not None:
        wire.Assignment = assignment
    if "Widgets" in wanted:
        wire.Widgets = widgets_of(x.widget_values or {})
    if "FieldValues" in wanted:
        wire.FieldValues = x.field_values or {}
    return wire


def widgets_of(values: dict[str, Any]) -> list[WidgetWire]:
    """A run's widget values as the vendor's `Widgets` array (AbstractWidget: `Name` and
    `Label`), each with the value the tester gave it."""
    return [WidgetWire(Name=name, Label=name, Value=value) for name, value in values.items()]


def steps_of(content: dict[str, Any]) -> list[ScriptStepWire]:
    """A manual test case's steps as the vendor's Step shape."""
    return [
        ScriptStepWire(
            Description=s.get("description", ""),
            ExpectedResult=s.get("expected_result") or None,
            Notes=None,
            Data=s.get("data") or None,
            OrderNumber=n,
        )
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


PACKAGE_FIELDS = VendorFields(
    packages.PACKAGES,
    {
        "Id": "id",
        "Name": "name",
        "ParentId": "parent_id",
        "ProjectId": "project_id",
        "CreatedAt": "created_at",
    },
)
SCRIPT_PACKAGE_FIELDS = VendorFields(
    suites.SUITES,
    {
        "Id": "id",
        "Name": "name",
        "Description": "description",
        "ParentId": "parent_id",
        "ProjectId": "project_id",
        "CreatedAt": "created_at",
        "LastUpdatedAt": "updated_at",
    },
)
SCRIPT_FIELDS = VendorFields(
    test_cases.TEST_CASES,
    {
        "Id": "id",
        "Name": "name",
        "Description": "description",
        "VersionNumber": "version",
        "CreatedAt": "created_at",
        "LastUpdatedAt": "updated_at",
    },
)
ASSIGNMENT_FIELDS = VendorFields(
    assignments.ASSIGNMENTS,
    {
        "Id": "id",
        "ScriptId": "test_case_id",
        "PackageId": "package_id",
        "AssignedTo": "assignee",
        "CreatedBy": "created_by",
        "CreatedAt": "created_at",
    },
)
PROJECT_FIELDS = VendorFields(projects.PROJECTS, {"Id": "id", "Name": "name", "CreatedAt": "created_at"})
ATTACHMENT_FIELDS = VendorFields(
    manual.STEP_ATTACHMENTS,
    {
        "Id": "id",
        "Name": "name",
        "FileName": "name",
        "ContentType": "media_type",
        "Size": "size",
        "CreatedAt": "created_at",
    },
)
