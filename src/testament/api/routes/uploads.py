"""/api/v1/uploads: versioned files (app packages, bundles) that plan runs test against."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.schemas import FILE, FromDomain, Items
from testament.services import uploads as svc
from testament.services.blobs import download_headers

router = APIRouter(tags=["uploads"])


class UploadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=500)
    description: str = ""


class UploadPublic(FromDomain):
    id: str
    name: str
    description: str
    created_at: datetime


class UploadVersionPublic(FromDomain):
    id: str
    upload_id: str
    name: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime


@router.post("/uploads", status_code=201, operation_id="createUpload", summary="Create an upload")
def create_upload(body: UploadBody, ctx: Ctx, principal: CurrentPrincipal) -> UploadPublic:
    """A named, versioned file (an app package, a bundle) that plan runs test against. Testers, managers
    and admins may call it."""
    return UploadPublic.of(svc.create_upload(ctx, principal, name=body.name, description=body.description))


@router.get("/uploads", operation_id="listUploads", summary="List uploads")
def list_uploads(ctx: Ctx, principal: CurrentPrincipal) -> Items[UploadPublic]:
    """The workspace's uploads. Any role may call it."""
    return Items(items=[UploadPublic.of(u) for u in svc.list_uploads(ctx, principal)])


@router.post(
    "/uploads/{upload_id}/versions",
    status_code=201,
    operation_id="addUploadVersion",
    summary="Add an upload version",
)
async def add_version(
    upload_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    name: Annotated[str, Query(min_length=1, max_length=200, description="the version, e.g. 2.4.1")],
    file_name: Annotated[str, Query(min_length=1, max_length=255)] = "file",
) -> UploadVersionPublic:
    """The request body is the file itself; its Content-Type is kept as the version's media type. A
    version's name (such as 2.4.1) is unique within its upload (409). Testers, managers and admins may
    call it."""
    data = await request.body()
    media_type = request.headers.get("content-type", "application/octet-stream")
    version = await run_in_threadpool(
        svc.add_version,
        ctx,
        principal,
        upload_id,
        name=name,
        file_name=file_name,
        data=data,
        media_type=media_type,
    )
    return UploadVersionPublic.of(version)


@router.get(
    "/uploads/{upload_id}/versions", operation_id="listUploadVersions", summary="List an upload's versions"
)
def list_versions(upload_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Items[UploadVersionPublic]:
    """The upload's versions, oldest first. Any role may call it."""
    return Items(items=[UploadVersionPublic.of(v) for v in svc.list_versions(ctx, principal, upload_id)])


@router.get(
    "/upload-versions/{version_id}/content",
    response_class=StreamingResponse,
    responses={200: {"description": "the file, with its media type", "content": FILE}},
    operation_id="downloadUploadVersion",
    summary="Download an upload version",
)
def download_version(version_id: str, ctx: Ctx, principal: CurrentPrincipal) -> StreamingResponse:
    """The version's file, with its media type and file name. Any role may call it."""
    _upload, version = svc.get_version(ctx, principal, version_id)
    chunks = svc.open_version(ctx, version)
    headers = download_headers(version.file_name, version.size)
    return StreamingResponse(chunks, media_type=version.media_type, headers=headers)
