"""Enterprise Tester's incidents: raise, search (TQL), read, change and delete them, link them to
step results, and read the picklists their fields refer to.

Picklist fields (`TypeId`, `PriorityId`, `StatusId`, `ResolutionId`) take the value's `Id`
(from `GET /api/project/{id}/picklist/{type}`) or its text; `$expand=Status,Priority,Type,
Resolution` inlines them as Picklist objects.
"""

from typing import Any

from fastapi import APIRouter, Response

from testament.compat.enterprise_tester import translate
from testament.compat.enterprise_tester.calls import Call, Caller, odata_query, tql_query
from testament.compat.enterprise_tester.errors import EtError
from testament.compat.enterprise_tester.patches import custom_values
from testament.compat.enterprise_tester.picklists import (
    picklist_type,
    picklist_value,
    picklist_wire,
    text_of_picklist,
)
from testament.compat.enterprise_tester.schemas import (
    INCIDENT_RULE,
    CommentInput,
    IncidentInput,
    IncidentLinkInput,
    IncidentWire,
    NamedEntity,
    NewIncidentInput,
    Operation,
    PicklistWire,
    QueryResults,
    StepRunResultIncidentWire,
)
from testament.compat.wire import sent
from testament.domain import errors as e
from testament.domain.attachments import Holder, checked_comment
from testament.domain.incidents import (
    IncidentChange,
    IncidentPriority,
    IncidentResolution,
    IncidentStatus,
    IncidentType,
)
from testament.domain.users import user_id_for
from testament.services import attachments, incidents, projects

__all__ = ["INCIDENT_FIELDS", "router", "step_incidents_wire"]

router = APIRouter(prefix="/api")

INCIDENT_FIELDS = translate.VendorFields(
    incidents.INCIDENTS,
    {
        "Id": "id",
        "Summary": "summary",
        "Description": "description",
        "IncidentNumber": "number",
        "Status": "status",
        "Priority": "priority",
        "Type": "type",
        "Resolution": "resolution",
        "ProjectId": "project_id",
        "AssignedToId": "assignee_id",
        "CreatedBy": "created_by",
        "CreatedAt": "created_at",
        "LastUpdatedAt": "updated_at",
    },
)
LINK_FIELDS = translate.VendorFields(
    incidents.INCIDENT_LINKS, {"IncidentId": "incident_id", "StepResultId": "step_result_id"}
)
_PICKLISTS = {"Type": IncidentType, "Priority": IncidentPriority, "Status": IncidentStatus}
_EXPANDS = ("Status", "Priority", "Type", "Resolution", "Project")


def incident_wire(call: Caller, view: incidents.IncidentView) -> IncidentWire:
    x, ws, expand = view.incident, view.incident.workspace_id, call.expand
    project = projects.get_project(call.ctx, call.principal, x.project_id)
    wire = IncidentWire(
        Id=x.id,
        Summary=x.summary,
        Description=x.description or None,
        AssignedToId=x.assignee_id,
        AssignedTo=view.assignee,
        TypeId=picklist_value(IncidentType, x.type),
        PriorityId=picklist_value(IncidentPriority, x.priority),
        StatusId=picklist_value(IncidentStatus, x.status),
        ResolutionId=picklist_value(IncidentResolution, x.resolution),
        AffectedVersionIds=[],
        FixedVersionIds=[],
        ComponentIds=[],
        ExternalSystemLinkIds=[],
        CreatedAt=translate.iso(x.created_at),
        LastUpdatedAt=translate.iso(x.updated_at),
        CreatedById=user_id_for(ws, x.created_by),
        CreatedBy=x.created_by,
        LastUpdatedById=user_id_for(ws, x.updated_by),
        LastUpdatedBy=x.updated_by,
        ProjectId=project.id,
        ProjectName=project.name,
        IncidentNumber=x.number,
        InternalId=f"INC-{x.number}",
        VersionNumber=x.version,
        HasAttachments=attachments.count_attachments(call.ctx, call.principal, Holder.INCIDENT, x.id) > 0,
        FieldValues=x.field_values,
        Expands=[name for name in _EXPANDS if name not in expand],
        Self=f"{call.base}api/incident/{x.id}",
    )
    for name, kind in (*_PICKLISTS.items(), ("Resolution", IncidentResolution)):
        if name in expand:
            setattr(wire, name, picklist_wire(kind, getattr(x, name.lower())))
    if "Project" in expand:
        wire.Project = NamedEntity(Id=project.id, Name=project.name)
    return wire


