"""Pure functions between Amazon Connect's wire models (`schemas.py`) and the core's objects.

An answer model holds only the members AWS sends: one with no value is left unset, not null."""

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from testament.compat.aws_connect.errors import AwsError
from testament.compat.aws_connect.schemas import (
    ContactFlowSummaryWire,
    ContactFlowWire,
    ExecutionRecordWire,
    GetTestCaseExecutionSummaryOutput,
    HoursOfOperationSummaryWire,
    HoursOfOperationWire,
    QueueSummaryWire,
    QueueWire,
    StringConditionWire,
    TagConditionWire,
    TagFilterWire,
    TestCaseExecutionWire,
    TestCaseSearchCriteria,
    TestCaseSummaryWire,
    TestCaseWire,
)
from testament.domain.execution import Execution, ExecutionStatus
from testament.domain.filters import Call, Comparison, Constant, Field, Kind, Node, all_of, any_of, equals
from testament.domain.model import Resource, TestCase
from testament.kit import raw_json
from testament.runners.connect.arns import instance_arn
from testament.services.test_cases import TAG, TAG_KEY_WITH_VALUE, TestCaseView

__all__ = [
    "INSTANCE_ARN",
    "INSTANCE_ARN_IN_PATH",
    "content_of",
    "criteria_filter",
    "tag_filter",
    "test_case_arn",
    "test_case_summary",
    "test_case_wire",
    "workspace_of",
]

INSTANCE_ID = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$")
INSTANCE_ARN = re.compile(
    r"^arn:(aws|aws-us-gov):connect:[a-z]{2}-[a-z]+-[0-9]{1}:[0-9]{1,20}:instance/"
    r"(?P<id>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})$"
)


INSTANCE_ARN_IN_PATH = re.compile(
    r"arn:(?:aws|aws-us-gov):connect:[a-z]{2}-[a-z]+-[0-9]:[0-9]{1,20}:instance/"
    r"(?P<id>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})"
)


def workspace_of(instance_id: str) -> str:
    """The workspace id an InstanceId (a UUID or an instance ARN) names."""
    if INSTANCE_ID.match(instance_id):
        return instance_id
    if match := INSTANCE_ARN.match(instance_id):
        return match["id"]
    raise AwsError("InvalidParameterException", f"InstanceId {instance_id!r} is not an instance id or ARN")


def test_case_arn(region: str, workspace_id: str, test_case_id: str) -> str:
    return f"{instance_arn(region, workspace_id)}/test-case/{test_case_id}"


def content_of(current: dict[str, Any] | None, **changes: Any) -> dict[str, Any]:
    """The core content of a connect test case: the current one with the given members replaced."""
    content = dict(current or {})
    for name, value in changes.items():
        if value is not None:
            content[name] = value
    return content


def sha256_of(content_string: str) -> str:
    """TestCaseSha256: the SHA-256 of the Content string exactly as stored."""
    return hashlib.sha256(content_string.encode()).hexdigest()


def _epoch(case: TestCase) -> float:
    return case.updated_at.timestamp()


def test_case_summary(case: TestCase, region: str) -> TestCaseSummaryWire:
    return TestCaseSummaryWire.model_validate(
        {
            "Id": case.id,
            "Arn": test_case_arn(region, case.workspace_id, case.id),
            "Name": case.name,
            "Status": case.status.value,
            "LastModifiedTime": _epoch(case),
            "LastModifiedRegion": region,
        }
    )


def test_case_wire(view: TestCaseView, region: str, version_status: str) -> TestCaseWire:
    """The TestCase shape of one version (`version_status` tells which one this is)."""
    case, content = view.test_case, view.content or {}
    wire: dict[str, Any] = {
        **test_case_summary(case, region).model_dump(),
        "Status": version_status,
        "Content": content.get("Content", ""),
        "Description": case.description,
        "TestCaseSha256": sha256_of(content.get("Content", "")),
    }
    for member in ("EntryPoint", "InitializationData"):
        if content.get(member) is not None:
            wire[member] = content[member]
    if case.tags:
        wire["Tags"] = dict(case.tags)
    return TestCaseWire.model_validate(wire)


_STRING_FIELDS = ("name", "description", "id", "status")  # fields of the read side's test-case view
_NULL = Constant(None, Kind.NULL)


