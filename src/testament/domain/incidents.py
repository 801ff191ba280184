"""Incidents: defects a tester raises, typically on failing a step of a manual run.

An incident has a summary and description, four picklist fields (type, priority, status,
resolution) and may be assigned to a user of the workspace. It can be linked to any number of
step results (records of manual runs). The one rule between the fields: an incident is
resolved or closed with a resolution, and open without one (reopening it drops the resolution).
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from testament.domain.errors import InvalidInput

__all__ = [
    "MAX_SUMMARY",
    "PICKLISTS",
    "Incident",
    "IncidentChange",
    "IncidentPriority",
    "IncidentResolution",
    "IncidentStatus",
    "IncidentType",
]

MAX_SUMMARY = 255
MAX_DESCRIPTION = 32_000


class IncidentType(StrEnum):
    BUG = "Bug"
    IMPROVEMENT = "Improvement"
    NEW_FEATURE = "New Feature"
    TASK = "Task"


class IncidentPriority(StrEnum):
    BLOCKER = "Blocker"
    CRITICAL = "Critical"
    MAJOR = "Major"
    MINOR = "Minor"
    TRIVIAL = "Trivial"


class IncidentStatus(StrEnum):
    OPEN = "Open"
    IN_PROGRESS = "In Progress"
    REOPENED = "Reopened"
    RESOLVED = "Resolved"
    CLOSED = "Closed"


class IncidentResolution(StrEnum):
    FIXED = "Fixed"
    WONT_FIX = "Won't Fix"
    DUPLICATE = "Duplicate"
    INCOMPLETE = "Incomplete"
    CANNOT_REPRODUCE = "Cannot Reproduce"


# each picklist field and its values, in the order they are offered
PICKLISTS: dict[str, type[StrEnum]] = {
    "type": IncidentType,
    "priority": IncidentPriority,
    "status": IncidentStatus,
    "resolution": IncidentResolution,
}
_FINISHED = {IncidentStatus.RESOLVED, IncidentStatus.CLOSED}
UNSET: Any = object()


def _picked(name: str, kind: type[StrEnum], value: object) -> StrEnum:
    for member in kind:
        if isinstance(value, str) and value.strip().lower() == member.value.lower():
            return member
    raise InvalidInput(name, f"must be one of {', '.join(m.value for m in kind)}")


def _text(name: str, value: object, limit: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput(name, f"must be text of at most {limit} characters")
    if required and not value.strip():
        raise InvalidInput(name, "must not be empty")
    if len(value) > limit:
        raise InvalidInput(name, f"must be at most {limit} characters")
    return value.strip() if required else value


@dataclass(frozen=True)
class IncidentChange:
    """What a caller asks to change; a field left UNSET keeps its value."""

    summary: object = UNSET
    description: object = UNSET
    type: object = UNSET
    priority: object = UNSET
    status: object = UNSET
    resolution: object = UNSET  # None clears it
    assignee_id: object = UNSET  # a user id, resolved by the caller; None unassigns
    field_values: object = UNSET


@dataclass
class Incident:
    id: str
    workspace_id: str
    project_id: str
    number: int
    summary: str
    description: str
    type: str
    priority: str
    status: str
    resolution: str | None
    assignee_id: str | None
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 1
    field_values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def raise_new(
        cls,
        *,
        id: str,
        workspace_id: str,
        project_id: str,
        number: int,
        by: str,
        now: datetime,
        change: IncidentChange,
    ) -> "Incident":
        """A new incident: Open, a Major Bug unless `change` says otherwise; a summary is required."""
        if change.summary is UNSET:
            raise InvalidInput("summary", "must not be empty")
        incident = cls(
            id,
            workspace_id,
            project_id,
            number,
            "",
            "",
            IncidentType.BUG,
            IncidentPriority.MAJOR,
            IncidentStatus.OPEN,
            None,
            None,
            by,
            by,
            now,
            now,
        )
        incident._apply(change)
        return incident

    def update(self, change: IncidentChange, *, by: str, now: datetime) -> None:
        self._apply(change)
        self.version += 1
        self.updated_by, self.updated_at = by, now

    def _apply(self, change: IncidentChange) -> None:
        if change.summary is not UNSET:
            self.summary = _text("summary", change.summary, MAX_SUMMARY, required=True)
        if change.description is not UNSET:
            self.description = _text("description", change.description or "", MAX_DESCRIPTION, required=False)
        for name in ("type", "priority", "status"):
            value = getattr(change, name)
            if value is not UNSET:
                setattr(self, name, _picked(name, PICKLISTS[name], value).value)
        if change.resolution is UNSET and self.status not in _FINISHED:
            self.resolution = None  # reopening an incident drops the resolution it was closed with
        elif change.resolution is not UNSET:
            picked = change.resolution
            self.resolution = (
                None if picked is None else _picked("resolution", IncidentResolution, picked).value
            )
        if change.assignee_id is not UNSET:
            self.assignee_id = change.assignee_id if isinstance(change.assignee_id, str) else None
        if change.field_values is not UNSET:
            if not isinstance(change.field_values, dict):
                raise InvalidInput("field_values", "must be an object of field names and values")
            self.field_values = {**self.field_values, **change.field_values}
        self._check_resolution()

    def _check_resolution(self) -> None:
        finished = self.status in _FINISHED
        if finished and self.resolution is None:
            raise InvalidInput("resolution", "is required when the status is Resolved or Closed")
        if not finished and self.resolution is not None:
            raise InvalidInput("resolution", "is given only when the status is Resolved or Closed")
