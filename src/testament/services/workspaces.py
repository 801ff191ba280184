"""Workspaces: the tenants. An operator makes them (CLI); everything else belongs to one."""

from sqlalchemy.orm import Session

from testament.domain.errors import InvalidInput, NotFound
from testament.domain.model import Workspace
from testament.kit.ids import new_id
from testament.services import projects
from testament.services.context import AppContext

__all__ = ["create_workspace", "exists", "get_workspace"]


def _check_name(field: str, value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 200:
        raise InvalidInput(field, "must be 1 to 200 characters")
    return value


def create_workspace(app: AppContext, name: str) -> Workspace:
    """An operator's command (CLI), not a principal's: there is no principal before a workspace."""
    workspace = Workspace(id=new_id(), name=_check_name("name", name), created_at=app.clock())
    with app.uow() as uow:
        uow.session.add(workspace)
        uow.session.flush()
        projects.add_default_project(uow.session, workspace)
        uow.commit()
    return workspace


def get_workspace(app: AppContext, workspace_id: str) -> Workspace:
    with app.db.reading() as session:
        workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace", workspace_id)
    return workspace


def exists(session: Session, workspace_id: str) -> bool:
    return session.get(Workspace, workspace_id) is not None