def _string_condition(condition: StringConditionWire) -> Node:
    """EXACT and STARTS_WITH are case-sensitive; CONTAINS (and no ComparisonType) is not. A field
    the search does not know reads as the empty string, as it always did."""
    expected = condition.Value or ""
    field_name = (condition.FieldName or "name").lower()
    if field_name not in _STRING_FIELDS:
        return Comparison("eq", Constant("", Kind.STRING), Constant(expected, Kind.STRING))
    field = Field(field_name)
    if condition.ComparisonType == "EXACT":
        return equals(field_name, expected)
    if condition.ComparisonType == "STARTS_WITH":
        return Call("startswith", (field, Constant(expected, Kind.STRING)))
    return Call("substringof", (Constant(expected.lower(), Kind.STRING), Call("tolower", (field,))))


def criteria_filter(criteria: TestCaseSearchCriteria | None) -> Node | None:
    """SearchCriteria as a filter tree over test_case_search's fields; None matches every case."""
    if criteria is None:
        return None
    checks: list[Node | None] = []
    if criteria.StringCondition is not None:
        checks.append(_string_condition(criteria.StringCondition))
    if criteria.StatusCondition is not None:
        checks.append(equals("status", criteria.StatusCondition))
    if criteria.AndConditions:
        checks.append(all_of(*(criteria_filter(c) for c in criteria.AndConditions)))
    if criteria.OrConditions:
        checks.append(_any_or_every(criteria_filter(c) for c in criteria.OrConditions))
    return all_of(*checks)


def _any_or_every(nodes: Iterable[Node | None]) -> Node | None:
    """Any of `nodes`, where None (a condition every case meets) makes the whole `or` hold."""
    given = list(nodes)
    return None if any(n is None for n in given) else any_of(*given)


def _tag_condition(condition: TagConditionWire) -> Node | None:
    if condition.TagKey is None:
        if condition.TagValue is None:
            return None
        return Comparison("ne", Field(TAG_KEY_WITH_VALUE + condition.TagValue), _NULL)
    if condition.TagValue is None:
        return Comparison("ne", Field(TAG + condition.TagKey), _NULL)
    return equals(TAG + condition.TagKey, condition.TagValue)


def tag_filter(tags: TagFilterWire | None) -> Node | None:
    """A SearchFilter's TagFilter as a filter tree: its TagCondition, all its AndConditions and
    any of its OrConditions groups (each group: all of its conditions)."""
    if tags is None:
        return None
    groups = [all_of(*(_tag_condition(c) for c in group)) for group in tags.OrConditions or []]
    return all_of(
        _tag_condition(tags.TagCondition) if tags.TagCondition is not None else None,
        *(_tag_condition(c) for c in tags.AndConditions or []),
        _any_or_every(groups) if groups else None,
    )


# ------------------------------------------------------------------ resources


def resource_arn(region: str, workspace_id: str, segment: str, resource_id: str) -> str:
    return f"{instance_arn(region, workspace_id)}/{segment}/{resource_id}"


def check_flow_content(content: str) -> None:
    """What AWS checks when a flow is saved: Flow-language JSON with a StartAction among its actions."""
    problems = []
    try:
        flow = raw_json.loads(content)  # a limit on nesting, before parsing
    except ValueError as exc:
        raise AwsError(
            "InvalidContactFlowException",
            "The flow is not valid.",
            problems=[{"message": f"Content is not JSON: {exc}"}],
        ) from None
    actions = flow.get("Actions") if isinstance(flow, dict) else None
    if not isinstance(flow, dict) or flow.get("Version") != "2019-10-30":
        problems.append({"message": "Version must be 2019-10-30"})
    if not isinstance(actions, list) or not actions:
        problems.append({"message": "Actions must be a non-empty list"})
    elif not isinstance(flow.get("StartAction"), str) or flow["StartAction"] not in {
        a.get("Identifier") for a in actions if isinstance(a, dict) and isinstance(a.get("Identifier"), str)
    }:
        problems.append({"message": f"StartAction {flow.get('StartAction')!r} is not an action of this flow"})
    if problems:
        raise AwsError("InvalidContactFlowException", "The flow is not valid.", problems=problems)


def flow_body(flow_type: str, content: str, status: str, version: int) -> dict[str, Any]:
    return {"Type": flow_type, "Content": content, "Status": status, "State": "ACTIVE", "Version": version}


def _modified(resource: Resource, region: str) -> dict[str, Any]:
    return {"LastModifiedTime": resource.updated_at.timestamp(), "LastModifiedRegion": region}


def _tags(resource: Resource) -> dict[str, Any]:
    return {"Tags": dict(resource.tags)} if resource.tags else {}


