"""Projects: named areas of a workspace that group suites and packages (Enterprise Tester's
projects). A key sees every project of its workspace and nothing outside it; the default
project has the workspace's id and name, and a suite or package with no `project_id` is in it.
"""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput
from testament.domain.model import Project, Workspace
from testament.kit.ids import new_id
from testament.services import read_side
from testament.services.context import AppContext
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository
from testament.store.tables import packages, projects, suites

__all__ = [
    "PROJECTS",
    "add_default_project",
    "check_project",
    "create_project",
    "delete_project",
    "get_project",
    "query_projects",
    "rename_project",
]


def create_project(app: AppContext, principal: Principal, *, name: str) -> Project:
    """A new project in the caller's workspace (an administrator's call); names are unique."""
    principal.require(Permission.ADMINISTER)
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name", "must be 1 to 200 characters")
    project = Project(new_id(), principal.workspace_id, name, app.clock())
    with app.uow() as uow:
        uow.session.add(project)
        try:
            uow.session.flush()
        except IntegrityError:
            raise Conflict(f"a project named {name!r} already exists") from None
        uow.commit()
    return project


def add_default_project(session: Session, workspace: Workspace) -> None:
    """A new workspace's default project: the one suites and packages are in unless they name another."""
    session.add(Project(workspace.id, workspace.id, workspace.name, workspace.created_at))


def _projects(session: Session, principal: Principal) -> Repository[Project]:
    return Repository(session, Project, principal.workspace_id, "project")


def get_project(app: AppContext, principal: Principal, project_id: str) -> Project:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _projects(session, principal).get(project_id)


def query_projects(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[Project], int]:
    """The workspace's projects in a surface's query window (over the projects table)."""
    window = read_side.window(PROJECTS, selection)
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _projects(session, principal).offset_page(window, projects.c.id)


def check_project(session: Session, principal: Principal, project_id: str | None) -> str | None:
    """A project of the caller's workspace as stored on a suite or package: None for the
    default project (or none given)."""
    if project_id is None or project_id == principal.workspace_id:
        return None
    if _projects(session, principal).find(project_id) is None:
        raise InvalidInput("project_id", f"{project_id!r} is not a project of this workspace")
    return project_id


def rename_project(app: AppContext, principal: Principal, project_id: str, *, name: str) -> Project:
    """Rename a project (administrators); 409 when the name is taken."""
    principal.require(Permission.ADMINISTER)
    get_project(app, principal, project_id)
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name", "must be 1 to 200 characters")
    with app.uow() as uow:
        project = uow.session.get(Project, project_id)
        assert project is not None  # found above in this workspace
        project.name = name
        try:
            uow.session.flush()
        except IntegrityError:
            raise Conflict(f"a project named {name!r} already exists") from None
        uow.commit()
        return project


def delete_project(app: AppContext, principal: Principal, project_id: str) -> None:
    """Delete an empty project (administrators): not the default one, and none that still
    holds suites or packages."""
    principal.require(Permission.ADMINISTER)
    project = get_project(app, principal, project_id)
    if project.id == principal.workspace_id:
        raise Conflict("the default project is the workspace's own; it cannot be deleted")
    with app.uow() as uow:
        held = uow.session.scalar(
            select(func.count()).select_from(suites).where(suites.c.project_id == project.id)
        ) or uow.session.scalar(
            select(func.count()).select_from(packages).where(packages.c.project_id == project.id)
        )
        if held:
            raise Conflict(f"project {project.name} still holds suites or packages; delete them first")
        uow.session.execute(projects.delete().where(projects.c.id == project.id))
        uow.commit()


PROJECTS = View({"id": t.projects.c.id, "name": t.projects.c.name, "created_at": t.projects.c.created_at})
