"""Enterprise Tester's relationships of scripts, script assignments and incidents, as the vendor's
Relationship tree: the entity itself at the root, what it relates to as `Children`.

Testament keeps one relationship between these entities: an incident raised on a step result
of a run. So a script and a script assignment relate to the incidents raised on their runs,
and an incident to the scripts and assignments whose runs it was raised on. `relationships`
answers those; `allrelationships` also gives each related entity's own relationships.
"""

from typing import Any

from fastapi import APIRouter

from testament.compat.enterprise_tester.calls import Call, Caller
from testament.compat.enterprise_tester.schemas import (
    RelationshipWire,
)
from testament.compat.wire import sent
from testament.services import assignments, incidents, test_cases
from testament.services.executions import manual

__all__ = ["router"]

router = APIRouter(prefix="/api")

_RAISED_ON = ("IncidentRaisedOn", "Incident raised on")  # the relationship type's key and name


def _node(
    entity_type: str, entity_id: str, name: str, *, direction: str = "", **shown: Any
) -> RelationshipWire:
    return RelationshipWire(
        EntityId=entity_id,
        Number=shown.get("number"),
        Name=name,
        EntityType=entity_type,
        AssignedTo=shown.get("assigned_to"),
        Status=shown.get("status"),
        Priority=shown.get("priority"),
        Type=shown.get("type"),
        PackageId=shown.get("package_id"),
        PackageName=None,
        PackageEntityType="ExecutionPackage" if shown.get("package_id") else None,
        PackagePath=None,
        ParentId=None,
        ParentPath=None,
        ParentName=None,
        RelationshipId=f"{_RAISED_ON[0]}:{entity_id}" if direction else None,
        RelationshipTypeKey=_RAISED_ON[0] if direction else None,
        RelationshipType=_RAISED_ON[1] if direction else None,
        Relation=_RAISED_ON[1] if direction else None,
        RelationshipDirection=direction or None,
        CanDelete=False,  # the link is removed on the step result, not here
        CanEdit=False,
        Children=[],
    )


def _incident_node(view: incidents.IncidentView, direction: str = "") -> RelationshipWire:
    x = view.incident
    return _node(
        "Incident",
        x.id,
        x.summary,
        direction=direction,
        number=str(x.number),
        assigned_to=view.assignee,
        status=x.status,
        priority=x.priority,
        type=x.type,
    )


def _script_node(call: Caller, script_id: str, direction: str = "") -> RelationshipWire:
    case = test_cases.get_test_case(call.ctx, call.principal, script_id, retired=True).test_case
    return _node("Script", case.id, case.name, direction=direction)


def _assignment_node(call: Caller, assignment_id: str, direction: str = "") -> RelationshipWire:
    found = assignments.get_assignment(call.ctx, call.principal, assignment_id)
    script = test_cases.get_test_case(call.ctx, call.principal, found.test_case_id, retired=True).test_case
    return _node(
        "ScriptAssignment",
        found.id,
        script.name,
        direction=direction,
        assigned_to=found.assignee,
        package_id=found.package_id,
    )


def _runs_of(call: Caller, view: incidents.IncidentView) -> list[tuple[str, str | None]]:
    """The (script, assignment) of each run the incident was raised on, once each."""
    seen: dict[str, tuple[str, str | None]] = {}
    for link in view.links:
        run = manual.get_manual_run(call.ctx, call.principal, link.execution_id).execution
        seen.setdefault(run.id, (run.test_case_id, run.assignment_id))
    return list(dict.fromkeys(seen.values()))


def _incident_tree(call: Caller, incident_id: str, deep: bool) -> RelationshipWire:
    view = incidents.get_incident(call.ctx, call.principal, incident_id)
    root = _incident_node(view)
    for script_id, assignment_id in _runs_of(call, view):
        script = _script_node(call, script_id, "Outward")
        if deep:
            script.Children = _script_tree(call, script_id, deep=False).Children
        root.Children.append(script)
        if assignment_id:
            root.Children.append(_assignment_node(call, assignment_id, "Outward"))
    return root


def _script_tree(call: Caller, script_id: str, deep: bool) -> RelationshipWire:
    root = _script_node(call, script_id)
    for view in incidents.incidents_of_runs(call.ctx, call.principal, test_case_id=script_id):
        child = _incident_node(view, "Inward")
        if deep:
            child.Children = _incident_tree(call, view.incident.id, deep=False).Children
        root.Children.append(child)
    return root


def _assignment_tree(call: Caller, assignment_id: str, deep: bool) -> RelationshipWire:
    root = _assignment_node(call, assignment_id)
    for view in incidents.incidents_of_runs(call.ctx, call.principal, assignment_id=assignment_id):
        child = _incident_node(view, "Inward")
        if deep:
            child.Children = _incident_tree(call, view.incident.id, deep=False).Children
        root.Children.append(child)
    return root


@router.get("/script/{script_id}/relationships", responses={200: {"model": RelationshipWire}})
def script_relationships(script_id: str, call: Call) -> dict[str, Any]:
    return sent(_script_tree(call, script_id, deep=False))


@router.get("/script/{script_id}/allrelationships", responses={200: {"model": RelationshipWire}})
def script_all_relationships(script_id: str, call: Call) -> dict[str, Any]:
    return sent(_script_tree(call, script_id, deep=True))


@router.get("/scriptassignment/{assignment_id}/relationships", responses={200: {"model": RelationshipWire}})
def assignment_relationships(assignment_id: str, call: Call) -> dict[str, Any]:
    return sent(_assignment_tree(call, assignment_id, deep=False))


@router.get(
    "/scriptassignment/{assignment_id}/allrelationships", responses={200: {"model": RelationshipWire}}
)
def assignment_all_relationships(assignment_id: str, call: Call) -> dict[str, Any]:
    return sent(_assignment_tree(call, assignment_id, deep=True))


@router.get("/incident/{incident_id}/relationships", responses={200: {"model": RelationshipWire}})
def incident_relationships(incident_id: str, call: Call) -> dict[str, Any]:
    return sent(_incident_tree(call, incident_id, deep=False))


@router.get("/incident/{incident_id}/allrelationships", responses={200: {"model": RelationshipWire}})
def incident_all_relationships(incident_id: str, call: Call) -> dict[str, Any]:
    return sent(_incident_tree(call, incident_id, deep=True))
