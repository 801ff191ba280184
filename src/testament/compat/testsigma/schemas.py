"""Testsigma's wire: what its plan-run API accepts and answers, in the vendor's camelCase names.

Ids are the vendor's integers. A body's members are checked here, each with the rule the
surface states when it is broken (`rule`); what needs the workspace (does the plan exist, is
the machine one of the plan's) is checked by the route. Unknown members are ignored, as the
vendor's Spring server ignores them.
"""

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from testament.compat.testsigma import translate
from testament.compat.wire import rule, shaped

__all__ = [
    "EnvironmentInput",
    "EnvironmentVariableInput",
    "EnvironmentVariableWire",
    "EnvironmentWire",
    "ExecutionConfigRef",
    "OverrideAnswer",
    "OverrideEntry",
    "Page",
    "PlanRunWire",
    "SavedExecutionConfigWire",
    "StopRunInput",
    "TestCaseResultRequest",
    "TestCaseResultsWire",
    "TestPlanWire",
    "TestsigmaErrorBody",
    "TriggerRunInput",
    "UploadVersionWire",
    "UploadWire",
]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


# an id of the vendor's: an integer, sent as a number or as its digits; "" is none
IntId = Annotated[int | None, BeforeValidator(_blank_is_none), rule("must be an integer id")]
RerunType = Literal[
    "ALL_TESTS",
    "ALL_ITERATIONS",
    "ONLY_FAILED_TESTS",
    "ONLY_FAILED_ITERATIONS",
    "ONLY_FAILED_ITERATIONS_IN_FAILED_TESTS",
    "USER_PICKED",
]
IterationRerunType = Literal["ALL", "FAILED", "PASSED", "USER_PICKED"]


# ------------------------------------------------------------------ requests


CONFIG_RULE = "must be {id} or {name} of a saved execution config"


class ExecutionConfigRef(Wire):
    """A saved execution configuration, by its id or its name."""

    id: int | None = None
    name: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _names_one(self) -> "ExecutionConfigRef":
        if self.id is None and self.name is None:
            raise PydanticCustomError("wire_rule", CONFIG_RULE)
        return self


def _empty_is_none(value: Any) -> Any:
    return None if value == {} else value


class TestCaseResultRequest(Wire):
    """One test case result of the run to rerun, and which of its iterations."""

    __test__ = False
    id: Annotated[int, rule("is required: a testCaseResultId of the run")]
    iterationReRunType: Annotated[
        IterationRerunType | None, rule(f"must be one of {', '.join(translate.ITERATION_RERUN_TYPES)}")
    ] = None
    iterationResultIds: Annotated[list[int] | None, rule("must be a list of iteration result ids")] = None


class TriggerRunInput(Wire):
    """`POST /execution_results`: run a test plan (`executionId`), or, with `isReRun`, run again
    part of a finished run (`executionResultId`, `reRunType`)."""

    executionId: IntId = None
    environmentId: IntId = None
    buildNo: Annotated[str | int | None, rule("must be a string")] = None
    runtimeData: Annotated[dict[str, Any] | None, rule("must be an object of runtime variables")] = None
    uploadVersions: Annotated[
        dict[str, int] | None,
        BeforeValidator(_empty_is_none),
        rule("must map a machine id to an upload version id"),
    ] = None
    executionConfig: Annotated[
        ExecutionConfigRef | None,
        BeforeValidator(_empty_is_none),
        shaped(CONFIG_RULE, dict),
    ] = None
    isReRun: bool = False
    executionResultId: IntId = None
    reRunType: Annotated[RerunType | None, rule(f"must be one of {', '.join(translate.RERUN_TYPES)}")] = None
    testCaseResultRequests: Annotated[
        list[TestCaseResultRequest] | None, shaped("must be a list of test case results", list)
    ] = None


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class StopRunInput(Wire):
    """`PUT /execution_results/{id}`: `{"result": "STOPPED"}` stops the run."""

    result: Annotated[
        Literal["STOPPED"], BeforeValidator(_upper), rule("only STOPPED is accepted: it stops the run")
    ]


class OverrideEntry(Wire):
    """One override of `PUT /execution_results/{id}/override`. Its members are checked one
    entry at a time: a wrong entry is reported in `errors` and the others still apply."""

    testCaseResultId: int | str | None = None
    result: str | None = None
    comment: str | None = None


class EnvironmentVariableInput(Wire):
    key: Annotated[str, rule("is required")]
    value: Any = None
    isEncrypted: bool = False