def _change(body: IncidentInput | None) -> IncidentChange:
    """The vendor's CreateOrUpdateIncident as a change: properties left out keep their values."""
    if body is None:
        raise EtError(403, INCIDENT_RULE)
    given: dict[str, Any] = {}
    sent = body.model_fields_set
    for prop, name in (("Summary", "summary"), ("Description", "description")):
        if prop in sent:
            given[name] = getattr(body, prop)
    for prop, kind, name in (
        ("TypeId", IncidentType, "type"),
        ("PriorityId", IncidentPriority, "priority"),
        ("StatusId", IncidentStatus, "status"),
    ):
        if getattr(body, prop) is not None:
            given[name] = text_of_picklist(kind, prop, getattr(body, prop))
    if "ResolutionId" in sent:
        given["resolution"] = text_of_picklist(IncidentResolution, "ResolutionId", body.ResolutionId)
    if "AssignedToId" in sent:
        given["assignee_id"] = body.AssignedToId or None
    if body.FieldValues is not None:
        given["field_values"] = body.FieldValues
    return IncidentChange(**given)


def _new_comments(comments: list[CommentInput] | None) -> list[str]:
    """The bodies of `Comments` without an `Id` (new ones), checked before anything is written;
    those with an `Id` are kept as they are."""
    texts = []
    for i, comment in enumerate(comments or []):
        if not comment.Id:
            try:
                texts.append(checked_comment(comment.Body))
            except e.InvalidInput as exc:
                raise EtError(403, f"Comments[{i}].Body {exc.rule}") from None
    return texts


def _add_comments(call: Caller, incident_id: str, texts: list[str]) -> None:
    for text in texts:
        incidents.add_comment(call.ctx, call.principal, incident_id, text)


@router.get("/incidents", responses={200: {"model": QueryResults[IncidentWire]}})
def search_incidents(call: Call) -> dict[str, Any]:
    """Every incident of the workspace, searched with TQL (e.g. `tql=Status = Open`)."""
    query = tql_query(call, INCIDENT_FIELDS)
    found, total = incidents.query_incidents(call.ctx, call.principal, query.selection)
    return query.envelope([incident_wire(call, v) for v in found], total)


@router.post("/incidents", responses={200: {"model": IncidentWire}})
def create_incident(call: Call, response: Response, body: NewIncidentInput | None = None) -> dict[str, Any]:
    """Raise an incident (`Summary` required); the vendor answers 200 with the incident."""
    comments = _new_comments(body.Comments if body else None)
    change = _change(body)
    view = incidents.raise_incident(
        call.ctx, call.principal, change, project_id=(body.ProjectId if body else None) or None
    )
    _add_comments(call, view.incident.id, comments)
    wire = incident_wire(call, view)
    response.headers["Location"] = wire.Self
    return sent(wire)


@router.get("/incident/{incident_id}", responses={200: {"model": IncidentWire}})
def get_incident(incident_id: str, call: Call) -> dict[str, Any]:
    return sent(incident_wire(call, incidents.get_incident(call.ctx, call.principal, incident_id)))


@router.put("/incident/{incident_id}", responses={200: {"model": IncidentWire}})
def update_incident(incident_id: str, call: Call, body: IncidentInput | None = None) -> dict[str, Any]:
    """Change what the body gives; a Resolved or Closed incident needs a `ResolutionId`."""
    comments = _new_comments(body.Comments if body else None)
    view = incidents.update_incident(call.ctx, call.principal, incident_id, _change(body))
    _add_comments(call, view.incident.id, comments)
    return sent(incident_wire(call, view))


