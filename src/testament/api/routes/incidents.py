"""/api/v1/incidents: defects raised while testing, linked to the step results they were seen
on. Anyone reads them; testers raise, change and link them; managers and admins delete them."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.errors import raises
from testament.api.schemas import Page, Strict
from testament.domain.attachments import MAX_COMMENT, Comment
from testament.domain.errors import NotFound
from testament.domain.incidents import MAX_SUMMARY, PICKLISTS, IncidentChange
from testament.services import incidents as svc

router = APIRouter(tags=["incidents"])


class IncidentPublic(BaseModel):
    id: str
    number: int = Field(description="1, 2, 3… in the workspace")
    project_id: str
    summary: str
    description: str
    type: str
    priority: str
    status: str
    resolution: str | None = Field(description="set exactly when the status is Resolved or Closed")
    assignee_id: str | None
    assignee: str | None = Field(description="the assignee's user name")
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="1 when raised, one more with every change")
    field_values: dict[str, Any]
    step_result_ids: list[str] = Field(description="the step results it is linked to, oldest link first")

    @classmethod
    def of(cls, view: svc.IncidentView) -> "IncidentPublic":
        x = view.incident
        return cls(
            id=x.id,
            number=x.number,
            project_id=x.project_id,
            summary=x.summary,
            description=x.description,
            type=x.type,
            priority=x.priority,
            status=x.status,
            resolution=x.resolution,
            assignee_id=x.assignee_id,
            assignee=view.assignee,
            created_by=x.created_by,
            updated_by=x.updated_by,
            created_at=x.created_at,
            updated_at=x.updated_at,
            version=x.version,
            field_values=x.field_values,
            step_result_ids=[link.step_result_id for link in view.links],
        )


_PICKED = "one of the values GET /incident-picklists lists for it"


class IncidentChangeBody(Strict):
    summary: str | None = Field(default=None, max_length=MAX_SUMMARY)
    description: str | None = None
    type: str | None = Field(default=None, description=_PICKED)
    priority: str | None = Field(default=None, description=_PICKED)
    status: str | None = Field(default=None, description=_PICKED)
    resolution: str | None = Field(default=None, description=f"{_PICKED}; null clears it")
    assignee_id: str | None = Field(default=None, description="a user's id; null unassigns")
    field_values: dict[str, Any] | None = Field(default=None, description="merged into the kept values")

    def change(self) -> IncidentChange:
        """Only the fields the body gives."""
        return IncidentChange(**{name: getattr(self, name) for name in self.model_fields_set})


class IncidentCreate(IncidentChangeBody):
    summary: str | None = Field(default=None, min_length=1, max_length=MAX_SUMMARY)
    project_id: str | None = Field(default=None, description="the workspace's default project if not given")
    step_result_ids: list[str] = Field(default_factory=list, description="step results to link it to")

    def change(self) -> IncidentChange:
        given = self.model_fields_set - {"project_id", "step_result_ids"}
        return IncidentChange(**{name: getattr(self, name) for name in given})


class IncidentLinkPublic(BaseModel):
    incident_id: str
    step_result_id: str
    execution_id: str = Field(description="the manual run the step result is part of")
    created_by: str
    created_at: datetime


@router.get("/incident-picklists", operation_id="listIncidentPicklists", summary="List incident picklists")
def list_picklists(principal: CurrentPrincipal) -> dict[str, list[str]]:
    """The values each picklist field of an incident takes, in order. Any role may call it."""
    return {name: [m.value for m in kind] for name, kind in PICKLISTS.items()}


@router.get("/incidents", operation_id="listIncidents", summary="List incidents")
def list_incidents(
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: str | None = None,
    status: str | None = None,
) -> Page[IncidentPublic]:
    """The workspace's incidents, newest first, optionally of one status. Any role may call it."""
    page = svc.list_incidents(ctx, principal, limit=limit, cursor=cursor, status=status)
    return Page(items=[IncidentPublic.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.post(
    "/incidents",
    status_code=201,
    operation_id="raiseIncident",
    summary="Raise an incident",
    responses=raises(NotFound),  # a step result or assignee it names
)
def raise_incident(body: IncidentCreate, ctx: Ctx, principal: CurrentPrincipal) -> IncidentPublic:
    """A new incident (a summary is required; Open, a Major Bug unless given), linked to the
    given step results. Testers, managers and admins."""
    view = svc.raise_incident(
        ctx, principal, body.change(), project_id=body.project_id, step_result_ids=body.step_result_ids
    )
    return IncidentPublic.of(view)


@router.get("/incidents/{incident_id}", operation_id="getIncident", summary="Get an incident")
def get_incident(incident_id: str, ctx: Ctx, principal: CurrentPrincipal) -> IncidentPublic:
    """An incident with the step results it is linked to. Any role may call it."""
    return IncidentPublic.of(svc.get_incident(ctx, principal, incident_id))


@router.patch("/incidents/{incident_id}", operation_id="updateIncident", summary="Change an incident")
def update_incident(
    incident_id: str, body: IncidentChangeBody, ctx: Ctx, principal: CurrentPrincipal
) -> IncidentPublic:
    """Change what the body gives; resolving or closing needs a resolution, reopening drops it.
    Testers, managers and admins."""
    return IncidentPublic.of(svc.update_incident(ctx, principal, incident_id, body.change()))


@router.delete(
    "/incidents/{incident_id}", status_code=204, operation_id="deleteIncident", summary="Delete an incident"
)
def delete_incident(incident_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """Managers and admins."""
    svc.delete_incident(ctx, principal, incident_id)
    return Response(status_code=204)


@router.put(
    "/incidents/{incident_id}/step-results/{step_result_id}",
    operation_id="linkIncident",
    summary="Link an incident to a step result",
)
def link_incident(
    incident_id: str, step_result_id: str, ctx: Ctx, principal: CurrentPrincipal, response: Response
) -> IncidentLinkPublic:
    """201 when linked now, 200 when it already was. Testers, managers and admins."""
    link, created = svc.link_step(ctx, principal, incident_id, step_result_id)
    response.status_code = 201 if created else 200
    return IncidentLinkPublic(**vars(link))


@router.delete(
    "/incidents/{incident_id}/step-results/{step_result_id}",
    status_code=204,
    operation_id="unlinkIncident",
    summary="Unlink an incident from a step result",
)
def unlink_incident(incident_id: str, step_result_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """The incident no longer names that step result. Testers, managers and admins."""
    svc.unlink_step(ctx, principal, incident_id, step_result_id)
    return Response(status_code=204)


class CommentBody(Strict):
    body: str = Field(min_length=1, max_length=MAX_COMMENT)


class CommentPublic(BaseModel):
    id: str
    incident_id: str
    body: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, c: Comment) -> "CommentPublic":
        return cls(
            id=c.id, incident_id=c.incident_id, body=c.body, created_by=c.created_by, created_at=c.created_at
        )


@router.post(
    "/incidents/{incident_id}/comments",
    status_code=201,
    operation_id="addIncidentComment",
    summary="Comment on an incident",
)
def add_comment(incident_id: str, body: CommentBody, ctx: Ctx, principal: CurrentPrincipal) -> CommentPublic:
    """Testers, managers and admins."""
    return CommentPublic.of(svc.add_comment(ctx, principal, incident_id, body.body))


@router.get(
    "/incidents/{incident_id}/comments",
    operation_id="listIncidentComments",
    summary="List an incident's comments",
)
def list_comments(incident_id: str, ctx: Ctx, principal: CurrentPrincipal) -> dict[str, list[CommentPublic]]:
    """Oldest first. Any role may call it."""
    found, _total = svc.list_comments(ctx, principal, incident_id)
    return {"items": [CommentPublic.of(c) for c in found]}
