"""TestInvite's wire: what its integration API accepts and answers, in the vendor's names.

Times are epoch seconds in answers and epoch milliseconds in a filter's `from`/`to`. An answer
has the members of its `basic` mode; `detailed` adds the optional ones. A body's members are
checked here, each with the rule the surface states when it is broken (`rule`); what needs the
workspace (a callback's URL, a label's length) is checked by the core. Unknown members are
ignored.
"""

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    WithJsonSchema,
)

from testament.compat.wire import rule, shaped

__all__ = [
    "CallbackInput",
    "CandidateChanges",
    "CandidateFieldsInput",
    "CandidateInput",
    "CandidateList",
    "CandidateWire",
    "FilterAnswer",
    "InfoFilter",
    "InstanceFilterInput",
    "InstanceList",
    "InstanceUpdate",
    "MetaFilter",
    "TaskList",
    "TaskWire",
    "TestInstanceWire",
    "TiErrorBody",
]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


Text = Annotated[str | None, rule("must be a text")]


# ------------------------------------------------------------------ requests


class CallbackInput(Wire):
    """Where each completed test instance of the candidate is posted, and what it carries."""

    url: str
    params: dict[str, Any] | None = None
    resource: Literal["basic", "detailed"] = "basic"


class Tracking(Wire):
    uniqId: str | None = None


class CandidateInput(Wire):
    """`POST /tasks/{taskId}/candidates`: a `temporary-candidate` (tracked by `externalId` or
    `tracking.uniqId`) or an `internal-candidate` (`id` is the user's name)."""

    kind: Annotated[
        Literal["temporary-candidate", "internal-candidate"] | None,
        rule("must be 'temporary-candidate' or 'internal-candidate'"),
    ] = None
    id: Text = None
    externalId: Text = None
    tracking: Tracking | None = None
    fullname: Text = None
    email: Text = None
    group: Text = None
    labels: list[str] | None = None
    tags: dict[str, Any] | None = None
    callback: Annotated[
        CallbackInput | None,
        shaped("must be an object with a url (and optionally params and resource)", dict),
    ] = None


class LabelsChange(Wire):
    add: list[str] | None = None
    remove: list[str] | None = None


class CandidateFieldsInput(Wire):
    """The members to change; one left out keeps its value, one sent as null clears it."""

    fullname: Text = None
    email: Text = None
    group: Text = None
    active: bool | None = None
    labels: Annotated[LabelsChange | None, shaped("must be {add: [...], remove: [...]}", dict)] = None


class CandidateChanges(Wire):
    """`PATCH /tasks/{taskId}/candidates/{candidateId}`."""

    fields: Annotated[CandidateFieldsInput | None, shaped("must be an object", dict)] = None


