"""The read side's views: each collection a surface queries with its own query language, as
named fields a filter tree (`testament.domain.filters`) may name, and one query function per
collection that compiles the tree against those fields and returns the domain rows.

A view names its fields in Testament's words (`created_at`, `run_by_id`); a field is a column
or a derived value (a run's displayed status, the id of the user who ran it), declared here
once as SQL, so the surfaces filter and order on what they show without building SQL. A
surface that speaks other names (Enterprise Tester's `CreatedAt`, `RunById`) passes them in
`Selection.names` (its name -> the view's); the tree is then compiled under the surface's
names, so a mistake (an unknown property and its "did you mean") is told in the caller's
words. `View.field_kinds` tells a parser what type each field holds (TQL types bare values by
the field's kind) without the surface seeing a column.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select

from testament.domain.access import Permission, Principal
from testament.domain.attachments import Attachment, Comment, Holder
from testament.domain.execution import Execution, ExecutionStatus
from testament.domain.filters import Kind, Node, SortKey
from testament.domain.model import Artifact, Assignment, Package, Plan, PlanRun, Project, Suite, TestCase
from testament.domain.tasks import Candidate
from testament.domain.users import User
from testament.services import (
    assignments,
    attachments,
    candidates,
    incidents,
    projects,
    suites,
    tasks,
    test_cases,
    test_instances,
    users,
)
from testament.services.context import AppContext
from testament.services.executions import manual
from testament.services.paging import Window
from testament.services.test_case_tags import key_with_value, value_of_tag
from testament.store import tables as t
from testament.store.filters import compile_filter, compile_order, kind_of
from testament.store.repository import Repository

__all__ = [
    "ASSIGNMENTS",
    "ATTACHMENTS",
    "CANDIDATES",
    "COMMENTS",
    "INCIDENTS",
    "INCIDENT_LINKS",
    "PACKAGES",
    "PLANS",
    "PLAN_RUNS",
    "PROJECTS",
    "RUNS",
    "STEP_ATTACHMENTS",
    "SUITES",
    "TASKS",
    "TEST_CASES",
    "TEST_INSTANCES",
    "USERS",
    "Selection",
    "View",
    "query_assignment_runs",
    "query_assignments",
    "query_attachments",
    "query_candidates",
    "query_comments",
    "query_incidents",
    "query_instances",
    "query_packages",
    "query_plan_runs",
    "query_plans",
    "query_projects",
    "query_runs",
    "query_step_attachments",
    "query_step_links",
    "query_suites",
    "query_tasks",
    "query_test_cases",
    "query_users",
]


@dataclass(frozen=True)
class View:
    """One collection's fields: name -> column or derived value (SQL over the collection's table)."""

    fields: Mapping[str, ColumnElement[Any]]

    @cached_property
    def field_kinds(self) -> dict[str, Kind]:
        return {name: kind_of(column.type) for name, column in self.fields.items()}

    def named(self, names: Mapping[str, str] | None) -> dict[str, ColumnElement[Any]]:
        """The fields under the caller's names (`names`: caller's name -> this view's), or as declared."""
        if names is None:
            return dict(self.fields)
        return {caller: self.fields[own] for caller, own in names.items()}


@dataclass(frozen=True)
class Selection:
    """What a surface asks of a collection: a filter tree, sort keys and an offset window, in
    the surface's field names (`names`: its name -> the view's; None: the view's own names)."""

    where: Node | None = None
    order: Sequence[SortKey] = ()
    limit: int = 25
    offset: int = 0
    names: Mapping[str, str] | None = None


def _window(view: View, selection: Selection) -> Window:
    """The selection compiled against the view: SQL for the store's offset pages. FilterError
    says what the tree names that the view does not have, or what does not type-check."""
    fields = view.named(selection.names)
    where = compile_filter(selection.where, fields) if selection.where is not None else None
    return Window(where, compile_order(selection.order, fields), selection.limit, selection.offset)


# ------------------------------------------------------------------------------------------ views

_RUN_BY = func.coalesce(t.executions.c.run_by, t.executions.c.created_by)


