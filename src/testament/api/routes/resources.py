"""/api/v1/resources/{kind}: workspace resources that test kinds use.

For example `connect.lambda` maps a Lambda ARN to a local URL the connect runner calls:
`{"name": "my-fn", "body": {"FunctionArn": "arn:aws:lambda:...:function:my-fn", "Url": "http://..."}}`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.schemas import FromDomain, Page
from testament.services import resources as svc

router = APIRouter(prefix="/resources/{kind}", tags=["resources"])


class ResourceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=500)
    description: str = ""
    body: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class ResourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str | None = None
    body: dict[str, Any] | None = None


class ResourcePublic(FromDomain):
    id: str
    kind: str
    name: str
    description: str
    body: dict[str, Any]
    tags: dict[str, str]


@router.post("", status_code=201, operation_id="createResource", summary="Create a resource")
def create_resource(kind: str, body: ResourceBody, ctx: Ctx, principal: CurrentPrincipal) -> ResourcePublic:
    """A workspace resource that runners use, of a `kind` such as `connect.flow`, `connect.queue` or
    `connect.lambda` (which maps a Lambda ARN to a local URL). Its name is unique among the resources of
    its kind (409). Testers, managers and admins may call it."""
    return ResourcePublic.of(svc.create_resource(ctx, principal, kind=kind, **body.model_dump()))


@router.get("", operation_id="listResources", summary="List resources")
def list_resources(
    kind: str,
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> Page[ResourcePublic]:
    """The workspace's resources of `kind`, cursor-paginated. Any role may call it."""
    page = svc.list_resources(ctx, principal, kind, limit=limit, cursor=cursor)
    return Page(items=[ResourcePublic.of(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/{resource_id}", operation_id="getResource", summary="Get a resource")
def get_resource(kind: str, resource_id: str, ctx: Ctx, principal: CurrentPrincipal) -> ResourcePublic:
    """A resource of `kind` by id. Any role may call it."""
    return ResourcePublic.of(svc.get_resource(ctx, principal, kind, resource_id))


@router.patch("/{resource_id}", operation_id="updateResource", summary="Change a resource")
def update_resource(
    kind: str, resource_id: str, body: ResourceUpdate, ctx: Ctx, principal: CurrentPrincipal
) -> ResourcePublic:
    """Change the fields given. Testers, managers and admins may call it."""
    return ResourcePublic.of(svc.update_resource(ctx, principal, kind, resource_id, **body.model_dump()))


@router.delete("/{resource_id}", status_code=204, operation_id="deleteResource", summary="Delete a resource")
def delete_resource(kind: str, resource_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """Delete a resource. Managers and admins may call it."""
    svc.delete_resource(ctx, principal, kind, resource_id)
    return Response(status_code=204)
