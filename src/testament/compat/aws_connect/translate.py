"""Pure functions between Amazon Connect's wire shapes and the core's objects."""

import hashlib
import re
from typing import Any

from testament.compat.aws_connect.errors import AwsError
from testament.compat.aws_connect.schemas import TagConditionWire, TestCaseSearchCriteria
from testament.domain.model import TestCase
from testament.services.test_cases import TestCaseView

__all__ = [
    "ACCOUNT",
    "INSTANCE_ARN",
    "INSTANCE_ARN_IN_PATH",
    "content_of",
    "matches_criteria",
    "matches_tags",
    "test_case_arn",
    "test_case_summary",
    "test_case_wire",
    "workspace_of",
]

ACCOUNT = "000000000000"  # no AWS account behind Testament; ARNs carry a fixed one
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
    return f"arn:aws:connect:{region}:{ACCOUNT}:instance/{workspace_id}/test-case/{test_case_id}"


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


def test_case_summary(case: TestCase, region: str) -> dict[str, Any]:
    return {
        "Id": case.id,
        "Arn": test_case_arn(region, case.workspace_id, case.id),
        "Name": case.name,
        "Status": case.status.value,
        "LastModifiedTime": _epoch(case),
        "LastModifiedRegion": region,
    }


def test_case_wire(view: TestCaseView, region: str, version_status: str) -> dict[str, Any]:
    """The TestCase shape of one version (`version_status` tells which one this is)."""
    case, content = view.test_case, view.content or {}
    wire: dict[str, Any] = {
        **test_case_summary(case, region),
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
    return wire


def _string_matches(case: TestCase, field: str | None, value: str | None, comparison: str | None) -> bool:
    actual = {
        "name": case.name,
        "description": case.description,
        "id": case.id,
        "status": case.status.value,
    }.get((field or "name").lower(), "")
    expected = value or ""
    if comparison == "EXACT":
        return actual == expected
    if comparison == "STARTS_WITH":
        return actual.startswith(expected)
    return expected.lower() in actual.lower()


def matches_criteria(case: TestCase, criteria: TestCaseSearchCriteria | None) -> bool:
    if criteria is None:
        return True
    checks = []
    if criteria.StringCondition is not None:
        c = criteria.StringCondition
        checks.append(_string_matches(case, c.FieldName, c.Value, c.ComparisonType))
    if criteria.StatusCondition is not None:
        checks.append(case.status.value == criteria.StatusCondition)
    if criteria.AndConditions:
        checks.append(all(matches_criteria(case, c) for c in criteria.AndConditions))
    if criteria.OrConditions:
        checks.append(any(matches_criteria(case, c) for c in criteria.OrConditions))
    return all(checks)


def _tag_holds(tags: dict[str, str], condition: TagConditionWire) -> bool:
    if condition.TagKey is None:
        return condition.TagValue is None or condition.TagValue in tags.values()
    if condition.TagKey not in tags:
        return False
    return condition.TagValue is None or tags[condition.TagKey] == condition.TagValue


def matches_tags(case: TestCase, tag_filter: Any) -> bool:
    if tag_filter is None:
        return True
    tags = case.tags or {}
    if tag_filter.TagCondition is not None and not _tag_holds(tags, tag_filter.TagCondition):
        return False
    if tag_filter.AndConditions and not all(_tag_holds(tags, c) for c in tag_filter.AndConditions):
        return False
    return not tag_filter.OrConditions or any(
        all(_tag_holds(tags, c) for c in group) for group in tag_filter.OrConditions
    )