def _user_id_of(user_name: ColumnElement[Any]) -> ColumnElement[Any]:
    """The id of the run's workspace user of that name (to filter and order on a user's id)."""
    return (
        select(t.users.c.id)
        .where(t.users.c.workspace_id == t.executions.c.workspace_id, t.users.c.name == user_name)
        .scalar_subquery()
    )


# A run's status is the one `derive_status` gives (in the domain's words, RunStatus values).
RUNS = View(
    {
        "id": t.executions.c.id,
        "test_case_id": t.executions.c.test_case_id,
        "test_case_version": t.executions.c.test_case_version,
        "assignment_id": t.executions.c.assignment_id,
        "created_at": t.executions.c.queued_at,
        "actual_duration": t.executions.c.actual_duration,
        "last_updated_at": func.coalesce(
            t.executions.c.finished_at, t.executions.c.started_at, t.executions.c.queued_at
        ),
        "created_by": t.executions.c.created_by,
        "created_by_id": _user_id_of(t.executions.c.created_by),
        "run_by": _RUN_BY,
        "run_by_id": _user_id_of(_RUN_BY),
        "completed": t.executions.c.status.not_in([ExecutionStatus.QUEUED, ExecutionStatus.RUNNING]),
        "status": manual.run_status_column(str),
    }
)
PACKAGES = View(
    {
        "id": t.packages.c.id,
        "name": t.packages.c.name,
        "parent_id": t.packages.c.parent_id,
        "project_id": func.coalesce(t.packages.c.project_id, t.packages.c.workspace_id),
        "created_at": t.packages.c.created_at,
    }
)
SUITES = View(
    {
        "id": t.suites.c.id,
        "name": t.suites.c.name,
        "description": t.suites.c.description,
        "parent_id": t.suites.c.parent_id,
        "project_id": func.coalesce(t.suites.c.project_id, t.suites.c.workspace_id),
        "created_at": t.suites.c.created_at,
        "updated_at": t.suites.c.updated_at,
    }
)
TAG = "tag:"
TAG_KEY_WITH_VALUE = "tag-key-with-value:"


class _TestCaseFields(Mapping[str, ColumnElement[Any]]):
    """A test case's columns, and its tags: `tag:<key>` is the value of tag `key` (null without
    one), `tag-key-with-value:<value>` a key whose tag has that value (null if none has it);
    each made when a tree names it, as a lookup in test_case_tags."""

    # the version a test case shows is its published one, else its newest draft
    columns: Mapping[str, ColumnElement[Any]] = {
        "id": t.test_cases.c.id,
        "name": t.test_cases.c.name,
        "description": t.test_cases.c.description,
        "status": t.test_cases.c.status,
        "version": func.coalesce(t.test_cases.c.published_version, t.test_cases.c.version),
        "created_at": t.test_cases.c.created_at,
        "updated_at": t.test_cases.c.updated_at,
    }

    def __getitem__(self, name: str) -> ColumnElement[Any]:
        if name.startswith(TAG):
            return value_of_tag(t.test_cases.c.id, name.removeprefix(TAG))
        if name.startswith(TAG_KEY_WITH_VALUE):
            return key_with_value(t.test_cases.c.id, name.removeprefix(TAG_KEY_WITH_VALUE))
        return self.columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*self.columns, f"{TAG}<key>", f"{TAG_KEY_WITH_VALUE}<value>"])

    def __len__(self) -> int:
        return len(self.columns) + 2


TEST_CASES = View(_TestCaseFields())
ASSIGNMENTS = View(
    {
        "id": t.assignments.c.id,
        "test_case_id": t.assignments.c.test_case_id,
        "package_id": t.assignments.c.package_id,
        "assignee": t.assignments.c.assignee,
        "created_by": t.assignments.c.created_by,
        "created_at": t.assignments.c.created_at,
    }
)
PLANS = View(
    {
        "id": t.plans.c.id,
        "name": t.plans.c.name,
        "description": t.plans.c.description,
        "created_at": t.plans.c.created_at,
        "updated_at": t.plans.c.updated_at,
    }
)


