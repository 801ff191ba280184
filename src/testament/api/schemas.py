"""Wire schemas of the native API: one family per entity (Create, Update, Public)."""

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from testament.domain.execution import Execution
from testament.domain.model import Artifact, Environment, Plan, PlanRun, Suite, TestCase
from testament.services.executions import PlanRunView, Record
from testament.services.test_cases import TestCaseView

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class DataSetBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)


class TestCaseCreate(Strict):
    __test__ = False
    kind: str = Field(examples=["http"])
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    content: Any
    retries: int = Field(default=0, ge=0, le=10, description="attempts after a failed one")
    data_sets: list[DataSetBody] = Field(default_factory=list)
    publish: bool = Field(default=False, description="publish this version at once")


class TestCaseUpdate(Strict):
    __test__ = False
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    tags: dict[str, str] | None = None
    content: Any = None
    retries: int | None = Field(default=None, ge=0, le=10)
    data_sets: list[DataSetBody] | None = None
    publish: bool = False


class TestCaseSummary(BaseModel):
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
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, case: TestCase) -> "TestCaseSummary":
        return cls(
            id=case.id,
            kind=case.kind,
            name=case.name,
            description=case.description,
            tags=case.tags,
            status=case.status.value,
            version=case.version,
            published_version=case.published_version,
            sha256=case.sha256,
            retries=case.retries,
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


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


class SuiteUpdate(Strict):
    name: str | None = None
    description: str | None = None
    test_case_ids: list[str] | None = None


class SuitePublic(BaseModel):
    id: str
    name: str
    description: str
    test_case_ids: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Suite) -> "SuitePublic":
        return cls(
            id=s.id,
            name=s.name,
            description=s.description,
            test_case_ids=s.test_case_ids,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class PlanBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    suite_ids: list[str] = Field(default_factory=list)
    environment_id: str | None = None
    retries: int | None = Field(default=None, ge=0, le=10, description="overrides each test case's")


class PlanUpdate(Strict):
    name: str | None = None
    description: str | None = None
    suite_ids: list[str] | None = None
    environment_id: str | None = None
    retries: int | None = Field(default=None, ge=0, le=10)


class PlanPublic(BaseModel):
    id: str
    name: str
    description: str
    suite_ids: list[str]
    environment_id: str | None
    retries: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: Plan) -> "PlanPublic":
        return cls(
            id=p.id,
            name=p.name,
            description=p.description,
            suite_ids=p.suite_ids,
            environment_id=p.environment_id,
            retries=p.retries,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )


class EnvironmentBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)


class EnvironmentUpdate(Strict):
    name: str | None = None
    variables: dict[str, Any] | None = None


class EnvironmentPublic(BaseModel):
    id: str
    name: str
    variables: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: Environment) -> "EnvironmentPublic":
        return cls(
            id=e.id, name=e.name, variables=e.variables, created_at=e.created_at, updated_at=e.updated_at
        )


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
    data_set_name: str | None
    environment_id: str | None
    attempt: int
    max_attempts: int
    flaky: bool
    stop_requested: bool
    reason: str
    created_by: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    records: RecordCounts

    @classmethod
    def of(cls, x: Execution) -> "ExecutionPublic":
        return cls(
            id=x.id,
            status=x.status.value,
            test_case_id=x.test_case_id,
            test_case_version=x.test_case_version,
            kind=x.kind,
            plan_run_id=x.plan_run_id,
            data_set_name=x.data_set_name,
            environment_id=x.environment_id,
            attempt=x.attempt,
            max_attempts=x.max_attempts,
            flaky=x.flaky,
            stop_requested=x.stop_requested,
            reason=x.reason,
            created_by=x.created_by,
            queued_at=x.queued_at,
            started_at=x.started_at,
            finished_at=x.finished_at,
            records=RecordCounts(total=x.records_total, passed=x.records_passed, failed=x.records_failed),
        )


class ExecutionStarted(BaseModel):
    id: str = Field(description="the first execution's id (or the plan run's, for a plan)")
    status: str
    plan_run_id: str | None
    replayed: bool = Field(description="true when the client token returned an earlier start")
    executions: list[ExecutionPublic]


class RecordPublic(BaseModel):
    observation_id: str
    status: str
    timestamp: datetime
    record: dict[str, Any]
    seq: int
    attempt: int

    @classmethod
    def of(cls, r: Record) -> "RecordPublic":
        return cls(
            observation_id=r.observation_id,
            status=r.status,
            timestamp=r.timestamp,
            record=r.record,
            seq=r.seq,
            attempt=r.attempt,
        )


class PlanRunPublic(BaseModel):
    id: str
    plan_id: str
    status: str
    environment_id: str | None
    created_by: str
    created_at: datetime
    counts: dict[str, int]
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
            counts=v.counts,
            executions=[ExecutionPublic.of(x) for x in v.executions],
        )


class PlanRunSummary(BaseModel):
    id: str
    plan_id: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, r: PlanRun) -> "PlanRunSummary":
        return cls(id=r.id, plan_id=r.plan_id, created_by=r.created_by, created_at=r.created_at)


class WhoAmI(BaseModel):
    workspace_id: str
    key_id: str
    user: str
    role: str


class ArtifactPublic(BaseModel):
    id: str
    execution_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    record_seq: int | None
    created_at: datetime

    @classmethod
    def of(cls, a: Artifact) -> "ArtifactPublic":
        return cls(
            id=a.id,
            execution_id=a.execution_id,
            name=a.name,
            media_type=a.media_type,
            size=a.size,
            sha256=a.sha256,
            record_seq=a.record_seq,
            created_at=a.created_at,
        )
