"""Workspace resources: named documents that test kinds use (Connect flows, queues, hours of
operation, Lambda URLs ...). One store for all of them, keyed by a namespaced kind.

A reference finds a resource by its id, by its name, or by an ARN (or other path) whose
last segment is its id or name, so flows exported from a real instance resolve unchanged.
"""

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import InvalidInput, NotFound
from testament.domain.model import Resource
from testament.kit.ids import new_id
from testament.services import blobs
from testament.services.context import AppContext, UnitOfWork
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.store.repository import Repository
from testament.store.tables import resources, upload_versions

__all__ = [
    "create_resource",
    "delete_resource",
    "find_resource",
    "get_resource",
    "list_resources",
    "reference_keys",
    "update_resource",
]

KIND_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
MANAGED = {"plan.run_config": "/api/v1/plans/{plan_id}/run-configs"}  # kinds whose bodies a service validates


def _check_unmanaged(kind: str, managed: bool) -> None:
    if kind in MANAGED and not managed:
        raise InvalidInput("kind", f"{kind} resources are managed through {MANAGED[kind]}")


def _check(kind: str, name: str | None, description: str | None) -> None:
    if not re.fullmatch(KIND_PATTERN, kind) or len(kind) > 64:
        raise InvalidInput("kind", "must be a dotted lowercase name such as connect.flow")
    if name is not None and not 1 <= len(name) <= 500:
        raise InvalidInput("name", "must be 1 to 500 characters")
    if description is not None and len(description) > 4096:
        raise InvalidInput("description", "must be at most 4096 characters")


def reference_keys(reference: str) -> set[str]:
    """What a reference may match: itself, and the last segment after '/' or ':' (ARNs)."""
    return {reference, reference.rsplit("/", 1)[-1], reference.rsplit(":", 1)[-1]} - {""}


def _of_kind(session: Session, workspace_id: str, kind: str) -> Repository[Resource]:
    """The workspace's resources; every read names the kind too (`resources.c.kind == kind`)."""
    return Repository(session, Resource, workspace_id, kind)


def _load(uow_session: Session, principal: Principal, kind: str, reference: str) -> Resource:
    """A resource of this kind by its id or its name (names are unique per kind and workspace)."""
    found = list(
        uow_session.scalars(
            _of_kind(uow_session, principal.workspace_id, kind).select(
                resources.c.kind == kind, (resources.c.id == reference) | (resources.c.name == reference)
            )
        )
    )
    if not found:
        raise NotFound(kind, reference)
    return next((r for r in found if r.id == reference), found[0])


def _save(uow: UnitOfWork, resource: Resource) -> None:
    noun = resource.kind.rpartition(".")[2].replace("_", " ")  # plan.run_config: run config
    uow.save_named(resource, noun)
    uow.commit()


def create_resource(
    app: AppContext,
    principal: Principal,
    *,
    kind: str,
    name: str,
    body: dict[str, Any],
    description: str = "",
    tags: dict[str, str] | None = None,
    managed: bool = False,
) -> Resource:
    principal.require(Permission.WRITE)
    _check_unmanaged(kind, managed)
    _check(kind, name, description)
    now = app.clock()
    resource = Resource(
        id=new_id(),
        workspace_id=principal.workspace_id,
        kind=kind,
        name=name,
        description=description,
        body=dict(body),
        tags=dict(tags or {}),
        created_at=now,
        updated_at=now,
    )
    with app.uow() as uow:
        _save(uow, resource)
    return resource


def update_resource(
    app: AppContext,
    principal: Principal,
    kind: str,
    resource_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    body: dict[str, Any] | None = None,
    managed: bool = False,
) -> Resource:
    principal.require(Permission.WRITE)
    _check_unmanaged(kind, managed)
    _check(kind, name, description)
    with app.uow() as uow:
        resource = _load(uow.session, principal, kind, resource_id)
        if name is not None:
            resource.name = name
        if description is not None:
            resource.description = description
        if body is not None:
            resource.body = dict(body)
        resource.updated_at = app.clock()
        _save(uow, resource)
    return resource


def get_resource(app: AppContext, principal: Principal, kind: str, resource_id: str) -> Resource:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _load(session, principal, kind, resource_id)


def find_resource(app: AppContext, workspace_id: str, kind: str, reference: str) -> Resource | None:
    """Resolve a reference inside one workspace (for runners, through their run context)."""
    keys = reference_keys(reference)
    with app.db.reading() as session:
        candidates = list(
            session.scalars(
                _of_kind(session, workspace_id, kind).select(
                    resources.c.kind == kind, resources.c.id.in_(keys) | resources.c.name.in_(keys)
                )
            )
        )
    by_id = [r for r in candidates if r.id in keys]
    best = by_id or candidates
    return best[0] if best else None


def list_resources(
    app: AppContext, principal: Principal, kind: str, *, limit: int = 100, cursor: str | None = None
) -> Page[Resource]:
    principal.require(Permission.READ)
    check_limit(limit)
    after = decode_cursor(app.cursors, f"resources:{kind}", cursor)
    with app.db.reading() as session:
        rows = _of_kind(session, principal.workspace_id, kind).keyset(
            resources.c.id, after, limit, resources.c.kind == kind
        )
    return make_page(app.cursors, f"resources:{kind}", rows, limit, key=lambda r: r.id)


def delete_resource(app: AppContext, principal: Principal, kind: str, resource_id: str) -> None:
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        resource = _load(uow.session, principal, kind, resource_id)
        versions = select(upload_versions.c.path).where(upload_versions.c.upload_id == resource.id)
        kept_files = list(uow.session.scalars(versions))  # an upload's; its rows go with it
        uow.session.delete(resource)
        uow.commit()
    blobs.delete_blobs(app, kept_files, app.settings.data_dir)
