"""Packages: nested folders of assignments (Enterprise Tester's execution packages), in a project."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput
from testament.domain.model import Package
from testament.kit.ids import new_id
from testament.services import read_side, references
from testament.services.context import AppContext
from testament.services.projects import check_project
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository
from testament.store.tables import assignments, packages

__all__ = [
    "PACKAGES",
    "create_package",
    "delete_package",
    "get_package",
    "list_packages",
    "query_packages",
    "update_package",
]


def _check_name(name: str) -> str:
    if not 1 <= len(name.strip()) <= 200:
        raise InvalidInput("name", "must be 1 to 200 characters")
    return name.strip()


def create_package(
    app: AppContext,
    principal: Principal,
    *,
    name: str,
    parent_id: str | None = None,
    project_id: str | None = None,
) -> Package:
    """A package at the top of a project (the default one unless named) or inside
    `parent_id` (and so in the parent's project)."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        project = check_project(uow.session, principal, project_id)
        if parent_id is not None:
            parent_id = references.resolve(uow.session, principal, references.PACKAGE, "parent_id", parent_id)
            parent = uow.session.get(Package, parent_id)
            assert parent is not None
            if project_id is not None and project != parent.project_id:
                raise InvalidInput("project_id", "must be the parent package's project")
            project = parent.project_id
        package = Package(
            new_id(), principal.workspace_id, _check_name(name), parent_id, app.clock(), project
        )
        uow.session.add(package)
        uow.commit()
    return package


def get_package(app: AppContext, principal: Principal, package_id: str) -> Package:
    """A package by id, or by a name only one package has."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return references.load(session, principal, references.PACKAGE, package_id)


def _packages(session: Session, principal: Principal) -> Repository[Package]:
    return Repository(session, Package, principal.workspace_id, "package")


def list_packages(app: AppContext, principal: Principal, *, parent_id: str | None = None) -> list[Package]:
    """The packages directly inside `parent_id` (top-level ones when None)."""
    principal.require(Permission.READ)
    inside = packages.c.parent_id == parent_id if parent_id else packages.c.parent_id.is_(None)
    with app.db.reading() as session:
        return list(session.scalars(_packages(session, principal).select(inside).order_by(packages.c.id)))


def query_packages(
    app: AppContext, principal: Principal, selection: Selection, *, children_of: str | None = None
) -> tuple[list[Package], int]:
    """Packages in a surface's query window (over the packages table): every package of the
    workspace, or those directly inside `children_of`."""
    window = read_side.window(PACKAGES, selection)
    principal.require(Permission.READ)
    inside = [] if children_of is None else [packages.c.parent_id == children_of]
    with app.db.reading() as session:
        return _packages(session, principal).offset_page(window, packages.c.id, *inside)


def update_package(
    app: AppContext,
    principal: Principal,
    package_id: str,
    *,
    name: str | None = None,
    parent_id: object = ...,
) -> Package:
    """Rename a package or move it (`parent_id` None: to the top); never into itself or a
    package inside it."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        package = references.load(uow.session, principal, references.PACKAGE, package_id)
        if name is not None:
            package.name = _check_name(name)
        if parent_id is None:
            package.parent_id = None
        elif isinstance(parent_id, str):
            parent = references.resolve(uow.session, principal, references.PACKAGE, "parent_id", parent_id)
            if package.id in _package_and_ancestors(uow.session, parent):
                raise InvalidInput("parent_id", "must not be the package itself or a package inside it")
            package.parent_id = parent
        uow.commit()
        return package


def _package_and_ancestors(session: Any, package_id: str) -> list[str]:
    found, current = [], session.get(Package, package_id)
    while current is not None and current.id not in found:
        found.append(current.id)
        current = session.get(Package, current.parent_id) if current.parent_id else None
    return found


def delete_package(app: AppContext, principal: Principal, package_id: str) -> None:
    """Delete a package and the packages inside it; refused while any of them holds assignments."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        package = references.load(uow.session, principal, references.PACKAGE, package_id)
        inside = _package_tree(uow.session, package.id)
        held = uow.session.scalar(select(func.count()).where(assignments.c.package_id.in_(inside)))
        if held:
            raise Conflict(f"package {package.name} still holds {held} assignment(s); delete them first")
        uow.session.execute(packages.delete().where(packages.c.id == package.id))
        uow.commit()


def _package_tree(session: Any, package_id: str) -> list[str]:
    found, frontier = [package_id], [package_id]
    while frontier:
        frontier = list(session.scalars(select(packages.c.id).where(packages.c.parent_id.in_(frontier))))
        found += frontier
    return found


PACKAGES = View(
    {
        "id": t.packages.c.id,
        "name": t.packages.c.name,
        "parent_id": t.packages.c.parent_id,
        "project_id": func.coalesce(t.packages.c.project_id, t.packages.c.workspace_id),
        "created_at": t.packages.c.created_at,
    }
)