@router.patch("/incident/{incident_id}", status_code=204)
def patch_incident(incident_id: str, call: Call, body: Operation | None = None) -> Response:
    """Set custom field values (the vendor's `Operation` body); they are kept as `FieldValues`."""
    values = custom_values(body)
    incidents.update_incident(call.ctx, call.principal, incident_id, IncidentChange(field_values=values))
    return Response(status_code=204)


@router.delete("/incident/{incident_id}")
def delete_incident(incident_id: str, call: Call) -> Response:
    incidents.delete_incident(call.ctx, call.principal, incident_id)
    return Response(status_code=200)


def _link_wire(call: Caller, link: incidents.Link) -> StepRunResultIncidentWire:
    return StepRunResultIncidentWire(
        StepResultId=link.step_result_id,
        IncidentId=link.incident_id,
        Self=f"{call.base}api/stepresult/{link.step_result_id}/incident/{link.incident_id}",
    )


@router.get(
    "/stepresult/{step_id}/incidents", responses={200: {"model": QueryResults[StepRunResultIncidentWire]}}
)
def list_step_incidents(step_id: str, call: Call) -> dict[str, Any]:
    """The incidents linked to a step result; OData options apply."""
    query = odata_query(call, LINK_FIELDS)
    found, total = incidents.query_step_links(call.ctx, call.principal, step_id, query.selection)
    return query.envelope([_link_wire(call, link) for link in found], total)


@router.post(
    "/stepresult/{step_id}/incidents",
    responses={200: {"model": StepRunResultIncidentWire}, 201: {"model": StepRunResultIncidentWire}},
)
def link_step_incident(
    step_id: str, call: Call, response: Response, body: IncidentLinkInput | None = None
) -> dict[str, Any]:
    """Link an incident (`IncidentId`) to the step result: 201, or 200 when already linked."""
    incident_id = body.IncidentId if body else None
    if not incident_id:
        raise EtError(403, "IncidentId must be the Id of an incident")
    link, created = incidents.link_step(call.ctx, call.principal, incident_id, step_id)
    wire = _link_wire(call, link)
    response.status_code = 201 if created else 200
    response.headers["Location"] = wire.Self
    return sent(wire)


@router.get(
    "/stepresult/{step_id}/incident/{incident_id}", responses={200: {"model": StepRunResultIncidentWire}}
)
def get_step_incident(step_id: str, incident_id: str, call: Call) -> dict[str, Any]:
    found, _total = incidents.step_links(call.ctx, call.principal, step_id)
    link = next((x for x in found if x.incident_id == incident_id.lower()), None)
    if link is None:
        raise EtError(404, f"Incident {incident_id} is not linked to step result {step_id}")
    return sent(_link_wire(call, link))


@router.delete("/stepresult/{step_id}/incident/{incident_id}")
def unlink_step_incident(step_id: str, incident_id: str, call: Call) -> Response:
    incidents.unlink_step(call.ctx, call.principal, incident_id, step_id)
    return Response(status_code=200)


@router.get(
    "/project/{project_id}/picklist/{picklist}", responses={200: {"model": QueryResults[PicklistWire]}}
)
def list_picklist(project_id: str, picklist: str, call: Call) -> dict[str, Any]:
    """The values of one incident picklist (IncidentTypes, Priorities, IncidentStatuses,
    IncidentResolutions); the same in every project."""
    kind = picklist_type(picklist)
    projects.get_project(call.ctx, call.principal, project_id.lower())
    items = [picklist_wire(kind, m.value) for m in kind]
    if call.params.get("$inlinecount") == "allpages":
        return sent(QueryResults(Skip=0, Top=len(items), Total=len(items), Items=items))
    return sent(QueryResults(Items=items))


def step_incidents_wire(call: Caller, step_id: str) -> list[StepRunResultIncidentWire]:
    """A step result's incident links, for `$expand=Incidents`."""
    found, _total = incidents.step_links(call.ctx, call.principal, step_id)
    return [_link_wire(call, link) for link in found]