def _epoch_ms(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    if not math.isfinite(value) or value < 0:
        raise ValueError("not a time")
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError("not a time") from None


# a time in epoch milliseconds on the wire, a UTC datetime once read
EpochMs = Annotated[
    datetime | None,
    PlainValidator(_epoch_ms),
    rule("must be a time in epoch milliseconds"),
    WithJsonSchema({"type": ["number", "null"], "description": "epoch milliseconds"}),
]


class MetaFilter(Wire):
    """Instances by where they are: group, label, step, status, created between `from` and `to`."""

    kind: Literal["meta"]
    group: Text = None
    label: Text = None
    stepId: Text = None
    status: Annotated[
        Literal["STARTED", "COMPLETE", "RESETUP"] | None, rule("must be STARTED, COMPLETE or RESETUP")
    ] = None
    created_from: EpochMs = Field(default=None, alias="from")
    created_to: EpochMs = Field(default=None, alias="to")


class InfoFilter(Wire):
    """Instances by who took them."""

    kind: Literal["info"]
    displayName: Text = None
    email: Text = None
    code: Text = None
    credential1: Text = None
    uniqId: Text = None


InstanceFilterInput = Annotated[
    MetaFilter | InfoFilter,
    Field(discriminator="kind"),
]


class InstanceUpdate(Wire):
    """`PATCH /tasks/{taskId}/test-instances/{id}`: exclude the instance from reports, or not."""

    ignored: Annotated[StrictBool, rule("must be true or false")]


# ------------------------------------------------------------------ answers


class StepTest(Wire):
    testId: str | None
    organizationId: str
    source: str


class StepWire(Wire):
    id: str
    title: str
    active: bool
    activeBefore: int | None
    activeAfter: int | None
    attemptLimit: int | None
    test: StepTest
    webcamRecording: str
    screenRecording: str
    fullscreen: bool
    postAiProctoring: bool
    practiceMode: bool


class TaskWire(Wire):
    taskId: str
    title: str
    createdAt: int | None
    organizationId: str | None = None
    favorite: bool | None = None
    folder: str | None = None
    labels: list[str] | None = None
    tags: dict[str, Any] | None = None
    lang: str | None = None
    accessMethod: str | None = None
    active: bool | None = None
    activeAfter: int | None = None
    activeBefore: int | None = None
    steps: list[StepWire] | None = None
    programs: list[Any] | None = None
    stages: list[Any] | None = None
    emailTemplates: list[Any] | None = None
    privateChatEnabled: bool | None = None


class CandidateWire(Wire):
    candidateId: str
    kind: str
    taskId: str
    loggedIn: bool
    fullname: str | None
    email: str | None
    invitationCode: str | None
    directAccessUrl: str | None
    organizationId: str | None = None
    source: str | None = None
    active: bool | None = None
    activeAfter: int | None = None
    activeBefore: int | None = None
    group: str | None = None
    tags: dict[str, Any] | None = None
    labels: list[str] | None = None
    rating: Any = None
    stage: Any = None
    externalId: str | None = None
    ticketId: str | None = None


class Scoreboard(Wire):
    model_config = ConfigDict(extra="allow")
    pointsAchieved: int | float
    maxAchievablePoints: int | float
    achievementRatio: int | float


class SectionResult(Wire):
    uuid: str
    scoreboard: dict[str, Any]


class InstanceResult(Wire):
    completedAt: int | None
    scoreboard: Scoreboard
    sections: list[SectionResult] | None = None
    dimensions: Any = None
    effects: Any = None


class CandidateRef(Wire):
    id: str
    kind: str


class TestInstanceWire(Wire):
    """A test instance; `result` is false until it is complete."""

    __test__ = False
    testInstanceId: str
    taskId: str
    stepId: str
    ticketId: str | None
    status: Literal["STARTED", "COMPLETE", "RESETUP"]
    ignored: bool
    organizationId: str | None = None
    candidate: CandidateRef | None = None
    folder: str | None = None
    group: str | None = None
    labels: list[str] | None = None
    tags: dict[str, Any] | None = None
    result: InstanceResult | Literal[False]


class Pagination(Wire):
    """Page-based; `next` and `previous` are query strings that keep the mode and filters."""

    totalItems: int
    totalPages: int
    currentPage: int
    limit: int
    next: str | None
    previous: str | None


class CursorPagination(Wire):
    """Cursor-based: `next` continues after `lastDocId`."""

    limit: int
    lastDocId: str | None
    next: str | None


class TaskList(Wire):
    tasks: list[TaskWire]
    pagination: Pagination


class CandidateList(Wire):
    candidates: list[CandidateWire]
    pagination: Pagination


class InstanceList(Wire):
    testInstances: list[TestInstanceWire]
    pagination: Pagination


class FilterAnswer(Wire):
    testInstances: list[TestInstanceWire]
    pagination: CursorPagination


class ErrorWire(Wire):
    code: str = Field(description="invalid, unauthorized, forbidden, not-found, conflict, rate-limited, ...")
    message: str


class TiErrorBody(Wire):
    error: ErrorWire
