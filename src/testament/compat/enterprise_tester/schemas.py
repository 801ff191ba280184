"""Enterprise Tester's wire: what its REST API accepts, in the vendor's PascalCase names.

A body's members are checked here with the rule the surface states when one is broken: a
text member that is not a string is refused as "Name must be a string, not an array"
(`Text`), never stored as its Python spelling. A member whose rule the core states (a run's
`FieldValues`, an incident's `Summary`, a user's `Email`) is taken as given and checked there,
so that its message is the core's, in the vendor's words; the document shows its type.
What needs the workspace (is `Id` a step result of this run, does the package exist) is
checked by the route. Unknown members are ignored, as the vendor's server ignores them.

Errors carry a type the surface's error translation reads (errors.invalid_body): `wire_rule`
is a member's rule, said after the member's path (`StepResults[0].Outcome must be …`);
`et_message` is a whole sentence, said as it is.
"""

from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from testament.compat.wire import rule, shaped

__all__ = [
    "INCIDENT_RULE",
    "OPERATION_RULE",
    "AssignmentChange",
    "AssignmentInput",
    "AttachmentWire",
    "CommentInput",
    "EtErrorBody",
    "ExecutionPackageChange",
    "ExecutionPackageInput",
    "ExecutionPackageWire",
    "FieldSetting",
    "IncidentCommentWire",
    "IncidentInput",
    "IncidentLinkInput",
    "IncidentWire",
    "NamedEntity",
    "NewIncidentInput",
    "Operation",
    "OperationUpdate",
    "PicklistWire",
    "ProjectInput",
    "ProjectWire",
    "QueryResults",
    "RelationshipWire",
    "RunStartInput",
    "RunUpdateInput",
    "ScriptAssignmentInput",
    "ScriptAssignmentWire",
    "ScriptChange",
    "ScriptInput",
    "ScriptPackageChange",
    "ScriptPackageInput",
    "ScriptPackageWire",
    "ScriptRunWire",
    "ScriptStepWire",
    "ScriptWire",
    "SetField",
    "Step",
    "StepResultAttachmentWire",
    "StepResultInput",
    "StepResultUpdate",
    "StepResultWire",
    "StepRunResultIncidentWire",
    "UserInput",
    "UserWire",
    "WidgetWire",
    "json_type",
]


def _sentence(message: str) -> PydanticCustomError:
    return PydanticCustomError("et_message", message)