class EnvironmentInput(Wire):
    """An environment, in either of the vendor's shapes: `variables: [{key, value, isEncrypted}]`,
    or the older `parameters{}` with `passwords[]` naming the ones to encrypt."""

    name: Annotated[str | None, rule("is required")] = None
    variables: Annotated[
        list[EnvironmentVariableInput] | None, shaped("must be a list of {key, value}", list)
    ] = None
    parameters: Annotated[dict[str, Any] | None, rule("must be an object")] = None
    passwords: Annotated[list[str] | None, rule("must list names of parameters")] = None


# ------------------------------------------------------------------ answers


class TestDeviceWire(Wire):
    __test__ = False
    id: int
    title: str
    suiteIds: list[int]


class TestPlanWire(Wire):
    __test__ = False
    id: int
    name: str
    description: str | None
    applicationVersionId: int | None
    entityType: Literal["TEST_PLAN"]
    createdDate: int | None
    updatedDate: int | None
    testDevices: list[TestDeviceWire]
    executionDetails: dict[str, Any]


class PlanRunWire(Wire):
    """An `execution_results` object: a run of a test plan, its status, result and counts."""

    id: int
    execution: TestPlanWire | None
    executionId: int
    startTime: int | None
    endTime: int | None
    duration: int | None
    result: Literal["SUCCESS", "FAILURE", "ABORTED", "NOT_EXECUTED", "QUEUED", "STOPPED"]
    status: Literal["STATUS_CREATED", "STATUS_QUEUED", "STATUS_IN_PROGRESS", "STATUS_COMPLETED"]
    message: str
    executedBy: int
    buildNo: str | None
    environmentId: int | None
    totalCount: int
    passedCount: int
    failedCount: int
    abortedCount: int
    stoppedCount: int
    notExecutedCount: int
    preRequisiteFailedCount: int
    queuedCount: int
    totalRunningCount: int
    totalQueuedCount: int
    isVisuallyPassed: bool | None
    environment: Any
    childResult: Any
    reRunParentId: int | None
    reRunType: str | None
    triggeredType: str | None
    executionDetails: dict[str, Any]
    runtimeData: dict[str, Any] | None


class IterationResultWire(Wire):
    iterationResultId: int
    setName: str | None
    result: str


class TestCaseResultWire(Wire):
    __test__ = False
    testCaseId: int
    testCaseName: str
    testCaseResultId: int
    result: str
    isDataDrivenCase: bool
    iterationResults: list[IterationResultWire]
    testSuiteId: int | None
    testSuiteName: str | None
    testSuiteResultId: int
    machineId: int
    machineTitle: str
    machineResultId: int
    startTime: int | None
    endTime: int | None


class TestCaseResultsWire(Wire):
    """`GET /execution_results/{id}/test_case_results`: the run's result tree."""

    __test__ = False
    executionId: int
    executionResultId: int
    result: str
    status: str
    testCases: list[TestCaseResultWire]


class OverrideAnswer(Wire):
    errors: list[str]
    message: str


class EnvironmentVariableWire(Wire):
    id: int
    key: str
    value: Any
    isEncrypted: bool
    projectId: int | None
    isDefault: bool


class EnvironmentWire(Wire):
    id: int
    name: str
    description: str | None
    createdById: int | None
    updatedById: int | None
    createdDate: int | None
    updatedDate: int | None
    createdAtEpoch: int | None
    updatedAtEpoch: int | None
    variables: list[EnvironmentVariableWire]


class SavedExecutionConfigWire(Wire):
    id: int
    name: str
    testPlanId: int
    query: str = Field(description="The configuration's filters, as a JSON text")
    executionConfigType: str
    executionConfigCondition: str | None
    createdByUser: Any


class UploadWire(Wire):
    id: int
    name: str
    createdDate: int | None
    updatedDate: int | None


class UploadVersionWire(Wire):
    id: int
    uploadId: int
    name: str
    fileName: str | None
    fileSize: int | None
    checksum: str | None
    createdDate: int | None


class SortWire(Wire):
    sorted: bool
    unsorted: bool
    empty: bool


class PageableWire(Wire):
    sort: SortWire
    offset: int
    pageNumber: int
    pageSize: int
    paged: bool
    unpaged: bool


Item = TypeVar("Item")


class Page(Wire, Generic[Item]):
    """Spring's Page, as the vendor's list endpoints answer."""

    content: list[Item]
    totalElements: int
    totalPages: int
    last: bool
    first: bool
    number: int
    size: int
    numberOfElements: int
    sort: SortWire
    pageable: PageableWire
    empty: bool


class FieldErrorWire(Wire):
    field: str
    rejectedValue: Any
    message: str


class TestsigmaErrorBody(Wire):
    """Every error: `error` says what is wrong; `fieldErrors` names each refused member and its rule."""

    __test__ = False
    timeStamp: str
    error: str
    code: str | None
    fieldErrors: list[FieldErrorWire] | None
    objectErrors: Any
