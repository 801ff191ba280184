"""Request bodies of the Connect test-case operations, typed as the service model types them.

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
    "ClientTokenInput",
    "CreateContactFlowInput",
    "CreateHoursOfOperationInput",
    "CreateQueueInput",
    "CreateTestCaseInput",
    "SearchTestCasesInput",
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


def parse(model: type[Wire], body: bytes) -> Any:
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
