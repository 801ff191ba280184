"""Tables, and the imperative mapping of the domain classes onto them.

Every list and filter of the API has an index here; the records table is keyed by
(execution_id, seq) so a page at any depth is one index range scan.
"""

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator

from testament.domain.access import Role
from testament.domain.attachments import Attachment, Comment
from testament.domain.execution import Execution, ExecutionStatus
from testament.domain.incidents import Incident
from testament.domain.model import (
    TEST_CASE_NAME_MAX,
    ApiKey,
    Artifact,
    Assignment,
    DataSet,
    Environment,
    Package,
    Plan,
    PlanRun,
    Project,
    Resource,
    Suite,
    TestCase,
    TestCaseStatus,
    TestCaseVersion,
    UploadVersion,
    Workspace,
)
from testament.domain.tasks import Candidate, CandidateKind, InstanceStatus, Task, TaskStep, TestInstance
from testament.domain.users import User
from testament.kit.clock import as_utc

__all__ = ["live", "map_domain", "metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps go in and come out as aware UTC datetimes, on every database.

    SQLite keeps no offset: without this it would store an aware value's wall time as is
    (so +02:00 and Z instants would compare wrong) and hand back naive values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


ID = String(36)
TS = UtcDateTime()


def live(table: Table) -> list[ColumnElement[bool]]:
    """Conditions for rows not deleted: a deleted test case or plan that ran stays, hidden,
    for its executions' history (tables without `deleted_at` have no such rows)."""
    return [table.c.deleted_at.is_(None)] if "deleted_at" in table.c else []


def _enum(cls: type, name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


def _workspace_fk() -> Column[str]:
    return Column("workspace_id", ID, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("name", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("workspace_id", "name", name="uq_projects_workspace_name"),
)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),  # derived from the workspace and the name (domain/users.py)
    _workspace_fk(),
    Column("name", String(200), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("email", String(254)),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("workspace_id", "name", name="uq_users_workspace_name"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("user_name", String(200), nullable=False),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),  # the user the key acts for
    Column("role", _enum(Role, "role"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("access_key_id", String(32), nullable=False, unique=True),
    Column("secret_ciphertext", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS),
    Index("ix_api_keys_workspace", "workspace_id"),
    Index("ix_api_keys_user", "user_id"),
)

test_cases = Table(
    "test_cases",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("kind", String(32), nullable=False),
    Column("name", String(TEST_CASE_NAME_MAX), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("tags", JSON, nullable=False),
    Column("status", _enum(TestCaseStatus, "test_case_status"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("published_version", Integer),
    Column("sha256", String(64), nullable=False),
    Column("retries", Integer, nullable=False, default=0),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("deleted_at", TS),  # a deleted test case that ran stays, hidden, for its history
    Column("requires", JSON, nullable=False, default=dict),  # labels its worker must have
    # names are unique among live test cases; a deleted one keeps its name for its history
    Index(
        "uq_test_cases_workspace_live_name",
        "workspace_id",
        "name",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
    Index("ix_test_cases_workspace_id", "workspace_id", "id"),
    Index("ix_test_cases_workspace_kind", "workspace_id", "kind", "id"),
    # name prefix searches: a range of names in code point order (PostgreSQL: its pattern operators)
    Index(
        "ix_test_cases_workspace_kind_name",
        "workspace_id",
        "kind",
        "name",
        postgresql_ops={"name": "text_pattern_ops"},
    ),
    Index("ix_test_cases_workspace_status", "workspace_id", "status", "id"),
)

# a test case's tags (test_cases.tags, one row per key) so a tag filter is an index lookup in
# SQL on SQLite and PostgreSQL alike; written with the test case, in the same transaction
test_case_tags = Table(
    "test_case_tags",
    metadata,
    Column("test_case_id", ID, ForeignKey("test_cases.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(128), primary_key=True),
    _workspace_fk(),
    Column("value", String(256), nullable=False),
    Index("ix_test_case_tags_workspace_key", "workspace_id", "key", "value", "test_case_id"),
)

test_case_versions = Table(
    "test_case_versions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("test_case_id", ID, ForeignKey("test_cases.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content", JSON, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("test_case_id", "version", name="uq_test_case_versions_case_version"),
)

data_sets = Table(
    "data_sets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("test_case_id", ID, ForeignKey("test_cases.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("variables", JSON, nullable=False),
    UniqueConstraint("test_case_id", "name", name="uq_data_sets_case_name"),
)

suites = Table(
    "suites",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("test_case_ids", JSON, nullable=False),
    Column("parent_id", ID, ForeignKey("suites.id", ondelete="CASCADE")),
    Column("project_id", ID, ForeignKey("projects.id", ondelete="CASCADE")),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("workspace_id", "name", name="uq_suites_workspace_name"),
    Index("ix_suites_workspace_id", "workspace_id", "id"),
    Index("ix_suites_workspace_parent", "workspace_id", "parent_id", "id"),
)

plans = Table(
    "plans",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("suite_ids", JSON, nullable=False),
    Column("environment_id", ID, ForeignKey("environments.id", ondelete="SET NULL")),
    Column("retries", Integer),
    Column("machines", JSON, nullable=False, default=list),
    Column("settings", JSON, nullable=False, default=dict),
    Column("pass_ratio", Float),  # the quality gate on the run's score ratio
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("deleted_at", TS),  # a deleted plan that ran stays, hidden, for its runs' history
    Index(
        "uq_plans_workspace_live_name",
        "workspace_id",
        "name",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
    Index("ix_plans_workspace_id", "workspace_id", "id"),
)

environments = Table(
    "environments",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("name", String(200), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("secrets", JSON, nullable=False, default=dict),
    UniqueConstraint("workspace_id", "name", name="uq_environments_workspace_name"),
    Index("ix_environments_workspace_id", "workspace_id", "id"),
)

plan_runs = Table(
    "plan_runs",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("plan_id", ID, ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    Column("environment_id", ID),
    Column("created_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("build_no", String(500)),
    Column("runtime_data", JSON, nullable=False, default=dict),
    Column("trigger", String(16), nullable=False, default="API"),
    Column("parent_id", ID, ForeignKey("plan_runs.id", ondelete="SET NULL")),
    Column("rerun_type", String(64)),
    Column("machine_variables", JSON, nullable=False, default=dict),
    Index("ix_plan_runs_workspace_plan", "workspace_id", "plan_id", "id"),
)

executions = Table(
    "executions",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("test_case_id", ID, ForeignKey("test_cases.id", ondelete="CASCADE"), nullable=False),
    Column("test_case_version", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", _enum(ExecutionStatus, "execution_status"), nullable=False),
    Column("plan_run_id", ID, ForeignKey("plan_runs.id", ondelete="CASCADE")),
    Column("assignment_id", ID, ForeignKey("assignments.id", ondelete="CASCADE")),
    Column("batch_id", ID, nullable=False),  # every execution one start made; a plan run's id
    Column("suite_id", ID),
    Column("machine", String(200)),
    Column("data_set_name", String(200)),
    Column("variables", JSON),
    Column("environment_id", ID),
    Column("client_token", String(500)),
    Column("created_by", String(200), nullable=False),
    Column("run_by", String(200)),  # a manual run started for someone else: whose it is
    Column("max_attempts", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("flaky", Boolean, nullable=False, default=False),
    Column("queued_at", TS, nullable=False),
    Column("started_at", TS),
    Column("finished_at", TS),
    Column("deadline_at", TS),
    Column("lease_owner", String(100)),
    Column("lease_expires_at", TS),
    Column("stop_requested", Boolean, nullable=False, default=False),
    Column("reason", Text, nullable=False, default=""),
    Column("recoveries", Integer, nullable=False, default=0),
    Column("interruptions", Integer, nullable=False, default=0),  # runs cut short and started again
    Column("records_total", Integer, nullable=False, default=0),
    Column("records_passed", Integer, nullable=False, default=0),
    Column("records_failed", Integer, nullable=False, default=0),
    Column("override_status", _enum(ExecutionStatus, "execution_override_status")),
    Column("override_comment", Text, nullable=False, default=""),
    Column("overridden_by", String(200)),
    Column("overridden_at", TS),
    # what a tester reports about a manual run beside its steps
    Column("actual_duration", String(100)),
    Column("field_values", JSON),
    Column("widget_values", JSON),
    Column("scoreboard", JSON),  # computed from the records when the execution ends
    # routing (domain/requirements.py): labels its worker must have, as one key a claim compares,
    # and, while no live worker can take it, why it waits
    Column("requires", JSON, nullable=False, default=dict),
    Column("requirement_key", String(2000), nullable=False, default=""),
    Column("waiting_for", Text),
    # listing newest first, with filters; the id (UUIDv7) orders by creation time
    Index("ix_executions_workspace_id", "workspace_id", "id"),
    Index("ix_executions_workspace_status", "workspace_id", "status", "id"),
    Index("ix_executions_workspace_case", "workspace_id", "test_case_id", "id"),
    Index("ix_executions_plan_run", "plan_run_id"),
    Index("ix_executions_batch", "batch_id"),
    Index("ix_executions_assignment", "assignment_id", "id"),
    # the queue: the oldest queued first; running ones by lease expiry for recovery
    Index("ix_executions_status_queued", "status", "queued_at"),
    Index("ix_executions_status_lease", "status", "lease_expires_at"),
    # a claim: each workspace's oldest queued, read off the index (engine/queue.py)
    Index("ix_executions_status_workspace_queued", "status", "workspace_id", "queued_at", "id"),
)

execution_records = Table(
    "execution_records",
    metadata,
    Column("execution_id", ID, ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("attempt", Integer, nullable=False),
    Column("observation_id", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("timestamp", TS, nullable=False),
    Column("record", JSON, nullable=False),
    Column("interrupted", Boolean, nullable=False, default=False),  # its run was cut short and run again
    Index("ix_execution_records_status", "execution_id", "status", "seq"),
    Index("ix_execution_records_observation", "observation_id"),  # a step result found by its id
)

resources = Table(
    "resources",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("kind", String(64), nullable=False),
    Column("name", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("body", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("workspace_id", "kind", "name", name="uq_resources_workspace_kind_name"),
    Index("ix_resources_workspace_kind", "workspace_id", "kind", "id"),
)

# Surfaces whose clients expect integer ids (Testsigma) see this number for a core entity.
surface_ids = Table(
    "surface_ids",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("surface", String(32), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("core_id", String(500), nullable=False),
    Column("workspace_id", ID),  # whose entity: a number never resolves in another workspace
    UniqueConstraint("surface", "entity", "core_id", name="uq_surface_ids_core"),
)

idempotency_tokens = Table(
    "idempotency_tokens",
    metadata,
    Column("workspace_id", ID, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    Column("scope", String(64), primary_key=True),
    Column("client_token", String(500), primary_key=True),
    Column("target", String(500), nullable=False),
    Column("resource_id", ID, nullable=False),
    Column("created_at", TS, nullable=False),
)

packages = Table(
    "packages",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("name", String(200), nullable=False),
    Column("parent_id", ID, ForeignKey("packages.id", ondelete="CASCADE")),
    Column("project_id", ID, ForeignKey("projects.id", ondelete="CASCADE")),
    Column("created_at", TS, nullable=False),
    Index("ix_packages_workspace_parent", "workspace_id", "parent_id", "id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("package_id", ID, ForeignKey("packages.id", ondelete="CASCADE"), nullable=False),
    Column("test_case_id", ID, ForeignKey("test_cases.id", ondelete="CASCADE"), nullable=False),
    Column("assignee", String(200), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_assignments_workspace_package", "workspace_id", "package_id", "id"),
    Index("ix_assignments_workspace_assignee", "workspace_id", "assignee", "id"),
)

upload_versions = Table(
    "upload_versions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("upload_id", ID, ForeignKey("resources.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("upload_id", "name", name="uq_upload_versions_upload_name"),
    Index("ix_upload_versions_upload", "upload_id", "id"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("execution_id", ID, ForeignKey("executions.id", ondelete="CASCADE"), nullable=False),
    Column("record_seq", Integer),
    Column("name", String(255), nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_artifacts_execution", "execution_id", "id"),
)

# the bytes of files kept in the database (the artifact store `database`): a file is its chunks
# in order; every file has chunk 0, an empty file's being empty
blob_chunks = Table(
    "blob_chunks",
    metadata,
    Column("blob_id", String(40), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("title", String(200), nullable=False),
    Column("folder", String(200), nullable=False, default=""),
    Column("labels", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("active_after", TS),
    Column("active_before", TS),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_tasks_workspace_id", "workspace_id", "id"),
)

task_steps = Table(
    "task_steps",
    metadata,
    Column("id", ID, primary_key=True),
    Column("task_id", ID, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("test_case_id", ID, ForeignKey("test_cases.id", ondelete="CASCADE")),
    Column("plan_id", ID, ForeignKey("plans.id", ondelete="CASCADE")),
    Column("active", Boolean, nullable=False, default=True),
    Column("attempt_limit", Integer, nullable=False, default=1),
    Index("ix_task_steps_task", "task_id", "position"),
)

candidates = Table(
    "candidates",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("task_id", ID, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("kind", _enum(CandidateKind, "candidate_kind"), nullable=False),
    Column("ticket_id", ID, nullable=False, unique=True),
    Column("invitation_code", String(32), nullable=False, unique=True),
    Column("external_id", String(200)),
    Column("user_name", String(200)),  # a user candidate's user; the external id stays the client's
    Column("fullname", String(200)),
    Column("email", String(320)),
    Column("group_name", String(200), nullable=False, default=""),
    Column("labels", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("callback_url", Text),
    Column("callback_params", JSON, nullable=False),
    Column("callback_resource", String(16), nullable=False, default="basic"),
    Column("created_by", String(200), nullable=False, default=""),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_candidates_task", "task_id", "id"),
    Index("ix_candidates_task_external", "task_id", "external_id"),
)

test_instances = Table(
    "test_instances",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("task_id", ID, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("step_id", ID, ForeignKey("task_steps.id", ondelete="CASCADE"), nullable=False),
    Column("candidate_id", ID, ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False),
    Column("status", _enum(InstanceStatus, "instance_status"), nullable=False),
    Column("batch_id", ID, nullable=False),  # the executions of its current start
    Column("attempt", Integer, nullable=False, default=1),
    Column("ignored", Boolean, nullable=False, default=False),
    Column("scoreboard", JSON),
    Column("created_at", TS, nullable=False),
    Column("completed_at", TS),
    Index("ix_test_instances_task", "task_id", "id"),
    Index("ix_test_instances_candidate", "candidate_id", "step_id", "id"),
    Index("ix_test_instances_batch", "batch_id"),
)

callbacks = Table(
    "callbacks",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("instance_id", ID, ForeignKey("test_instances.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("resource", String(16), nullable=False),
    Column("params", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", TS, nullable=False),
    Column("last_error", Text, nullable=False, default=""),
    Column("last_status_code", Integer),  # what the receiver answered last, if it answered
    Column("last_attempt_at", TS),
    Column("created_at", TS, nullable=False),
    Column("delivered_at", TS),
    Index("ix_callbacks_due", "state", "next_attempt_at"),
    Index("ix_callbacks_instance", "instance_id"),
    # what managers list, newest first, with or without a state
    Index("ix_callbacks_workspace", "workspace_id", "id"),
    Index("ix_callbacks_workspace_state", "workspace_id", "state", "id"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("project_id", ID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),  # 1, 2, 3… per workspace
    Column("summary", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("type", String(32), nullable=False),
    Column("priority", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("resolution", String(32)),
    Column("assignee_id", ID, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_by", String(200), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("version", Integer, nullable=False),
    Column("field_values", JSON, nullable=False),
    UniqueConstraint("workspace_id", "number", name="uq_incidents_workspace_number"),
    Index("ix_incidents_workspace", "workspace_id", "id"),
)

# an incident raised on a step result: the step result is a manual run's observation
incident_links = Table(
    "incident_links",
    metadata,
    Column("incident_id", ID, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("step_result_id", String(200), primary_key=True),
    Column("execution_id", ID, ForeignKey("executions.id", ondelete="CASCADE"), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_incident_links_step_result", "step_result_id"),
)

# files kept with a test case or an incident (a step result's are artifacts of its run)
attachments = Table(
    "attachments",
    metadata,
    Column("id", ID, primary_key=True),
    _workspace_fk(),
    Column("holder", String(16), nullable=False),  # test_case or incident
    Column("holder_id", ID, nullable=False),
    Column("name", String(255), nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_attachments_holder", "workspace_id", "holder", "holder_id", "id"),
)

incident_comments = Table(
    "incident_comments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("incident_id", ID, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_incident_comments_incident", "incident_id", "id"),
)

# The worker processes of a deployment. A worker's running executions are not kept here: they
# are the RUNNING executions whose lease_owner is the worker's owner.
workers = Table(
    "workers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("owner", String(100), nullable=False, unique=True),  # its lease owner (queue.make_owner)
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("kinds", JSON, nullable=False),  # the test kinds it claims
    Column("labels", JSON, nullable=False),  # what it offers, e.g. {"browser": "chromium"}
    Column("concurrency", Integer, nullable=False),
    Column("version", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # running | draining | stopped
    Column("started_at", TS, nullable=False),
    Column("last_heartbeat_at", TS, nullable=False),
    Column("stopped_at", TS),
    Index("ix_workers_last_heartbeat", "last_heartbeat_at"),
)

# A workspace's running cap as rows (slot_no 0, 1, … below the cap, made one by one as claims
# need them): a claim takes a free slot with SKIP LOCKED (engine/queue.py), so concurrent claims in
# one workspace take different rows instead of queueing on the workspace's; finishing, handing
# back or recovery frees it.
execution_slots = Table(
    "execution_slots",
    metadata,
    Column("workspace_id", ID, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    Column("slot_no", Integer, primary_key=True),
    Column("execution_id", ID, ForeignKey("executions.id", ondelete="SET NULL"), unique=True),
)

# What every process of one deployment must agree on, one row per setting (the fingerprint of
# the secret key: services/deployment.py).
deployment_settings = Table(
    "deployment_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(500), nullable=False),
    Column("set_at", TS, nullable=False),
)

# Requests counted per key and surface in fixed windows, shared by every API process
# (services/rate_limits.py): the window that is counting now and its count.
rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    Column("bucket", String(200), primary_key=True),
    Column("window_start", BigInteger, nullable=False),  # its first request, in ms since the epoch
    Column("hits", Integer, nullable=False),
)

# The web UI's sign-in sessions (services/ui_sessions.py), in the database so any API process
# serves them: only a hash of the session id is kept; the browser holds the id, signed.
ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("key_id", ID, ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    _workspace_fk(),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("ended_at", TS),
    Index("ix_ui_sessions_key", "key_id"),
)

mapper_registry = registry()
_mapped = False


def map_domain() -> None:
    """Map the domain classes onto the tables, once per process."""
    global _mapped
    if _mapped:
        return
    for cls, table in (
        (Workspace, workspaces),
        (Project, projects),
        (ApiKey, api_keys),
        (User, users),
        (Incident, incidents),
        (Attachment, attachments),
        (Comment, incident_comments),
        (TestCase, test_cases),
        (TestCaseVersion, test_case_versions),
        (DataSet, data_sets),
        (Suite, suites),
        (Plan, plans),
        (Environment, environments),
        (PlanRun, plan_runs),
        (Resource, resources),
        (Execution, executions),
        (Artifact, artifacts),
        (UploadVersion, upload_versions),
        (Package, packages),
        (Assignment, assignments),
        (Task, tasks),
        (TaskStep, task_steps),
        (TestInstance, test_instances),
    ):
        mapper_registry.map_imperatively(cls, table)
    mapper_registry.map_imperatively(Candidate, candidates, properties={"group": candidates.c.group_name})
    _mapped = True