def flow_wire(flow: Resource, region: str, workspace_id: str) -> ContactFlowWire:
    body = flow.body
    return ContactFlowWire.model_validate(
        {
            "Arn": resource_arn(region, workspace_id, "contact-flow", flow.id),
            "Id": flow.id,
            "Name": flow.name,
            "Type": body.get("Type", "CONTACT_FLOW"),
            "State": body.get("State", "ACTIVE"),
            "Status": body.get("Status", "PUBLISHED"),
            "Description": flow.description,
            "Content": body.get("Content", ""),
            "FlowContentSha256": sha256_of(body.get("Content", "")),
            "Version": int(body.get("Version", 1)),
            **_modified(flow, region),
            **_tags(flow),
        }
    )


def flow_summary(flow: Resource, region: str, workspace_id: str) -> ContactFlowSummaryWire:
    return ContactFlowSummaryWire.model_validate(
        {
            "Id": flow.id,
            "Arn": resource_arn(region, workspace_id, "contact-flow", flow.id),
            "Name": flow.name,
            "ContactFlowType": flow.body.get("Type", "CONTACT_FLOW"),
            "ContactFlowState": flow.body.get("State", "ACTIVE"),
            "ContactFlowStatus": flow.body.get("Status", "PUBLISHED"),
        }
    )


def queue_wire(queue: Resource, region: str, workspace_id: str) -> QueueWire:
    body = {k: v for k, v in queue.body.items() if k not in ("Name", "Description")}
    return QueueWire.model_validate(
        {
            "Name": queue.name,
            "QueueArn": resource_arn(region, workspace_id, "queue", queue.id),
            "QueueId": queue.id,
            **({"Description": queue.description} if queue.description else {}),
            **body,
            "Status": queue.body.get("Status", "ENABLED"),
            **_modified(queue, region),
            **_tags(queue),
        }
    )


def queue_summary(queue: Resource, region: str, workspace_id: str) -> QueueSummaryWire:
    return QueueSummaryWire.model_validate(
        {
            "Id": queue.id,
            "Arn": resource_arn(region, workspace_id, "queue", queue.id),
            "Name": queue.name,
            "QueueType": "STANDARD",
            **_modified(queue, region),
        }
    )


def check_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise AwsError("InvalidParameterException", f"TimeZone {name!r} is not a known time zone") from None


def hours_wire(hours: Resource, region: str, workspace_id: str) -> HoursOfOperationWire:
    return HoursOfOperationWire.model_validate(
        {
            "HoursOfOperationId": hours.id,
            "HoursOfOperationArn": resource_arn(region, workspace_id, "operating-hours", hours.id),
            "Name": hours.name,
            **({"Description": hours.description} if hours.description else {}),
            "TimeZone": hours.body.get("TimeZone", "UTC"),
            "Config": hours.body.get("Config", []),
            **_modified(hours, region),
            **_tags(hours),
        }
    )


def hours_summary(hours: Resource, region: str, workspace_id: str) -> HoursOfOperationSummaryWire:
    return HoursOfOperationSummaryWire.model_validate(
        {
            "Id": hours.id,
            "Arn": resource_arn(region, workspace_id, "operating-hours", hours.id),
            "Name": hours.name,
            **_modified(hours, region),
        }
    )


# ------------------------------------------------------------------ executions

EXECUTION_STATUS = {
    ExecutionStatus.QUEUED: "INITIATED",
    ExecutionStatus.RUNNING: "IN_PROGRESS",
    ExecutionStatus.PASSED: "PASSED",
    ExecutionStatus.FAILED: "FAILED",
    ExecutionStatus.STOPPED: "STOPPED",
    ExecutionStatus.ERROR: "FAILED",
}
CORE_STATUSES = {
    "INITIATED": [ExecutionStatus.QUEUED],
    "IN_PROGRESS": [ExecutionStatus.RUNNING],
    "PASSED": [ExecutionStatus.PASSED],
    "FAILED": [ExecutionStatus.FAILED, ExecutionStatus.ERROR],
    "STOPPED": [ExecutionStatus.STOPPED],
}
RECORD_STATUSES = {  # the core statuses a record shown with this ExecutionRecordStatus may have
    "PASSED": ["PASSED", "INFO"],
    "FAILED": ["FAILED", "ERROR", "SKIPPED", "INFO"],
    "IN_PROGRESS": ["INFO"],
    "STOPPED": ["INFO"],
}  # INITIATED is an execution's status only: no record ever shows it
COMPLETION = "COMPLETION"
FINAL_RECORD_STATUSES = ("PASSED", "FAILED", "STOPPED")


