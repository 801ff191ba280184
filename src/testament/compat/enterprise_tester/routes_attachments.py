"""Enterprise Tester's attachments of scripts and incidents (multipart uploads, OData lists,
deletes), deleting a step result's attachment, and an incident's comments.

Every attachment's `Self` is `GET /api/attachment/{id}/contents`, as the vendor links them.
"""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from testament.compat.enterprise_tester import translate
from testament.compat.enterprise_tester.calls import Call, Caller, odata_query, uploaded_files
from testament.compat.enterprise_tester.errors import EtError
from testament.compat.enterprise_tester.schemas import (
    AttachmentWire,
    IncidentCommentWire,
    QueryResults,
)
from testament.compat.wire import sent
from testament.domain.attachments import Attachment, Comment, Holder
from testament.domain.users import user_id_for
from testament.services import attachments, incidents
from testament.services.executions import artifacts, manual

__all__ = ["router"]

router = APIRouter(prefix="/api")

ATTACHMENT_FIELDS = translate.VendorFields(
    attachments.ATTACHMENTS,
    {
        "Id": "id",
        "Name": "name",
        "FileName": "name",
        "ContentType": "media_type",
        "Size": "size",
        "CreatedAt": "created_at",
    },
)
COMMENT_FIELDS = translate.VendorFields(
    incidents.COMMENTS, {"Id": "id", "Body": "body", "CreatedAt": "created_at"}
)
_HOLDER_FIELD = {Holder.TEST_CASE: "ScriptId", Holder.INCIDENT: "IncidentId"}


def _attachment_wire(call: Caller, attachment: Attachment) -> AttachmentWire:
    return AttachmentWire(
        Id=attachment.id,
        **{_HOLDER_FIELD[Holder(attachment.holder)]: attachment.holder_id},
        Name=attachment.name,
        FileName=attachment.name,
        ContentType=attachment.media_type,
        CreatedAt=translate.iso(attachment.created_at),
        CreatedById=user_id_for(attachment.workspace_id, attachment.created_by),
        Size=attachment.size,
        SourceId=None,
        Self=f"{call.base}api/attachment/{attachment.id}/contents",
    )


def _listed(call: Caller, holder: Holder, holder_id: str) -> dict[str, Any]:
    query = odata_query(call, ATTACHMENT_FIELDS)
    found, total = attachments.query_attachments(call.ctx, call.principal, holder, holder_id, query.selection)
    return query.envelope([_attachment_wire(call, a) for a in found], total)


async def _uploaded(call: Caller, request: Request, holder: Holder, holder_id: str) -> list[dict[str, Any]]:
    """Every file part of a multipart body becomes one attachment; the vendor answers the list."""
    made = []
    for upload in await uploaded_files(request):
        attachment = await run_in_threadpool(
            attachments.add_attachment,
            call.ctx,
            call.principal,
            holder,
            holder_id,
            name=upload.name,
            data=upload.data,
            media_type=upload.media_type,
        )
        made.append(sent(_attachment_wire(call, attachment)))
    return made


@router.get("/script/{script_id}/attachments", responses={200: {"model": QueryResults[AttachmentWire]}})
def list_script_attachments(script_id: str, call: Call) -> dict[str, Any]:
    return _listed(call, Holder.TEST_CASE, script_id)


@router.post(
    "/script/{script_id}/attachments", status_code=201, responses={201: {"model": list[AttachmentWire]}}
)
async def add_script_attachments(script_id: str, request: Request, call: Call) -> list[dict[str, Any]]:
    return await _uploaded(call, request, Holder.TEST_CASE, script_id)


@router.delete("/script/{script_id}/attachment/{attachment_id}")
def delete_script_attachment(script_id: str, attachment_id: str, call: Call) -> Response:
    attachments.delete_attachment(call.ctx, call.principal, Holder.TEST_CASE, script_id, attachment_id)
    return Response(status_code=200)


@router.get("/incident/{incident_id}/attachments", responses={200: {"model": QueryResults[AttachmentWire]}})
def list_incident_attachments(incident_id: str, call: Call) -> dict[str, Any]:
    return _listed(call, Holder.INCIDENT, incident_id)


@router.post(
    "/incident/{incident_id}/attachments", status_code=201, responses={201: {"model": list[AttachmentWire]}}
)
async def add_incident_attachments(incident_id: str, request: Request, call: Call) -> list[dict[str, Any]]:
    return await _uploaded(call, request, Holder.INCIDENT, incident_id)


@router.delete("/incident/{incident_id}/attachment/{attachment_id}")
def delete_incident_attachment(incident_id: str, attachment_id: str, call: Call) -> Response:
    attachments.delete_attachment(call.ctx, call.principal, Holder.INCIDENT, incident_id, attachment_id)
    return Response(status_code=200)


@router.delete("/stepresult/{step_id}/attachment/{attachment_id}")
def delete_step_attachment(step_id: str, attachment_id: str, call: Call) -> Response:
    """Delete one of the step result's attachments (its file too)."""
    attached, _total = manual.step_attachments(call.ctx, call.principal, step_id)
    if attachment_id.lower() not in {a.id for a in attached}:
        raise EtError(404, f"Attachment {attachment_id} of step result {step_id} was not found")
    artifacts.delete_artifact(call.ctx, call.principal, attachment_id.lower())
    return Response(status_code=200)


def comment_wire(comment: Comment, workspace_id: str) -> IncidentCommentWire:
    return IncidentCommentWire(
        Id=comment.id,
        Body=comment.body,
        CreatedById=user_id_for(workspace_id, comment.created_by),
        CreatedByUserName=comment.created_by,
        LastUpdatedById=user_id_for(workspace_id, comment.updated_by),
        LastUpdatedByUserName=comment.updated_by,
        CreatedAt=translate.iso(comment.created_at),
        LastUpdatedAt=translate.iso(comment.updated_at),
    )


@router.get("/incident/{incident_id}/comments", responses={200: {"model": QueryResults[IncidentCommentWire]}})
def list_incident_comments(incident_id: str, call: Call) -> dict[str, Any]:
    """An incident's comments (made with `Comments` on POST or PUT incident); OData options apply."""
    query = odata_query(call, COMMENT_FIELDS)
    found, total = incidents.query_comments(call.ctx, call.principal, incident_id, query.selection)
    return query.envelope([comment_wire(c, call.principal.workspace_id) for c in found], total)
