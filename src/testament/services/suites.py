"""Suites: named, ordered groups of test cases, nested in a project's tree."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput
from testament.domain.model import Suite
from testament.kit.ids import new_id
from testament.kit.sentinels import UNSET
from testament.services import named, plans, read_side, references
from testament.services.context import AppContext
from testament.services.paging import Page
from testament.services.projects import check_project
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.tables import suites

__all__ = [
    "SUITES",
    "create_suite",
    "delete_suite",
    "get_suite",
    "leave_suites",
    "list_suites",
    "query_suites",
    "update_suite",
]


def create_suite(
    app: AppContext,
    principal: Principal,
    *,
    name: str,
    description: str = "",
    test_case_ids: list[str],
    parent_id: str | None = None,
    project_id: str | None = None,
) -> Suite:
    """A suite, at the top of a project (the default one unless named) or inside `parent_id`
    (and so in the parent's project)."""
    principal.require(Permission.WRITE)
    now = app.clock()
    with app.uow() as uow:
        project = check_project(uow.session, principal, project_id)
        parent_id = _check_parent(uow.session, principal, None, parent_id)
        if parent_id is not None:
            project = _parents_project(uow.session, principal, parent_id, project_id, project)
        suite = Suite(
            id=new_id(),
            workspace_id=principal.workspace_id,
            name=named.check_name(name),
            description=named.check_description(description),
            test_case_ids=named.check_members(
                uow.session, principal, references.TEST_CASE, "test_case_ids", test_case_ids
            ),
            created_at=now,
            updated_at=now,
            parent_id=parent_id,
            project_id=project,
        )
        named.save(uow, suite, "suite")
    return suite


def update_suite(
    app: AppContext,
    principal: Principal,
    suite_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    test_case_ids: list[str] | None = None,
    parent_id: str | None = UNSET,
) -> Suite:
    """Only what is given changes; `parent_id=None` moves the suite to the top level."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # two moves cannot each pass the cycle check
        suite = named.load(uow.session, references.SUITE, principal, suite_id)
        if parent_id is not UNSET:
            suite.parent_id = _check_parent(uow.session, principal, suite.id, parent_id)
            parent = uow.session.get(Suite, suite.parent_id) if suite.parent_id else None
            if parent is not None and parent.project_id != suite.project_id:
                raise InvalidInput("parent_id", "must be a suite of the same project")
        if description is not None:
            suite.description = named.check_description(description)
        if test_case_ids is not None:
            suite.test_case_ids = named.check_members(
                uow.session, principal, references.TEST_CASE, "test_case_ids", test_case_ids
            )
        if name is not None:  # after the queries above: a taken name must meet _save's write, not theirs
            suite.name = named.check_name(name)
        suite.updated_at = app.clock()
        named.save(uow, suite, "suite")
    return suite


def _parents_project(
    session: Session, principal: Principal, parent_id: str, given: str | None, project: str | None
) -> str | None:
    parent = references.load(session, principal, references.SUITE, parent_id)
    if given is not None and project != parent.project_id:
        raise InvalidInput("project_id", "must be the parent suite's project")
    return parent.project_id


def _check_parent(
    session: Session, principal: Principal, suite_id: str | None, parent_id: str | None
) -> str | None:
    """The id of the suite `parent_id` names (by id or name): one of this workspace that is
    neither the suite itself nor inside it (no cycles)."""
    if parent_id is None:
        return None
    parent_id = references.resolve(session, principal, references.SUITE, "parent_id", parent_id)
    ancestor: str | None = parent_id
    seen: set[str] = set()
    while ancestor is not None and ancestor not in seen:  # `seen`: never loop, whatever is stored
        if ancestor == suite_id:
            raise InvalidInput("parent_id", "must not be the suite itself or a suite inside it")
        seen.add(ancestor)
        ancestor = session.scalar(select(suites.c.parent_id).where(suites.c.id == ancestor))
    return parent_id


def get_suite(app: AppContext, principal: Principal, ident: str) -> Suite:
    """A suite by id or name."""
    return named.read_named(app, principal, references.SUITE, ident)


def list_suites(
    app: AppContext, principal: Principal, *, limit: int = 50, cursor: str | None = None
) -> Page[Suite]:
    return named.list_named(app, principal, references.SUITE, limit=limit, cursor=cursor)


def query_suites(
    app: AppContext, principal: Principal, selection: Selection, *, children_of: str | None = None
) -> tuple[list[Suite], int]:
    """Suites in a surface's query window (over the suites table): every suite of the
    workspace, or those directly inside `children_of`."""
    window = read_side.window(SUITES, selection)
    principal.require(Permission.READ)
    inside = [] if children_of is None else [suites.c.parent_id == children_of]
    with app.db.reading() as session:
        return named.mine(session, principal, references.SUITE).offset_page(window, suites.c.id, *inside)


def delete_suite(app: AppContext, principal: Principal, ident: str) -> None:
    """Delete a suite and the suites inside it; refused while a plan uses any of them."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # a plan cannot take it up in between
        suite = named.load(uow.session, references.SUITE, principal, ident)
        _refuse_if_referenced(uow.session, principal, suite.id)
        uow.session.delete(suite)
        uow.commit()


def _subtree(session: Session, suite_id: str) -> list[str]:
    """The suite and every suite inside it, at any depth (they are deleted with it)."""
    found, frontier = [suite_id], [suite_id]
    while frontier:
        inside = session.scalars(select(suites.c.id).where(suites.c.parent_id.in_(frontier)))
        frontier = [ident for ident in inside if ident not in found]
        found += frontier
    return found


def _refuse_if_referenced(session: Session, principal: Principal, suite_id: str) -> None:
    doomed = _subtree(session, suite_id)
    user = plans.first_plan_using(session, principal, doomed)
    if user is not None:
        plan_name, ident = user
        inside = "" if ident == suite_id else f" (inside suite {suite_id})"
        raise Conflict(f"suite {ident}{inside} is used by plan {plan_name!r}; remove it from the plan first")


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


def leave_suites(session: Session, principal: Principal, case_id: str) -> None:
    """A deleted test case leaves every suite (a suite is what to run next time; what ran
    before keeps its suite id on the executions)."""
    for suite in session.scalars(named.mine(session, principal, references.SUITE).select()):
        if case_id in suite.test_case_ids:
            suite.test_case_ids = [c for c in suite.test_case_ids if c != case_id]
