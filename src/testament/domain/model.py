"""Entities. Plain dataclasses; `store/tables.py` maps them imperatively onto tables.

`eq=False` keeps identity equality, which the ORM's identity map relies on.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from testament.domain.access import Role

__all__ = [
    "TEST_CASE_NAME_MAX",
    "ApiKey",
    "Artifact",
    "Assignment",
    "DataSet",
    "Environment",
    "Package",
    "Plan",
    "PlanRun",
    "Resource",
    "Suite",
    "TestCase",
    "TestCaseStatus",
    "TestCaseVersion",
    "UploadVersion",
    "Workspace",
    "content_sha256",
]


DEFAULT_MACHINE = "default"


def content_sha256(content: Any) -> str:
    """The hash of content in canonical JSON, so key order and spacing do not matter."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(eq=False)
class Workspace:
    id: str
    name: str
    created_at: datetime


@dataclass(eq=False)
class Project:
    """A named area of a workspace grouping suites and packages (Enterprise Tester's projects).
    Every workspace has a default project with the workspace's own id and name; a suite or
    package in it has no `project_id`."""

    id: str
    workspace_id: str
    name: str
    created_at: datetime


@dataclass(eq=False)
class ApiKey:
    id: str
    workspace_id: str
    user_name: str
    role: Role
    token_hash: str
    access_key_id: str
    secret_ciphertext: str
    created_at: datetime
    revoked_at: datetime | None = None
    user_id: str = ""  # the user the key acts for (its user_name's user)


class TestCaseStatus(StrEnum):
    __test__ = False
    SAVED = "SAVED"
    PUBLISHED = "PUBLISHED"


@dataclass(eq=False)
class TestCaseVersion:
    __test__ = False
    id: str
    test_case_id: str
    version: int
    content: Any
    sha256: str
    created_at: datetime


# A test case's name is unique among the workspace's live ones, and that unique index bounds it:
# 500 characters stay within a PostgreSQL index row in any script. Descriptions have no limit
# of their own (the request body's size bounds them), as Amazon Connect's model sets none.
TEST_CASE_NAME_MAX = 500


@dataclass(eq=False)
class TestCase:
    """Named, tagged, versioned content of one kind.

    Every content change makes a new version; `status` is the status of the latest version.
    A test case can hold a SAVED draft and an older PUBLISHED version at once; executions
    run the published one and pin its number.
    """

    __test__ = False
    id: str
    workspace_id: str
    kind: str
    name: str
    description: str
    tags: dict[str, str]
    status: TestCaseStatus
    version: int
    sha256: str
    retries: int
    created_at: datetime
    updated_at: datetime
    published_version: int | None = None
    deleted_at: datetime | None = None
    requires: dict[str, str] = field(default_factory=dict)  # labels its worker must have

    def retire(self, now: datetime) -> None:
        """Deleted, but kept for the executions that ran it: hidden everywhere; its name is
        free for a new test case (names are unique among live ones) and stays in its history."""
        self.deleted_at = now
        self.updated_at = now

    def revise(self, content: Any, now: datetime) -> TestCaseVersion | None:
        """Record new content; return the new version, or None when the content is unchanged."""
        digest = content_sha256(content)
        if digest == self.sha256:
            return None
        self.version += 1
        self.sha256 = digest
        self.status = TestCaseStatus.SAVED
        self.updated_at = now
        return TestCaseVersion(
            id="", test_case_id=self.id, version=self.version, content=content, sha256=digest, created_at=now
        )

    def publish(self, now: datetime) -> None:
        self.status = TestCaseStatus.PUBLISHED
        self.published_version = self.version
        self.updated_at = now


@dataclass(eq=False)
class DataSet:
    """One row of parameters for a data-driven test case; each runs as its own execution."""

    id: str
    test_case_id: str
    position: int
    name: str
    variables: dict[str, Any]


@dataclass(eq=False)
class Suite:
    id: str
    workspace_id: str
    name: str
    description: str
    test_case_ids: list[str]
    created_at: datetime
    updated_at: datetime
    parent_id: str | None = None
    project_id: str | None = None  # None: the workspace's default project


@dataclass(eq=False)
class Plan:
    """Suites to run, on one or more machines (named targets with variables of their own),
    with run settings. A plan without machines runs its `suite_ids` on one default machine."""

    id: str
    workspace_id: str
    name: str
    description: str
    suite_ids: list[str]
    environment_id: str | None
    retries: int | None
    created_at: datetime
    updated_at: datetime
    machines: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    pass_ratio: float | None = None
    """A quality gate: the run passes when its score ratio reaches this (0 to 1)."""
    deleted_at: datetime | None = None

    def retire(self, now: datetime) -> None:
        """Deleted, but kept for its runs: hidden everywhere; its name is free for a new plan."""
        self.deleted_at = now
        self.updated_at = now

    def targets(self) -> list[tuple[str, dict[str, Any], list[str]]]:
        """(machine name, its variables, its suite ids), in order."""
        if not self.machines:
            return [(DEFAULT_MACHINE, {}, list(self.suite_ids))]
        return [
            (m["name"], dict(m.get("variables") or {}), list(m.get("suite_ids") or [])) for m in self.machines
        ]


@dataclass(eq=False)
class Environment:
    """Named variables a run uses. `secrets` hold encrypted values (name → ciphertext):
    they reach the runner decrypted and are masked in records, and no API returns them."""

    id: str
    workspace_id: str
    name: str
    variables: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def secret_names(self) -> list[str]:
        return sorted(self.secrets)


@dataclass(eq=False)
class PlanRun:
    """A run of a plan: its executions carry `plan_run_id`; its counts are derived from them.
    A rerun names its `parent_id` and what it reran (`rerun_type`)."""

    id: str
    workspace_id: str
    plan_id: str
    environment_id: str | None
    created_by: str
    created_at: datetime
    build_no: str | None = None
    runtime_data: dict[str, Any] = field(default_factory=dict)
    trigger: str = "API"
    parent_id: str | None = None
    rerun_type: str | None = None
    machine_variables: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(eq=False)
class Resource:
    """A named document of the workspace that test kinds use: a Connect flow, queue, hours
    of operation, a Lambda's local URL ... `kind` is namespaced (`connect.flow`)."""

    id: str
    workspace_id: str
    kind: str
    name: str
    description: str
    body: dict[str, Any]
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime


@dataclass(eq=False)
class Package:
    """A folder of assignments; packages nest (a cycle, a sprint, a release)."""

    id: str
    workspace_id: str
    name: str
    parent_id: str | None
    created_at: datetime
    project_id: str | None = None  # None: the workspace's default project


@dataclass(eq=False)
class Assignment:
    """A test case given to a person (its assignee) in a package. Its runs are executions
    that name it; at most one of them is incomplete at a time."""

    id: str
    workspace_id: str
    package_id: str
    test_case_id: str
    assignee: str
    created_by: str
    created_at: datetime


@dataclass(eq=False)
class UploadVersion:
    """One version of an upload (an app package, a bundle) a test runs against. The upload
    itself is a workspace resource of kind `upload`; each version is a stored file."""

    id: str
    upload_id: str
    name: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    path: str
    created_at: datetime


@dataclass(eq=False)
class Artifact:
    id: str
    execution_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    path: str
    created_at: datetime
    record_seq: int | None = None