def _some_execution(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether the plan run has an execution meeting every condition."""
    return exists().where(t.executions.c.plan_run_id == t.plan_runs.c.id, *conditions)


# What a surface needs to derive a plan run's result in its own words: facts about its
# executions (by the status reports count: an override, else the execution's own).
_EFFECTIVE = func.coalesce(t.executions.c.override_status, t.executions.c.status)
_TERMINAL = [s for s in ExecutionStatus if s.is_terminal]
PLAN_RUNS = View(
    {
        "id": t.plan_runs.c.id,
        "plan_id": t.plan_runs.c.plan_id,
        "build_no": t.plan_runs.c.build_no,
        "created_at": t.plan_runs.c.created_at,
        "has_executions": _some_execution(),
        "active": _some_execution(t.executions.c.status.not_in(_TERMINAL)),
        "some_passed": _some_execution(_EFFECTIVE == ExecutionStatus.PASSED),
        "some_failed": _some_execution(_EFFECTIVE == ExecutionStatus.FAILED),
        "some_errored": _some_execution(_EFFECTIVE == ExecutionStatus.ERROR),
        "some_stopped_after_start": _some_execution(
            _EFFECTIVE == ExecutionStatus.STOPPED, t.executions.c.started_at.is_not(None)
        ),
        "some_stopped_before_start": _some_execution(
            _EFFECTIVE == ExecutionStatus.STOPPED, t.executions.c.started_at.is_(None)
        ),
    }
)
PROJECTS = View({"id": t.projects.c.id, "name": t.projects.c.name, "created_at": t.projects.c.created_at})
# a step result's files are artifacts; a test case's or an incident's are attachments
STEP_ATTACHMENTS = View(
    {
        "id": t.artifacts.c.id,
        "name": t.artifacts.c.name,
        "media_type": t.artifacts.c.media_type,
        "size": t.artifacts.c.size,
        "created_at": t.artifacts.c.created_at,
    }
)
ATTACHMENTS = View(
    {
        "id": t.attachments.c.id,
        "name": t.attachments.c.name,
        "media_type": t.attachments.c.media_type,
        "size": t.attachments.c.size,
        "created_at": t.attachments.c.created_at,
    }
)
COMMENTS = View(
    {
        "id": t.incident_comments.c.id,
        "body": t.incident_comments.c.body,
        "created_at": t.incident_comments.c.created_at,
    }
)
INCIDENTS = View(
    {
        "id": t.incidents.c.id,
        "summary": t.incidents.c.summary,
        "description": t.incidents.c.description,
        "number": t.incidents.c.number,
        "status": t.incidents.c.status,
        "priority": t.incidents.c.priority,
        "type": t.incidents.c.type,
        "resolution": t.incidents.c.resolution,
        "project_id": t.incidents.c.project_id,
        "assignee_id": t.incidents.c.assignee_id,
        "created_by": t.incidents.c.created_by,
        "created_at": t.incidents.c.created_at,
        "updated_at": t.incidents.c.updated_at,
    }
)
INCIDENT_LINKS = View(
    {
        "incident_id": t.incident_links.c.incident_id,
        "step_result_id": t.incident_links.c.step_result_id,
    }
)
USERS = View(
    {
        "id": t.users.c.id,
        "name": t.users.c.name,
        "display_name": t.users.c.display_name,
        "email": t.users.c.email,
        "enabled": t.users.c.enabled,
    }
)
TASKS = View({"id": t.tasks.c.id, "title": t.tasks.c.title, "created_at": t.tasks.c.created_at})
CANDIDATES = View(
    {
        "id": t.candidates.c.id,
        "ticket_id": t.candidates.c.ticket_id,
        "external_id": t.candidates.c.external_id,
        "fullname": t.candidates.c.fullname,
        "email": t.candidates.c.email,
        "code": t.candidates.c.invitation_code,
        "group": t.candidates.c.group_name,
        "created_at": t.candidates.c.created_at,
    }
)
# a test instance beside its candidate (the instances are read joined to their candidates)
TEST_INSTANCES = View(
    {
        **{name: column for name, column in CANDIDATES.fields.items() if name not in ("id", "created_at")},
        "id": t.test_instances.c.id,
        "candidate_id": t.test_instances.c.candidate_id,
        "step_id": t.test_instances.c.step_id,
        "status": t.test_instances.c.status,
        "created_at": t.test_instances.c.created_at,
    }
)

# ------------------------------------------------------------------------------------ queries
# Each compiles the selection first (a bad one is refused before anything is read), then
# reads the workspace's rows through the feature's own use case.


def query_runs(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[Execution], int]:
    return assignments.query_runs(app, principal, _window(RUNS, selection))


def query_assignment_runs(
    app: AppContext, principal: Principal, assignment_id: str, selection: Selection
) -> tuple[list[Execution], int]:
    return assignments.query_assignment_runs(app, principal, assignment_id, _window(RUNS, selection))


def query_packages(
    app: AppContext, principal: Principal, selection: Selection, *, children_of: str | None = None
) -> tuple[list[Package], int]:
    return assignments.query_packages(app, principal, _window(PACKAGES, selection), children_of=children_of)


def query_suites(
    app: AppContext, principal: Principal, selection: Selection, *, children_of: str | None = None
) -> tuple[list[Suite], int]:
    return suites.query_suites(app, principal, _window(SUITES, selection), children_of=children_of)


def query_test_cases(
    app: AppContext, principal: Principal, selection: Selection, *, kind: str
) -> tuple[list[TestCase], int]:
    return test_cases.query_test_cases(app, principal, _window(TEST_CASES, selection), kind=kind)


def query_assignments(
    app: AppContext, principal: Principal, selection: Selection
) -> tuple[list[Assignment], int]:
    return assignments.query_assignments(app, principal, _window(ASSIGNMENTS, selection))


def query_plans(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[Plan], int]:
    """The workspace's plans in the selection, in creation order (ids are time-ordered)."""
    principal.require(Permission.READ)
    window = _window(PLANS, selection)
    with app.db.reading() as session:
        return Repository(session, Plan, principal.workspace_id, "plan").offset_page(window, t.plans.c.id)


def query_plan_runs(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[PlanRun], int]:
    """The workspace's plan runs in the selection, newest first."""
    principal.require(Permission.READ)
    window = _window(PLAN_RUNS, selection)
    with app.db.reading() as session:
        runs = Repository(session, PlanRun, principal.workspace_id, "plan run")
        return runs.offset_page(window, t.plan_runs.c.id.desc())


def query_projects(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[Project], int]:
    return projects.query_projects(app, principal, _window(PROJECTS, selection))


def query_step_attachments(
    app: AppContext, principal: Principal, step_result_id: str, selection: Selection
) -> tuple[list[Artifact], int]:
    return manual.step_attachments(app, principal, step_result_id, _window(STEP_ATTACHMENTS, selection))


def query_attachments(
    app: AppContext, principal: Principal, holder: Holder, holder_id: str, selection: Selection
) -> tuple[list[Attachment], int]:
    window = _window(ATTACHMENTS, selection)
    return attachments.list_attachments(app, principal, holder, holder_id, window)


def query_comments(
    app: AppContext, principal: Principal, incident_id: str, selection: Selection
) -> tuple[list[Comment], int]:
    return incidents.list_comments(app, principal, incident_id, _window(COMMENTS, selection))


def query_incidents(
    app: AppContext, principal: Principal, selection: Selection
) -> tuple[list[incidents.IncidentView], int]:
    return incidents.query_incidents(app, principal, _window(INCIDENTS, selection))


def query_step_links(
    app: AppContext, principal: Principal, step_result_id: str, selection: Selection
) -> tuple[list[incidents.Link], int]:
    return incidents.step_links(app, principal, step_result_id, _window(INCIDENT_LINKS, selection))


def query_users(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[User], int]:
    return users.query_users(app, principal, _window(USERS, selection))


def query_tasks(
    app: AppContext, principal: Principal, selection: Selection
) -> tuple[list[tasks.TaskView], int]:
    return tasks.query_tasks(app, principal, _window(TASKS, selection))


def query_candidates(
    app: AppContext, principal: Principal, task_id: str, selection: Selection
) -> tuple[list[Candidate], int]:
    return candidates.query_candidates(app, principal, task_id, _window(CANDIDATES, selection))


def query_instances(
    app: AppContext, principal: Principal, task_id: str, selection: Selection, *, label: str | None = None
) -> tuple[list[test_instances.InstanceView], int]:
    """A task's instances; `label` keeps those whose candidate carries it (labels are a JSON
    list, which the tree does not search)."""
    return test_instances.query_instances(
        app, principal, task_id, _window(TEST_INSTANCES, selection), label=label
    )
