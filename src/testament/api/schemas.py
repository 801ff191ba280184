"""Wire schemas of the native API: one family per entity (Create, Update, Public)."""

from datetime import datetime
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from testament.domain.execution import Execution, ExecutionStatus
from testament.domain.model import TEST_CASE_NAME_MAX
from testament.domain.scoring import with_numeric_effects
from testament.services.plan_runs import PlanRunView
from testament.services.test_cases import TestCaseView

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FromDomain(BaseModel):
    """A public shape read off a domain object's attributes."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, obj: Any) -> Self:
        return cls.model_validate(obj)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class Items(BaseModel, Generic[T]):
    """A whole list, in one answer (a list short enough to need no pages)."""

    items: list[T]


# The OpenAPI `content` of an answer that is a stored file, in whatever media type it was stored.
FILE = {"*/*": {"schema": {"type": "string", "format": "binary"}}}


class ApplyResult(BaseModel):
    kind: str = Field(description="environment, test_case, suite or plan")
    name: str
    id: str
    action: str = Field(description="created, updated or unchanged")


class ApplyResults(BaseModel):
    results: list[ApplyResult]


class DataSetBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)


class TestCaseCreate(Strict):
    __test__ = False
    kind: str = Field(examples=["http"])
    name: str = Field(min_length=1, max_length=TEST_CASE_NAME_MAX)
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    content: Any
    retries: int = Field(default=0, ge=0, le=10, description="attempts after a failed one")
    data_sets: list[DataSetBody] = Field(default_factory=list)
    publish: bool = Field(default=False, description="publish this version at once")
    requires: dict[str, str] = Field(
        default_factory=dict,
        description="labels a worker must have to run it (label: value, compared exactly); {} for none",
        examples=[{"browser": "chromium"}],
    )


class TestCaseUpdate(Strict):
    __test__ = False
    name: str | None = Field(default=None, min_length=1, max_length=TEST_CASE_NAME_MAX)
    description: str | None = None
    tags: dict[str, str] | None = None
    content: Any = None
    retries: int | None = Field(default=None, ge=0, le=10)
    data_sets: list[DataSetBody] | None = None
    publish: bool = False
    requires: dict[str, str] | None = Field(default=None, description="{} removes the requirements")


class TestCaseSummary(FromDomain):
    __test__ = False
    id: str
    kind: str
    name: str
    description: str
    tags: dict[str, str]
    status: str
    version: int
    published_version: int | None
    sha256: str
    retries: int
    requires: dict[str, str] = Field(description="labels a worker must have to run it")
    created_at: datetime
    updated_at: datetime


class TestCasePublic(TestCaseSummary):
    __test__ = False
    content: Any
    data_sets: list[DataSetBody]

    @classmethod
    def of_view(cls, view: TestCaseView) -> "TestCasePublic":
        return cls(
            **TestCaseSummary.of(view.test_case).model_dump(),
            content=view.content,
            data_sets=[DataSetBody(name=d.name, variables=d.variables) for d in view.data_sets],
        )


class SuiteBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    test_case_ids: list[str] = Field(default_factory=list)
    parent_id: str | None = Field(default=None, description="the suite this one sits in (suites nest)")


class SuiteUpdate(Strict):
    name: str | None = None
    description: str | None = None
    test_case_ids: list[str] | None = None
    parent_id: str | None = Field(default=None, description="null moves the suite to the top level")


class SuitePublic(FromDomain):
    id: str
    name: str
    description: str
    test_case_ids: list[str]
    parent_id: str | None
    project_id: str | None = Field(description="the project it is in; null: the workspace's default")
    created_at: datetime
    updated_at: datetime


class MachineBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)
    suite_ids: list[str] = Field(default_factory=list)
    requires: dict[str, str] = Field(
        default_factory=dict,
        description="labels a worker must have to run this machine's executions; over the test case's",
    )


class PlanBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    suite_ids: list[str] = Field(default_factory=list)
    environment_id: str | None = None
    retries: int | None = Field(default=None, ge=0, le=10, description="overrides each test case's")
    machines: list[MachineBody] = Field(
        default_factory=list,
        description="named targets with their own variables and suites; none: one default",
    )
    settings: dict[str, Any] = Field(default_factory=dict, description="run settings; defaults are filled in")
    pass_ratio: float | None = Field(
        default=None, ge=0, le=1, description="quality gate: a run passes when its score ratio reaches this"
    )


class PlanUpdate(Strict):
    name: str | None = None
    description: str | None = None
    suite_ids: list[str] | None = None
    environment_id: str | None = None
    retries: int | None = Field(default=None, ge=0, le=10)
    machines: list[MachineBody] | None = None
    settings: dict[str, Any] | None = None
    pass_ratio: float | None = Field(default=None, ge=0, le=1, description="null removes the gate")


class PlanPublic(FromDomain):
    id: str
    name: str
    description: str
    suite_ids: list[str]
    environment_id: str | None
    retries: int | None
    machines: list[dict[str, Any]]
    settings: dict[str, Any]
    pass_ratio: float | None
    created_at: datetime
    updated_at: datetime


class EnvironmentBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(
        default_factory=dict, description="write-only: kept encrypted, masked in records, never returned"
    )


class EnvironmentUpdate(Strict):
    name: str | None = None
    variables: dict[str, Any] | None = None
    secrets: dict[str, str] | None = Field(default=None, description="replaces every secret when given")


class EnvironmentPublic(FromDomain):
    id: str
    name: str
    variables: dict[str, Any]
    secret_names: list[str]
    created_at: datetime
    updated_at: datetime


class ExecutionStart(Strict):
    test_case_id: str | None = Field(default=None, description="a test case's id or name")
    plan_id: str | None = Field(default=None, description="a plan's id or name")
    client_token: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="the same token and target within 24 h start once",
    )
    environment_id: str | None = Field(default=None, description="an environment's id or name")
    variables: dict[str, Any] = Field(default_factory=dict, description="override variables for this run")
    run_config: str | None = Field(
        default=None, description="with plan_id: a saved run configuration (id or name) for a partial run"
    )


class OverridePublic(BaseModel):
    status: str
    comment: str
    by: str | None
    at: datetime | None


class RecordCounts(BaseModel):
    total: int
    passed: int
    failed: int


class ExecutionPublic(BaseModel):
    id: str
    status: str
    test_case_id: str
    test_case_version: int
    kind: str
    plan_run_id: str | None
    assignment_id: str | None
    suite_id: str | None
    machine: str | None
    data_set_name: str | None
    environment_id: str | None
    attempt: int = Field(description="which of the test case's attempts (1 + retries) runs or ran last")
    max_attempts: int = Field(description="1 + the test case's retries; attempt never exceeds it")
    interruptions: int = Field(
        description="times a run was cut short (server shut down, worker lost) and its attempt run "
        "again from the start; not retries"
    )
    flaky: bool
    stop_requested: bool
    reason: str
    requires: dict[str, str] = Field(
        description="labels its worker must have: its test case's, its plan machine's over them"
    )
    waiting_for: str | None = Field(
        description="while queued: why no live worker can take it (its kind or labels); null otherwise"
    )
    created_by: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    records: RecordCounts
    override: OverridePublic | None = Field(
        description="a person's judgement of the outcome, which reports count"
    )
    score: dict[str, Any] | None = Field(
        default=None,
        description="the scoreboard, sealed when the execution ends: scoreboard {pointsAchieved, "
        "maxAchievablePoints, achievementRatio (0-1), noOfQuestions}, sections, dimensions "
        "(with subDimensions), effects",
    )

    @classmethod
    def of(cls, x: Execution) -> "ExecutionPublic":
        return cls(
            id=x.id,
            status=x.status.value,
            test_case_id=x.test_case_id,
            test_case_version=x.test_case_version,
            kind=x.kind,
            plan_run_id=x.plan_run_id,
            assignment_id=x.assignment_id,
            suite_id=x.suite_id,
            machine=x.machine,
            data_set_name=x.data_set_name,
            environment_id=x.environment_id,
            attempt=x.attempt,
            max_attempts=x.max_attempts,
            interruptions=x.interruptions,
            flaky=x.flaky,
            stop_requested=x.stop_requested,
            reason=x.reason,
            requires=dict(x.requires),
            waiting_for=x.waiting_for if x.status == ExecutionStatus.QUEUED else None,
            created_by=x.created_by,
            queued_at=x.queued_at,
            started_at=x.started_at,
            finished_at=x.finished_at,
            records=RecordCounts(total=x.records_total, passed=x.records_passed, failed=x.records_failed),
            override=OverridePublic(
                status=x.override_status.value,
                comment=x.override_comment,
                by=x.overridden_by,
                at=x.overridden_at,
            )
            if x.override_status
            else None,
            score=with_numeric_effects(x.scoreboard),
        )


class ExecutionStarted(BaseModel):
    id: str = Field(description="the first execution's id (or the plan run's, for a plan)")
    status: str
    plan_run_id: str | None
    replayed: bool = Field(description="true when the client token returned an earlier start")
    executions: list[ExecutionPublic]


class RecordPublic(FromDomain):
    observation_id: str
    status: str
    timestamp: datetime
    record: dict[str, Any]
    seq: int
    attempt: int
    interrupted: bool = Field(description="written by a run that was cut short; its attempt ran again")


class PlanRunPublic(BaseModel):
    id: str
    plan_id: str
    status: str
    environment_id: str | None
    created_by: str
    created_at: datetime
    build_no: str | None
    trigger: str
    parent_id: str | None
    rerun_type: str | None
    counts: dict[str, int]
    score: dict[str, Any] = Field(description="the finished executions' points summed")
    pass_ratio: float | None = Field(description="the plan's quality gate, if it sets one")
    gate_passed: bool | None = Field(
        description="whether the score ratio reached pass_ratio with nothing unfinished or broken"
    )
    executions: list[ExecutionPublic]

    @classmethod
    def of(cls, v: PlanRunView) -> "PlanRunPublic":
        return cls(
            id=v.plan_run.id,
            plan_id=v.plan_run.plan_id,
            status=v.status.value,
            environment_id=v.plan_run.environment_id,
            created_by=v.plan_run.created_by,
            created_at=v.plan_run.created_at,
            build_no=v.plan_run.build_no,
            trigger=v.plan_run.trigger,
            parent_id=v.plan_run.parent_id,
            rerun_type=v.plan_run.rerun_type,
            counts=v.counts,
            score=v.score,
            pass_ratio=v.pass_ratio,
            gate_passed=v.gate_passed,
            executions=[ExecutionPublic.of(x) for x in v.executions],
        )


class PlanRunSummary(FromDomain):
    id: str
    plan_id: str
    created_by: str
    created_at: datetime


class WhoAmI(BaseModel):
    workspace_id: str
    key_id: str
    user: str
    role: str


class ArtifactPublic(FromDomain):
    id: str
    execution_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    record_seq: int | None
    created_at: datetime


class KeyPublic(FromDomain):
    id: str
    user_name: str
    role: str
    access_key_id: str
    created_at: datetime
    revoked_at: datetime | None