class Wire(BaseModel):
    """A request body: a JSON object (anything else is refused as FastAPI refuses a non-object
    for an object body, so the answer is the same as before bodies were typed)."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise PydanticCustomError("dict_type", "Input should be a valid dictionary")
        return value


def json_type(value: Any) -> str:
    """A JSON value's kind, as a refusal names it ("an array")."""
    kinds = (
        (bool, "a boolean"),
        (int, "a number"),
        (float, "a number"),
        (list, "an array"),
        (dict, "an object"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "a value")


def _text(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise PydanticCustomError("wire_rule", f"must be a string, not {json_type(value)}")
    return value


def _falsy_is_none(value: Any) -> Any:
    """The vendor's `StepResults: null`, `[]` or `""` all mean none."""
    return value or None


def _lower_id(value: str | None) -> str | None:
    return value.lower() if value else None


# a text member; null (or left out) is none
Text = Annotated[str | None, BeforeValidator(_text)]


def _package_for(made: str) -> BeforeValidator:
    """The package what is `made` goes in: a string, and not left out (refused in the vendor's words)."""

    def check(value: Any) -> Any:
        if not _text(value):
            raise _sentence(f"You must specify a valid PackageId which the {made} can be added to.")
        return value

    return BeforeValidator(check)


ScriptsPackage = Annotated[str, _package_for("script")]
AssignmentsPackage = Annotated[str, _package_for("assignment")]
# an id the core looks up (a package the body is put in, a project): refused unless a string
PackageRef = Annotated[str | None, rule("must be the id of a package"), AfterValidator(_lower_id)]


def _project_ref(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise _sentence("You must specify a valid ProjectId")
    return value


ProjectRef = Annotated[str | None, BeforeValidator(_project_ref), AfterValidator(_lower_id)]


def core_checks(json_schema_type: str) -> WithJsonSchema:
    """A member taken as given: the core checks it and names it in its refusal."""
    return WithJsonSchema({"type": json_schema_type})


AnyObject = Annotated[Any, core_checks("object")]
AnyText = Annotated[Any, core_checks("string")]


# ------------------------------------------------------------------ script runs


class StepResultInput(Wire):
    """One step result of `PUT scriptrun/{id}`, by the `Id` the run's `StepResults` show."""

    Id: Annotated[str, rule("must be the id of a step result of this run")]
    Outcome: Text = None  # Passed, Failed, Blocked, Undetermined, NotRun (none: NotRun)
    ActualResult: Text = None
    Notes: Text = None

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        """An item without an `Id` (or not an object) names no step result: its `Id` is refused
        before anything else about it."""
        return {"Id": None, **value} if isinstance(value, dict) else {"Id": None}


class RunStartInput(Wire):
    """`POST scriptassignment/{id}/runs` (a body may be left out): who runs it, and the run's
    first custom and widget values."""

    FieldValues: AnyObject = None
    WidgetValues: AnyObject = None
    TesterId: Annotated[Any, core_checks("string")] = None  # a user's Id; none: the caller


class RunUpdateInput(Wire):
    """`PUT scriptrun/{id}`: step outcomes, the run's fields and, with `AttemptToComplete`,
    completion: one change, all or nothing."""

    StepResults: Annotated[
        list[StepResultInput] | None,
        shaped("must be a list of step results", list),
        BeforeValidator(_falsy_is_none),  # (the last runs first)
    ] = None
    ActualDuration: AnyText = None
    FieldValues: AnyObject = None
    WidgetValues: AnyObject = None
    AttemptToComplete: Annotated[bool, BeforeValidator(bool)] = False  # any true JSON value


class StepResultUpdate(Wire):
    """`PUT stepresult/{id}`: one step's outcome (none: unchanged), actual result and notes."""

    Outcome: Text = None
    ActualResult: Text = None
    Notes: Text = None


# ------------------------------------------------------------------ projects, packages, scripts


class ProjectInput(Wire):
    """`POST projects` and `PUT project/{id}`."""

    Name: Text = None


class ScriptPackageChange(Wire):
    """`PUT scriptpackage/{id}`: what is given changes (`ParentId` null: to the top level)."""

    Name: Text = None
    Description: Text = None
    ParentId: PackageRef = None


class ScriptPackageInput(ScriptPackageChange):
    """`POST scriptpackages`: at the top level or inside `ParentId`, in `ProjectId`."""

    ProjectId: ProjectRef = None


class ExecutionPackageInput(Wire):
    """`POST executionpackages`."""

    Name: Text = None
    ParentId: PackageRef = None
    ProjectId: ProjectRef = None


class ExecutionPackageChange(Wire):
    """`PUT executionpackage/{id}`: rename (`Name`) or move (`ParentId`; null: to the top)."""

    Name: Text = None
    ParentId: Text = None


class Step(BaseModel):
    """One step of a script, as `Steps` gives it (the core checks `Steps`, a description each)."""

    Description: str = ""
    Data: str | None = None
    ExpectedResult: str | None = None
    Notes: str | None = None
    OrderNumber: int | None = None


StepList = Annotated[Any, WithJsonSchema({"type": "array", "items": Step.model_json_schema()})]


class ScriptInput(Wire):
    """`POST scripts`: a script in the script package `PackageId`, published at once."""

    PackageId: ScriptsPackage = Field(default=None, validate_default=True)  # left out: refused by its rule
    Name: Text = None
    Description: Text = None
    Steps: StepList = None


class ScriptChange(Wire):
    """`PUT script/{id}`: changing `Steps` makes a new script version."""

    Name: Text = None
    Description: Text = None
    Steps: StepList = None


class AssignmentInput(Wire):
    """`POST scriptassignments`: assign `ScriptId` in the execution package `PackageId` (to
    `AssignedToId`, else the caller)."""

    PackageId: AssignmentsPackage = Field(
        default=None, validate_default=True
    )  # left out: refused by its rule
    ScriptId: Text = None
    AssignedToId: Annotated[Any, core_checks("string")] = None


class ScriptAssignmentInput(Wire):
    """`POST script/{id}/assignments`."""

    PackageId: AssignmentsPackage = Field(
        default=None, validate_default=True
    )  # left out: refused by its rule
    AssignedToId: Text = None


class AssignmentChange(Wire):
    """`PUT scriptassignment/{id}`: give it to another user or move it."""

    AssignedToId: Text = None
    PackageId: Text = None


# ------------------------------------------------------------------ users


class UserInput(Wire):
    """`POST users` (`UserName` and `Email` required) and `PUT user/{id}` (what is given
    changes; the UserName does not). The core checks each and names it in its refusal."""

    UserName: AnyText = None
    DisplayName: AnyText = None  # none: FirstName and LastName together
    FirstName: AnyText = None
    LastName: AnyText = None
    Email: AnyText = None
    Enabled: Annotated[Any, core_checks("boolean")] = None


# ------------------------------------------------------------------ incidents


INCIDENT_RULE = "The body must be a CreateOrUpdateIncident object"


class CommentInput(BaseModel):
    """An incident's comment: one without an `Id` is new (its `Body` is checked by the core)."""

    model_config = ConfigDict(extra="ignore")
    Id: Any = None
    Body: AnyText = None

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise PydanticCustomError("wire_rule", "must be a comment object with a Body")
        return value


class IncidentInput(BaseModel):
    """`PUT incident/{id}` (the vendor's CreateOrUpdateIncident): members left out keep their
    values. Picklist members take a value's `Id` or its text."""

    model_config = ConfigDict(extra="ignore")
    Comments: Annotated[
        list[CommentInput] | None, shaped("must be a list of comments", list), BeforeValidator(_falsy_is_none)
    ] = None
    Summary: AnyText = None
    Description: AnyText = None
    TypeId: AnyText = None
    PriorityId: AnyText = None
    StatusId: AnyText = None
    ResolutionId: AnyText = None
    AssignedToId: AnyText = None
    FieldValues: AnyObject = None

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise _sentence(INCIDENT_RULE)
        return value


class NewIncidentInput(IncidentInput):
    """`POST incidents`: an incident (`Summary` required), in `ProjectId` or the default project."""

    ProjectId: Annotated[str | None, rule("must be the Id of a project")] = None


class IncidentLinkInput(BaseModel):
    """`POST stepresult/{id}/incidents`: link the incident `IncidentId`."""

    model_config = ConfigDict(extra="ignore")
    IncidentId: Annotated[str | None, rule("must be the Id of an incident")] = None

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}  # names no incident: refused so by the route


# ------------------------------------------------------------------ custom fields (PATCH)


OPERATION_RULE = 'The body must be an Operation: {"update": {"customFields": [{"set": {...}}]}}'


def _names_a_field(value: Any) -> Any:
    name = value.get("name") if isinstance(value, dict) else None
    if not isinstance(name, str) or not name:
        raise PydanticCustomError("wire_rule", "must name the field it sets (name)")
    return value


class FieldSetting(BaseModel):
    """A custom field's `name` and the `value` it is set to (a picklist value's: its `text`)."""

    model_config = ConfigDict(extra="ignore")
    name: str
    value: Any = None
    text: Any = None


class SetField(BaseModel):
    """One `{"set": {...}}` of an update."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    set_: Annotated[FieldSetting, BeforeValidator(_names_a_field)] = Field(alias="set")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        return {**value, "set": value.get("set")} if isinstance(value, dict) else {"set": None}


FieldSets = Annotated[list[SetField] | None, shaped("must be a list", list), BeforeValidator(_falsy_is_none)]


class OperationUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    customFields: FieldSets = None
    pickListValues: FieldSets = None


class Operation(BaseModel):
    """The vendor's PATCH body: `{"update": {"customFields": [{"set": {"name", "value"}}],
    "pickListValues": [{"set": {"name", "text"}}]}}`."""

    model_config = ConfigDict(extra="ignore")
    update: OperationUpdate

    @model_validator(mode="before")
    @classmethod
    def _an_operation(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("update"), dict):
            raise _sentence(OPERATION_RULE)
        return value


# ------------------------------------------------------------------ answers
#
# What the surface answers, member for member: ids are GUIDs, times ISO-8601 `Z` (`CreatedAt`),
# `Self` links back here and `Expands` names what `$expand` could still inline. A member an
# `$expand` inlines is left out unless asked for.


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


T = TypeVar("T")


class QueryResults(Answer, Generic[T]):
    """A collection: `Items`; with `$inlinecount=allpages` also `Skip`, `Top` and `Total`."""

    Skip: int | None = None
    Top: int | None = None
    Total: int | None = None
    Items: list[T]


class NamedEntity(Answer):
    Id: str
    Name: str


class PicklistWire(Answer):
    """A picklist value (an incident's Type, Priority, Status or Resolution)."""

    Id: str
    Text: str
    SortOrder: int
    IsEnable: bool


class WidgetWire(Answer):
    """A run's widget (the vendor's AbstractWidget) with the value the tester gave it."""

    Name: str
    Label: str
    Value: Any = None


class StepResultAttachmentWire(Answer):
    Id: str
    StepResultId: str
    Name: str
    FileName: str
    ContentType: str
    CreatedAt: str | None
    CreatedById: str | None  # attachments of step results do not record who uploaded them
    Size: int
    Self: str


class AttachmentWire(Answer):
    """A script's (`ScriptId`) or an incident's (`IncidentId`) attachment."""

    Id: str
    ScriptId: str | None = None
    IncidentId: str | None = None
    Name: str
    FileName: str
    ContentType: str
    CreatedAt: str | None
    CreatedById: str | None
    Size: int
    SourceId: str | None
    Self: str


class StepRunResultIncidentWire(Answer):
    """A step result's link to an incident."""

    StepResultId: str
    IncidentId: str
    Self: str


class StepResultWire(Answer):
    RunId: str
    Id: str
    Description: str | None
    Data: str | None
    Notes: str | None
    ExpectedResult: str | None
    ActualResult: str | None
    Outcome: str
    HasIncidents: bool
    HasAttachments: bool
    Expands: list[str]
    Self: str
    Run: "ScriptRunWire | None" = None
    Attachments: list[StepResultAttachmentWire] | None = None
    Incidents: list[StepRunResultIncidentWire] | None = None


class ScriptRunWire(Answer):
    Id: str
    ActualDuration: str | None
    ScriptId: str | None
    ScriptVersion: int | None
    AssignmentId: str | None
    CreatedAt: str | None
    LastUpdatedAt: str | None
    CreatedById: str | None
    CreatedBy: str | None
    RunById: str | None
    RunBy: str | None
    LastUpdatedById: str | None
    LastUpdatedBy: str | None
    Status: str
    Completed: bool
    Expands: list[str]
    Self: str
    StepResults: list[StepResultWire] | None = None
    Assignment: "ScriptAssignmentWire | None" = None
    Widgets: list[WidgetWire] | None = None
    FieldValues: dict[str, Any] | None = None


class ExecutionPackageWire(Answer):
    Id: str
    ParentId: str | None
    ProjectId: str | None
    Name: str
    Stereotype: str | None
    OrderNumber: int
    Expands: list[str]
    Self: str


class ScriptPackageWire(Answer):
    Id: str
    ParentId: str | None
    ProjectId: str | None
    Name: str
    Description: str | None
    OrderNumber: int
    CreatedAt: str | None
    LastUpdatedAt: str | None
    Expands: list[str]
    Self: str
    Parent: "ScriptPackageWire | None" = None
    Children: "list[ScriptPackageWire] | None" = None


class ScriptStepWire(Answer):
    """A step of a script (the vendor's Step)."""

    Description: str
    ExpectedResult: str | None
    Notes: str | None
    Data: str | None
    OrderNumber: int


class ScriptWire(Answer):
    Id: str
    Name: str
    Description: str | None
    PackageId: str | None
    PackageName: str | None
    ProjectId: str
    ProjectName: str
    VersionNumber: int | None
    FieldValues: dict[str, Any]
    AssignedTo: str | None
    AssignedToId: str | None
    PriorityId: str | None
    StatusId: str | None
    TypeId: str | None
    CreatedById: str | None
    CreatedBy: str | None
    LastUpdatedById: str | None
    LastUpdatedBy: str | None
    Objective: str | None
    PreCondition: str | None
    PostCondition: str | None
    EstimatedDuration: str | None
    OrderNumber: int
    ChangeComment: str | None
    Notes: str | None
    HasAttachments: bool
    CreatedAt: str | None
    LastUpdatedAt: str | None
    Expands: list[str]
    Self: str
    Steps: list[ScriptStepWire] | None = None


class ScriptAssignmentWire(Answer):
    Id: str
    ScriptId: str
    Name: str | None
    Status: str
    PackageId: str
    AssignedTo: str | None
    AssignedToId: str | None
    Self: str
    Expands: list[str] | None = None
    Runs: list[ScriptRunWire] | None = None
    LastRun: ScriptRunWire | None = None
    Script: ScriptWire | None = None
    Package: ExecutionPackageWire | None = None


class ProjectWire(Answer):
    """A project; numbering, categories and managers are not kept: the vendor's defaults."""

    Id: str
    Name: str
    OrganisationId: str
    OrganisationName: str
    ProjectCategoryId: str | None
    ProjectCategoryName: str | None
    Description: str | None
    ManagerId: str | None
    ManagerUserName: str | None
    Slug: str
    AutoNumberRequirements: bool
    AutoNumberScripts: bool
    Independent: bool
    RequirementNumberReadOnly: bool
    ScriptNumberReadOnly: bool
    OrderNumber: int
    ProjectTypeId: str | None
    CreatedAt: str | None
    Self: str


class UserWire(Answer):
    Id: str
    UserName: str
    DisplayName: str | None
    Email: str | None
    FirstName: str | None
    LastName: str | None
    Phone: str | None
    LastLogIn: str | None
    Enabled: bool
    IsExternal: bool
    Expands: list[str]
    Self: str


class IncidentWire(Answer):
    Id: str
    Summary: str
    Description: str | None
    AssignedToId: str | None
    AssignedTo: str | None
    TypeId: str | None
    PriorityId: str | None
    StatusId: str | None
    ResolutionId: str | None
    AffectedVersionIds: list[str]
    FixedVersionIds: list[str]
    ComponentIds: list[str]
    ExternalSystemLinkIds: list[str]
    CreatedAt: str | None
    LastUpdatedAt: str | None
    CreatedById: str | None
    CreatedBy: str | None
    LastUpdatedById: str | None
    LastUpdatedBy: str | None
    ProjectId: str
    ProjectName: str
    IncidentNumber: int
    InternalId: str
    VersionNumber: int
    HasAttachments: bool
    FieldValues: dict[str, Any]
    Expands: list[str]
    Self: str
    Status: PicklistWire | None = None
    Priority: PicklistWire | None = None
    Type: PicklistWire | None = None
    Resolution: PicklistWire | None = None
    Project: NamedEntity | None = None


class IncidentCommentWire(Answer):
    Id: str
    Body: str
    CreatedById: str | None
    CreatedByUserName: str | None
    LastUpdatedById: str | None
    LastUpdatedByUserName: str | None
    CreatedAt: str | None
    LastUpdatedAt: str | None


class RelationshipWire(Answer):
    """An entity and, as `Children`, what it relates to (incidents raised on runs)."""

    EntityId: str
    Number: str | None
    Name: str
    EntityType: str
    AssignedTo: str | None
    Status: str | None
    Priority: str | None
    Type: str | None
    PackageId: str | None
    PackageName: str | None
    PackageEntityType: str | None
    PackagePath: str | None
    ParentId: str | None
    ParentPath: str | None
    ParentName: str | None
    RelationshipId: str | None
    RelationshipTypeKey: str | None
    RelationshipType: str | None
    Relation: str | None
    RelationshipDirection: str | None
    CanDelete: bool
    CanEdit: bool
    Children: "list[RelationshipWire]"


for _answer in (StepResultWire, ScriptRunWire, ScriptPackageWire, RelationshipWire):
    _answer.model_rebuild()  # each names a model defined after it, or itself


# ------------------------------------------------------------------ errors


class EtErrorBody(BaseModel):
    """Every error: `{"Message": "..."}` (validation failures and refused changes: 403)."""

    Message: str