def observation_count(content: Any) -> int:
    """How many observations the pinned version's Testing-language Content holds."""
    try:
        document = json.loads((content or {}).get("Content", ""))
    except ValueError:
        return 0
    observations = document.get("Observations") if isinstance(document, dict) else None
    return len(observations) if isinstance(observations, list) else 0


def _observation_counts(execution: Execution, total: int, records: list[Any]) -> dict[str, int]:
    """Observations, not records: one observation matched three times writes three records.

    A finished run's COMPLETION record holds the runner's own count, which the summary repeats.
    Before that, an observation counts as failed once any of its records failed, and as passed
    while its latest record passed; a finished run without that count (stopped while queued, or
    one that never got going) fails every observation that did not pass."""
    own = [r for r in records if r.attempt == execution.attempt and not r.interrupted]
    completion = next((r.record for r in own if r.observation_id == COMPLETION), None)
    counted = completion.get("ObservationSummary") if isinstance(completion, dict) else None
    if isinstance(counted, dict) and set(counted) >= {"ObservationsPassed", "ObservationsFailed"}:
        return {"passed": int(counted["ObservationsPassed"]), "failed": int(counted["ObservationsFailed"])}
    latest: dict[str, str] = {}
    failed: set[str] = set()
    for r in own:
        if r.record.get("Type") == "OBSERVATION":
            latest[r.observation_id] = r.status
            if r.status in ("FAILED", "ERROR"):
                failed.add(r.observation_id)
    passed = min(sum(1 for o, status in latest.items() if status == "PASSED" and o not in failed), total)
    failing = min(len(failed), total - passed)
    if execution.status.is_terminal:
        failing = total - passed
    return {"passed": passed, "failed": failing}


def execution_summary(
    execution: Execution, total: int, records: list[Any]
) -> GetTestCaseExecutionSummaryOutput:
    counts = _observation_counts(execution, total, records)
    summary: dict[str, Any] = {
        "Status": EXECUTION_STATUS[execution.status],
        "ObservationSummary": {
            "TotalObservations": total,
            "ObservationsPassed": counts["passed"],
            "ObservationsFailed": counts["failed"],
        },
    }
    if execution.started_at:
        summary["StartTime"] = execution.started_at.timestamp()
    if execution.finished_at:
        summary["EndTime"] = execution.finished_at.timestamp()
    return GetTestCaseExecutionSummaryOutput.model_validate(summary)


def execution_wire(execution: Execution, tags: dict[str, str]) -> TestCaseExecutionWire:
    wire: dict[str, Any] = {
        "TestCaseExecutionId": execution.id,
        "TestCaseId": execution.test_case_id,
        "TestCaseExecutionStatus": EXECUTION_STATUS[execution.status],
    }
    if execution.started_at:
        wire["StartTime"] = execution.started_at.timestamp()
    if execution.finished_at:
        wire["EndTime"] = execution.finished_at.timestamp()
    if tags:
        wire["Tags"] = dict(tags)
    return TestCaseExecutionWire.model_validate(wire)


def record_status(record: Any, execution: Execution) -> str:
    """The ExecutionRecordStatus a core record shows.

    A COMPLETION record shows the outcome it records. A record that neither passed nor failed by
    itself (the flow's trace, a retry note) is IN_PROGRESS while the execution runs, and takes
    the execution's own final status once it has finished: a finished execution has no record
    in progress. A skipped observation (never activated) failed."""
    if record.status == "INFO":
        outcome = record.record.get("Status") if record.observation_id == COMPLETION else None
        if outcome in FINAL_RECORD_STATUSES:
            return str(outcome)
        if not execution.status.is_terminal:
            return "IN_PROGRESS"
        return EXECUTION_STATUS[execution.status]
    return "PASSED" if record.status == "PASSED" else "FAILED"


def record_wire(record: Any, execution: Execution) -> ExecutionRecordWire:
    """A core record as an ExecutionRecord: its Record member is the JSON the runner wrote."""
    return ExecutionRecordWire.model_validate(
        {
            "ObservationId": record.observation_id[:256],
            "Status": record_status(record, execution),
            "Timestamp": record.timestamp.timestamp(),
            "Record": json.dumps(record.record, separators=(",", ":")),
        }
    )


def from_epoch_ms(member: str, value: int | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise AwsError(
            "InvalidParameterException", f"{member} {value} is not a time in epoch milliseconds"
        ) from None
