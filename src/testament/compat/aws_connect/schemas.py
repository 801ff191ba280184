"""The Connect operations' wire: each one's input (its body) and output, typed as the service
model types them.

Names are AWS's own (PascalCase). Unknown members are ignored, as AWS's JSON protocol does.
The model's constraints are checked before a body is parsed (model_check.py); nothing here may
add a limit the model does not have (a name's or a description's length is the model's, or
Testament's own storage limit, which the core states).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from testament.compat.aws_connect.errors import AwsError
from testament.domain.content.connect import TestCaseEntryPoint

__all__ = [
    "AwsErrorBody",
    "ClientTokenInput",
    "CreateContactFlowInput",
    "CreateHoursOfOperationInput",
    "CreateQueueInput",
    "CreateTestCaseInput",
    "EmptyOutput",
    "SearchTestCasesInput",
    "StartTestCaseExecutionInput",
    "StopTestCaseExecutionInput",
    "TagConditionWire",
    "TestCaseSearchCriteria",
    "UpdateContactFlowContentInput",
    "UpdateTestCaseInput",
    "parse",
]

StatusName = Literal["PUBLISHED", "SAVED"]
TagMap = dict[str, str]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CreateTestCaseInput(Wire):
    Name: str
    Description: str | None = None
    Content: str
    EntryPoint: TestCaseEntryPoint | None = None
    InitializationData: str | None = None
    Status: StatusName | None = None
    Tags: TagMap | None = Field(default=None, min_length=1, max_length=50)


class UpdateTestCaseInput(Wire):
    Name: str | None = None
    Description: str | None = None
    Content: str | None = None
    EntryPoint: TestCaseEntryPoint | None = None
    InitializationData: str | None = None
    Status: StatusName | None = None


class TagConditionWire(Wire):
    TagKey: str | None = None
    TagValue: str | None = None


class TagFilterWire(Wire):
    OrConditions: list[list[TagConditionWire]] | None = None
    AndConditions: list[TagConditionWire] | None = None
    TagCondition: TagConditionWire | None = None


class SearchFilterWire(Wire):
    TagFilter: TagFilterWire | None = None


class StringConditionWire(Wire):
    FieldName: str | None = None
    Value: str | None = None
    ComparisonType: Literal["STARTS_WITH", "CONTAINS", "EXACT"] | None = None


class TestCaseSearchCriteria(Wire):
    __test__ = False
    OrConditions: list["TestCaseSearchCriteria"] | None = None
    AndConditions: list["TestCaseSearchCriteria"] | None = None
    StringCondition: StringConditionWire | None = None
    StatusCondition: StatusName | None = None


class SearchTestCasesInput(Wire):
    InstanceId: str = Field(min_length=1, max_length=250)
    NextToken: str | None = Field(default=None, min_length=1, max_length=2500)
    MaxResults: int = Field(default=100, ge=1, le=100)
    SearchFilter: SearchFilterWire | None = None
    SearchCriteria: TestCaseSearchCriteria | None = None


def parse(model: type[BaseModel], body: bytes) -> Any:
    """Parse a JSON body into `model`, or raise AwsError InvalidParameterException naming the member."""
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        count = len(exc.errors())
        raise AwsError(
            "InvalidParameterException",
            f"{count} validation error{'s' if count > 1 else ''} detected: {where}: {first['msg']}",
        ) from None


FlowType = Literal[
    "CONTACT_FLOW",
    "CUSTOMER_QUEUE",
    "CUSTOMER_HOLD",
    "CUSTOMER_WHISPER",
    "AGENT_HOLD",
    "AGENT_WHISPER",
    "OUTBOUND_WHISPER",
    "AGENT_TRANSFER",
    "QUEUE_TRANSFER",
    "CAMPAIGN",
]


class CreateContactFlowInput(Wire):
    Name: str
    Type: FlowType
    Description: str | None = None
    Content: str
    Status: StatusName | None = None
    Tags: TagMap | None = Field(default=None, min_length=1, max_length=50)


class UpdateContactFlowContentInput(Wire):
    Content: str


class OutboundCallerConfigWire(Wire):
    OutboundCallerIdName: str | None = Field(default=None, min_length=1, max_length=255)
    OutboundCallerIdNumberId: str | None = None
    OutboundFlowId: str | None = Field(default=None, max_length=500)


class CreateQueueInput(Wire):
    Name: str = Field(min_length=1, max_length=127)
    Description: str | None = Field(default=None, min_length=1, max_length=250)
    OutboundCallerConfig: OutboundCallerConfigWire | None = None
    HoursOfOperationId: str
    MaxContacts: int | None = Field(default=None, ge=0)
    QuickConnectIds: list[str] | None = Field(default=None, min_length=1, max_length=50)
    Tags: TagMap | None = Field(default=None, min_length=1, max_length=50)


class HourMinute(Wire):
    Hours: int = Field(ge=0, le=23)
    Minutes: int = Field(ge=0, le=59)


class HoursConfig(Wire):
    Day: Literal["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
    StartTime: HourMinute
    EndTime: HourMinute


class CreateHoursOfOperationInput(Wire):
    Name: str = Field(min_length=1, max_length=127)
    Description: str | None = Field(default=None, min_length=1, max_length=250)
    TimeZone: str = Field(min_length=1)
    # not `Config`: pydantic would take a member of that name for its old-style settings class
    config: list[HoursConfig] = Field(alias="Config", max_length=100)
    Tags: TagMap | None = Field(default=None, min_length=1, max_length=50)


class ClientTokenInput(Wire):
    ClientToken: str | None = Field(default=None, max_length=500)


class StartTestCaseExecutionInput(ClientTokenInput):
    """StartTestCaseExecution: a ClientToken makes a retried start the same execution."""


class StopTestCaseExecutionInput(ClientTokenInput):
    pass


# ------------------------------------------------------------------ outputs
# Times are epoch seconds (numbers); a member AWS leaves out when it has no value is optional.


class Output(BaseModel):
    model_config = ConfigDict(extra="allow")  # a stored resource's own members are echoed


class CreateTestCaseOutput(Output):
    TestCaseId: str
    TestCaseArn: str


class TestCaseSummaryWire(Output):
    __test__ = False
    Id: str
    Arn: str
    Name: str
    Status: StatusName
    LastModifiedTime: float
    LastModifiedRegion: str


class TestCaseWire(TestCaseSummaryWire):
    __test__ = False
    Content: str
    Description: str | None = None
    TestCaseSha256: str
    EntryPoint: dict[str, Any] | None = None
    InitializationData: str | None = None
    Tags: TagMap | None = None


class DescribeTestCaseOutput(Output):
    TestCase: TestCaseWire


class ListTestCasesOutput(Output):
    TestCaseSummaryList: list[TestCaseSummaryWire]
    NextToken: str | None = None


class SearchTestCasesOutput(Output):
    TestCases: list[TestCaseWire]
    ApproximateTotalCount: int
    NextToken: str | None = None


ExecutionStatusName = Literal["INITIATED", "IN_PROGRESS", "PASSED", "FAILED", "STOPPED"]


class StartTestCaseExecutionOutput(Output):
    TestCaseExecutionId: str
    TestCaseId: str
    Status: ExecutionStatusName


class ObservationSummaryWire(Output):
    TotalObservations: int
    ObservationsPassed: int
    ObservationsFailed: int


class GetTestCaseExecutionSummaryOutput(Output):
    Status: ExecutionStatusName
    ObservationSummary: ObservationSummaryWire
    StartTime: float | None = None
    EndTime: float | None = None


class TestCaseExecutionWire(Output):
    __test__ = False
    TestCaseExecutionId: str
    TestCaseId: str
    TestCaseExecutionStatus: ExecutionStatusName
    StartTime: float | None = None
    EndTime: float | None = None
    Tags: TagMap | None = None


class ListTestCaseExecutionsOutput(Output):
    TestCaseExecutions: list[TestCaseExecutionWire]
    NextToken: str | None = None


class ExecutionRecordWire(Output):
    ObservationId: str
    Status: str
    Timestamp: float
    Record: str = Field(description="The observation's record, as a JSON text")


class ListTestCaseExecutionRecordsOutput(Output):
    ExecutionRecords: list[ExecutionRecordWire]
    NextToken: str | None = None


class CreateContactFlowOutput(Output):
    ContactFlowId: str
    ContactFlowArn: str
    FlowContentSha256: str


# A resource's stored members are echoed as stored: one made through the native resources API
# is not checked against AWS's enums, so an answer's types stay open where a request's are not.


class ContactFlowWire(Output):
    Arn: str
    Id: str
    Name: str
    Type: str = Field(description="A FlowType: CONTACT_FLOW, CUSTOMER_QUEUE, ...")
    State: str
    Status: str = Field(description="PUBLISHED or SAVED")
    Description: str | None = None
    Content: str
    FlowContentSha256: str
    Version: int
    LastModifiedTime: float
    LastModifiedRegion: str
    Tags: TagMap | None = None


class DescribeContactFlowOutput(Output):
    ContactFlow: ContactFlowWire


class ContactFlowSummaryWire(Output):
    Id: str
    Arn: str
    Name: str
    ContactFlowType: str
    ContactFlowState: str
    ContactFlowStatus: str


class ListContactFlowsOutput(Output):
    ContactFlowSummaryList: list[ContactFlowSummaryWire]
    NextToken: str | None = None


class CreateQueueOutput(Output):
    QueueId: str
    QueueArn: str


class QueueWire(Output):
    """A queue as described: its stored members (OutboundCallerConfig, MaxContacts, ...) too."""

    Name: str
    QueueArn: str
    QueueId: str
    Description: str | None = None
    HoursOfOperationId: str | None = None
    Status: str
    LastModifiedTime: float
    LastModifiedRegion: str
    Tags: TagMap | None = None


class DescribeQueueOutput(Output):
    Queue: QueueWire


class QueueSummaryWire(Output):
    Id: str
    Arn: str
    Name: str
    QueueType: str
    LastModifiedTime: float
    LastModifiedRegion: str


class ListQueuesOutput(Output):
    QueueSummaryList: list[QueueSummaryWire]
    NextToken: str | None = None


class CreateHoursOfOperationOutput(Output):
    HoursOfOperationId: str
    HoursOfOperationArn: str


class HoursOfOperationWire(Output):
    HoursOfOperationId: str
    HoursOfOperationArn: str
    Name: str
    Description: str | None = None
    TimeZone: str
    config: list[Any] = Field(alias="Config", description="HoursConfig: {Day, StartTime, EndTime}")
    LastModifiedTime: float
    LastModifiedRegion: str
    Tags: TagMap | None = None


class DescribeHoursOfOperationOutput(Output):
    HoursOfOperation: HoursOfOperationWire


class HoursOfOperationSummaryWire(Output):
    Id: str
    Arn: str
    Name: str
    LastModifiedTime: float
    LastModifiedRegion: str


class ListHoursOfOperationsOutput(Output):
    HoursOfOperationSummaryList: list[HoursOfOperationSummaryWire]
    NextToken: str | None = None


class EmptyOutput(Output):
    """The output of an operation that answers no members: `{}`."""


class AwsErrorBody(BaseModel):
    """Every error: its type is the `x-amzn-ErrorType` header; `Problems` lists an invalid test
    case's problems."""

    Message: str
    message: str
    Reason: str | None = None
    Problems: list[dict[str, str]] | None = None
