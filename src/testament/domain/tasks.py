"""Tasks, candidates and test instances: tests given to people or machines, and scored.

A task (title, folder, labels, tags, an active window) has steps, each naming a test case
or a plan. A candidate (kind `user` or `temp`, an external id, group, labels, tags) is
given the task and holds a ticket. When a candidate starts a step, a test instance is made:
an execution of the step's test case (or a run of its plan).

    STARTED --(its executions end)--> COMPLETE --(an admin reopens it)--> RESETUP
       ^                                                                     |
       +-------------------(the candidate starts the step again)-------------+

A candidate has at most one open (STARTED or RESETUP) instance per step: starting the step
again returns it, or resumes a RESETUP one with a new execution. A retake (starting a step
whose instance is COMPLETE, within the step's attempt limit) makes a new instance and marks
the earlier ones `ignored`: excluded from reports, superseded by the retake.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from testament.domain.errors import Conflict, Forbidden, InvalidInput

__all__ = [
    "Candidate",
    "CandidateKind",
    "InstanceStatus",
    "Task",
    "TaskStep",
    "TestInstance",
    "check_labels",
    "check_tags",
]

UNLIMITED = -1


class CandidateKind(StrEnum):
    USER = "user"  # a person with an account (a key's user name)
    TEMP = "temp"  # anyone else: a machine, an outside tester


class InstanceStatus(StrEnum):
    STARTED = "STARTED"
    COMPLETE = "COMPLETE"
    RESETUP = "RESETUP"


@dataclass(eq=False)
class Task:
    id: str
    workspace_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    folder: str = ""
    labels: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    active: bool = True
    active_after: datetime | None = None
    active_before: datetime | None = None

    def require_open(self, now: datetime) -> None:
        """A step can be started only while the task is active and inside its window."""
        if not self.active:
            raise Forbidden(f"task {self.title!r} is not active")
        if self.active_after is not None and now < self.active_after:
            raise Forbidden(f"task {self.title!r} opens at {self.active_after.isoformat()}")
        if self.active_before is not None and now >= self.active_before:
            raise Forbidden(f"task {self.title!r} closed at {self.active_before.isoformat()}")


@dataclass(eq=False)
class TaskStep:
    id: str
    task_id: str
    position: int
    title: str
    test_case_id: str | None = None
    plan_id: str | None = None
    active: bool = True
    attempt_limit: int = 1  # instances a candidate may make of this step; -1: no limit


@dataclass(eq=False)
class Candidate:
    id: str
    workspace_id: str
    task_id: str
    kind: CandidateKind
    ticket_id: str
    invitation_code: str
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None  # the client's own id for the candidate
    user_name: str | None = None  # a `user` candidate's user (the name their keys act as)
    fullname: str | None = None
    email: str | None = None
    group: str = ""
    labels: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    active: bool = True
    callback_url: str | None = None
    callback_params: dict[str, Any] = field(default_factory=dict)
    callback_resource: str = "basic"  # basic | detailed
    created_by: str = ""


@dataclass(eq=False)
class TestInstance:
    id: str
    workspace_id: str
    task_id: str
    step_id: str
    candidate_id: str
    status: InstanceStatus
    created_at: datetime
    batch_id: str  # the executions its current start made (one, one per data set, or a plan run's)
    attempt: int = 1  # executions so far: a RESETUP instance resumes with a new one
    ignored: bool = False
    completed_at: datetime | None = None
    scoreboard: dict[str, Any] | None = None  # sealed at completion

    __test__ = False  # not a pytest class, whatever its name

    @property
    def open(self) -> bool:
        return self.status != InstanceStatus.COMPLETE

    def complete(self, scoreboard: dict[str, Any], now: datetime) -> None:
        self.status = InstanceStatus.COMPLETE
        self.scoreboard = scoreboard
        self.completed_at = now

    def resetup(self) -> None:
        """An admin reopens a finished instance for another attempt."""
        if self.status != InstanceStatus.COMPLETE:
            raise Conflict(
                f"test instance {self.id} is {self.status.value}; only a COMPLETE one can be re-set-up"
            )
        self.status = InstanceStatus.RESETUP

    def resume(self, batch_id: str) -> None:
        """The candidate starts the reopened instance again: new executions, the old kept."""
        self.status = InstanceStatus.STARTED
        self.batch_id = batch_id
        self.attempt += 1
        self.scoreboard = None
        self.completed_at = None


def check_labels(field_name: str, labels: Any) -> list[str]:
    if not isinstance(labels, list) or not all(isinstance(x, str) and 0 < len(x) <= 100 for x in labels):
        raise InvalidInput(field_name, "must be a list of labels (texts of 1 to 100 characters)")
    if len(labels) > 50:
        raise InvalidInput(field_name, "must have at most 50 labels")
    return list(dict.fromkeys(labels))


def check_tags(field_name: str, tags: Any) -> dict[str, str]:
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 100 and len(v) <= 500
        for k, v in tags.items()
    ):
        raise InvalidInput(field_name, "must be an object of text names to text values")
    if len(tags) > 50:
        raise InvalidInput(field_name, "must have at most 50 tags")
    return dict(tags)
